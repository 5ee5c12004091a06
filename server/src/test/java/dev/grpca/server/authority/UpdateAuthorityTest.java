package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import dev.grpca.proto.v1.Authority;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.AuthoritySettings;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.Crl;
import dev.grpca.proto.v1.GetAuthorityRequest;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.UpdateAuthorityRequest;
import dev.grpca.server.testing.Calls;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * UpdateAuthority over real gRPC: an authority's URLs (two of each) go into the certificates it
 * signs afterwards, as OpenSSL reads them, while an older one keeps its own; its CRL validity goes
 * into its next CRL; another replica follows; bad settings are refused and change nothing.
 */
class UpdateAuthorityTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities;
  @TempDir Path work;

  static final List<String> CA_ISSUERS =
      List.of("http://pki.example.com/urls-ca.crt", "http://pki-2.example.com/urls-ca.crt");
  static final List<String> CRLS =
      List.of("http://crl.example.com/urls-ca.crl", "http://crl-2.example.com/urls-ca.crl");
  static final List<String> OCSP = List.of("http://ocsp.example.com", "http://ocsp-2.example.com");

  @BeforeAll
  static void start() {
    server = SERVER.server();
    authorities = server.authorities();
    authorities.createRoot(
        CreateRootRequest.newBuilder()
            .setAuthorityId("urls-root")
            .setSubject("CN=URLs Root")
            .setPathLength(1)
            .build());
    authorities.createIntermediate(
        CreateIntermediateRequest.newBuilder()
            .setAuthorityId("urls-ca")
            .setSubject("CN=URLs CA")
            .setParentAuthorityId("urls-root")
            .build());
    Profiles.createFromDefault(server, "urls", p -> p.setAuthorityId("urls-ca"));
  }

  @Test
  void newCertificatesCarryTheNewUrlsOldOnesKeepTheirsAndTheNextCrlTakesTheValidity()
      throws Exception {
    Certificate old = issue(server.certificates(), "old.example.com");
    String sidecar = "http://127.0.0.1:" + server.running().httpPort();
    try (var replica = server.startReplica()) {
      var there = AuthorityServiceGrpc.newBlockingStub(server.adminChannel(replica));
      Authority updated =
          authorities
              .updateAuthority(
                  UpdateAuthorityRequest.newBuilder()
                      .setAuthorityId("urls-ca")
                      .setSettings(
                          AuthoritySettings.newBuilder()
                              .addAllCaIssuersUrls(CA_ISSUERS)
                              .addAllCrlDistributionPoints(CRLS)
                              .addAllOcspServers(OCSP)
                              .setCrlValidity(
                                  com.google.protobuf.Duration.newBuilder().setSeconds(3600)))
                      .build())
              .getAuthority();
      assertThat(updated.getSettings().getCaIssuersUrlsList()).isEqualTo(CA_ISSUERS);
      assertThat(updated.getSettings().getCrlDistributionPointsList()).isEqualTo(CRLS);
      assertThat(updated.getSettings().getOcspServersList()).isEqualTo(OCSP);
      assertThat(updated.getSettings().getCrlValidity().getSeconds()).isEqualTo(3600);

      String fresh = text(issue(server.certificates(), "new.example.com"));
      for (String url : CA_ISSUERS) {
        assertThat(fresh).contains("CA Issuers - URI:" + url);
      }
      for (String url : OCSP) {
        assertThat(fresh).contains("OCSP - URI:" + url);
      }
      for (String url : CRLS) {
        assertThat(fresh).contains("URI:" + url);
      }
      assertThat(fresh).doesNotContain(sidecar);
      String before = text(old);
      assertThat(before)
          .contains("URI:" + sidecar + "/v1/issuers/urls-ca/crl")
          .contains("OCSP - URI:" + sidecar + "/v1/ocsp")
          .doesNotContain("example.com/urls-ca");

      authorities.rebuildCrl(RebuildCrlRequest.newBuilder().setAuthorityId("urls-ca").build());
      Crl crl =
          authorities.getCrl(GetCrlRequest.newBuilder().setAuthorityId("urls-ca").build()).getCrl();
      assertThat(crl.getNextUpdate().getSeconds() - crl.getThisUpdate().getSeconds())
          .isEqualTo(3600);

      // The sidecar serves the new CA's CRL and chain under its own id, as curl fetches them.
      Path fetched = work.resolve("urls-ca.crl");
      Tools.run(
              work,
              List.of("curl", "-sf", "-o", fetched.toString(), sidecar + "/v1/issuers/urls-ca/crl"))
          .requireSuccess();
      assertThat(
              Tools.openssl(work, "crl", "-inform", "DER", "-in", fetched.toString(), "-noout")
                  .requireSuccess()
                  .output())
          .isEmpty();
      assertThat(Files.readAllBytes(fetched)).isEqualTo(crl.getCrlDer().toByteArray());
      assertThat(
              Tools.run(work, List.of("curl", "-sf", sidecar + "/v1/issuers/urls-ca/chain.pem"))
                  .requireSuccess()
                  .output())
          .isEqualTo(updated.getChainPem());

      // The other replica reads them again on the AUTHORITY event, and issues with them.
      long deadline = System.nanoTime() + 5_000_000_000L;
      List<String> seen;
      do {
        Thread.sleep(100);
        seen = settings(there).getOcspServersList();
      } while (!seen.equals(OCSP) && System.nanoTime() < deadline);
      assertThat(seen).isEqualTo(OCSP);
      var replicaCertificates =
          CertificateServiceGrpc.newBlockingStub(server.adminChannel(replica));
      assertThat(text(issue(replicaCertificates, "replica.example.com")))
          .contains("OCSP - URI:http://ocsp-2.example.com");
    }

    // A mask changes only what it names; an empty list sets the sidecar's URL back.
    authorities.updateAuthority(
        UpdateAuthorityRequest.newBuilder()
            .setAuthorityId("urls-ca")
            .setUpdateMask(FieldMask.newBuilder().addPaths("ocsp_servers"))
            .build());
    AuthoritySettings now = settings(authorities);
    assertThat(now.getOcspServersList()).containsExactly(sidecar + "/v1/ocsp");
    assertThat(now.getCrlDistributionPointsList()).isEqualTo(CRLS);
    assertThat(now.getCrlValidity().getSeconds()).isEqualTo(3600);
  }

  @Test
  void badSettingsAreRefusedAndChangeNothing() {
    AuthoritySettings before = settings(authorities);
    record Bad(String field, UpdateAuthorityRequest.Builder request) {}
    List<Bad> bad =
        List.of(
            new Bad(
                "settings.ocsp_servers[0]",
                request("ocsp_servers", AuthoritySettings.newBuilder().addOcspServers("ftp://x"))),
            new Bad(
                "settings.crl_distribution_points[1]",
                request(
                    "crl_distribution_points",
                    AuthoritySettings.newBuilder()
                        .addCrlDistributionPoints("http://a.example/crl")
                        .addCrlDistributionPoints("http://a.example/crl"))),
            new Bad(
                "settings.ca_issuers_urls[0]",
                request(
                    "ca_issuers_urls",
                    AuthoritySettings.newBuilder().addCaIssuersUrls("http://a b.example/ca"))),
            new Bad(
                "settings.crl_validity",
                request(
                    "crl_validity",
                    AuthoritySettings.newBuilder()
                        .setCrlValidity(com.google.protobuf.Duration.newBuilder().setSeconds(60)))),
            new Bad("update_mask", request("ocsp", AuthoritySettings.newBuilder())));
    for (Bad b : bad) {
      var refused = failure(() -> authorities.updateAuthority(b.request().build()));
      assertThat(refused.getStatus().getCode())
          .as(b.field())
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(Calls.field(refused)).isEqualTo(b.field());
    }
    var missing =
        failure(
            () ->
                authorities.updateAuthority(
                    UpdateAuthorityRequest.newBuilder().setAuthorityId("no-such-ca").build()));
    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(settings(authorities)).isEqualTo(before);
  }

  @Test
  void aRootIssuesOnlyForAProfileThatSaysSo() {
    Profiles.createFromDefault(server, "at-root", p -> p.setAuthorityId("urls-root"));
    var refused = Profiles.issueRefused(server, "at-root", "root.example.com");
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(refused.getStatus().getDescription()).contains("issue_from_root");

    Profiles.createFromDefault(
        server, "at-root-allowed", p -> p.setAuthorityId("urls-root").setIssueFromRoot(true));
    Certificate issued =
        server
            .certificates()
            .issue(Requests.issue("root.example.com").setProfile("at-root-allowed").build())
            .getCertificate();
    assertThat(issued.getAuthorityId()).isEqualTo("urls-root");
  }

  private static UpdateAuthorityRequest.Builder request(
      String path, AuthoritySettings.Builder settings) {
    return UpdateAuthorityRequest.newBuilder()
        .setAuthorityId("urls-ca")
        .setSettings(settings)
        .setUpdateMask(FieldMask.newBuilder().addPaths(path));
  }

  private static AuthoritySettings settings(AuthorityServiceGrpc.AuthorityServiceBlockingStub s) {
    return s.getAuthority(GetAuthorityRequest.newBuilder().setAuthorityId("urls-ca").build())
        .getAuthority()
        .getSettings();
  }

  private static Certificate issue(
      CertificateServiceGrpc.CertificateServiceBlockingStub certificates, String name) {
    return certificates.issue(Requests.issue(name).setProfile("urls").build()).getCertificate();
  }

  /** The certificate as {@code openssl x509 -text} prints it. */
  private String text(Certificate certificate) throws Exception {
    Path pem = Files.createTempFile(work, "cert", ".pem");
    Files.writeString(pem, certificate.getCertificatePem());
    return Tools.run(work, List.of("openssl", "x509", "-noout", "-text", "-in", pem.toString()))
        .requireSuccess()
        .output();
  }
}
