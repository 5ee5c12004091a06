package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Authority;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.AuthorityState;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.DisableAuthorityRequest;
import dev.grpca.proto.v1.GetAuthorityRequest;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.Subject;
import dev.grpca.server.CaServer;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import dev.grpca.server.x509.Certificates;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating the default issuer over real gRPC: DisableAuthority of the default with move_profiles_to
 * makes the new intermediate the default, on this replica and another, and after a restart (the
 * configuration still names the old one). Profiles that name no CA, GetCaChain, the sidecar's
 * default paths, the dev files and the server's own TLS certificate (seen by openssl s_client)
 * follow; client certificates of the old CA still authenticate.
 */
class DefaultIssuerRotationTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  @TempDir Path work;

  @Test
  void disablingTheDefaultIssuerMovesTheDefaultAndEverythingFollows() throws Exception {
    TestServer server = SERVER.server();
    AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities = server.authorities();
    Authority old = defaultOf(authorities);
    String root = old.getParentAuthorityId();
    long audited = server.count("SELECT COUNT(*) FROM audit_record WHERE detail LIKE 'authority%'");

    // Refused, and nothing changes: no successor named; a root as the successor.
    StatusRuntimeException alone = disableRefused(authorities, old.getAuthorityId(), "");
    assertThat(alone.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(alone.getStatus().getDescription())
        .contains("move_profiles_to")
        .contains("default issuer");
    StatusRuntimeException toRoot = disableRefused(authorities, old.getAuthorityId(), root);
    assertThat(toRoot.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(toRoot.getStatus().getDescription()).contains("is a root CA");
    assertThat(defaultOf(authorities).getAuthorityId()).isEqualTo(old.getAuthorityId());
    assertThat(server.count("SELECT COUNT(*) FROM audit_record WHERE detail LIKE 'authority%'"))
        .isEqualTo(audited);

    IssueResponse before = issueWithKey(server.certificates(), "before.example.com");
    assertThat(before.getCertificate().getAuthorityId()).isEqualTo(old.getAuthorityId());
    authorities.createIntermediate(
        CreateIntermediateRequest.newBuilder()
            .setAuthorityId("next-default")
            .setSubject("CN=Next Default Issuer")
            .setParentAuthorityId(root)
            .build());

    try (CaServer replica = server.startReplica()) {
      var there = AuthorityServiceGrpc.newBlockingStub(server.adminChannel(replica));
      var disabled =
          authorities.disableAuthority(
              DisableAuthorityRequest.newBuilder()
                  .setAuthorityId(old.getAuthorityId())
                  .setMoveProfilesTo("next-default")
                  .build());
      assertThat(disabled.getAuthority().getState())
          .isEqualTo(AuthorityState.AUTHORITY_STATE_DISABLED);
      assertThat(disabled.getAuthority().getDefaultIssuer()).isFalse();
      assertThat(defaultOf(authorities).getAuthorityId()).isEqualTo("next-default");
      assertThat(
              server.count(
                  "SELECT COUNT(*) FROM audit_record WHERE detail LIKE ?",
                  "%the default issuer is now next-default%"))
          .isEqualTo(1);

      // Issuance under a profile that names no CA, the chain and the sidecar's default paths.
      IssueResponse after = issueWithKey(server.certificates(), "after.example.com");
      assertThat(after.getCertificate().getAuthorityId()).isEqualTo("next-default");
      String chain = authorities.getCaChain(GetCaChainRequest.getDefaultInstance()).getChainPem();
      String nextPem = authorityPem(authorities, "next-default");
      assertThat(Certificates.parseAll("chain", chain).get(0))
          .isEqualTo(Certificates.parsePem(nextPem));
      assertThat(Certificates.parse(server.sidecar("/v1/ca")))
          .isEqualTo(Certificates.parsePem(nextPem));
      assertThat(Files.readString(server.chainPem())).startsWith(nextPem.strip());

      // The server's TLS certificate follows, here and on the replica.
      awaitIssuer(() -> server.running().tlsIdentity().current(), "CN=Next Default Issuer");
      assertThat(presentedIssuer(server.running().port())).contains("CN = Next Default Issuer");
      awaitDefault(there, "next-default");
      awaitIssuer(() -> replica.tlsIdentity().current(), "CN=Next Default Issuer");
      assertThat(presentedIssuer(replica.port())).contains("CN = Next Default Issuer");

      // A client certificate of the disabled CA still authenticates (and renews from the new).
      var mtls =
          CertificateServiceGrpc.newBlockingStub(
              server.mtlsChannel(
                  before.getCertificate().getCertificatePem()
                      + before.getCertificate().getChainPem(),
                  before.getPrivateKeyPem()));
      assertThat(
              mtls.renew(
                      RenewRequest.newBuilder()
                          .setSerialNumber(before.getCertificate().getSerialNumber())
                          .build())
                  .getCertificate()
                  .getAuthorityId())
          .isEqualTo("next-default");
    }

    // Durable: after a restart on a configuration that still names the old intermediate.
    server.restart();
    AuthorityServiceGrpc.AuthorityServiceBlockingStub restarted = server.authorities();
    assertThat(defaultOf(restarted).getAuthorityId()).isEqualTo("next-default");
    assertThat(
            restarted
                .getAuthority(
                    GetAuthorityRequest.newBuilder().setAuthorityId(old.getAuthorityId()).build())
                .getAuthority()
                .getState())
        .isEqualTo(AuthorityState.AUTHORITY_STATE_DISABLED);
    assertThat(presentedIssuer(server.running().port())).contains("CN = Next Default Issuer");
    assertThat(
            server
                .certificates()
                .issue(Requests.issue("restarted.example.com").build())
                .getCertificate()
                .getAuthorityId())
        .isEqualTo("next-default");
  }

  @Test
  void aClientCertificateFromACaMadeAtRunTimeUnderANewRootAuthenticates() {
    TestServer server = SERVER.server();
    server
        .authorities()
        .createRoot(
            dev.grpca.proto.v1.CreateRootRequest.newBuilder()
                .setAuthorityId("later-root")
                .setSubject("CN=Later Root")
                .build());
    server
        .authorities()
        .createIntermediate(
            CreateIntermediateRequest.newBuilder()
                .setAuthorityId("later-issuing")
                .setSubject("CN=Later Issuing")
                .setParentAuthorityId("later-root")
                .build());
    dev.grpca.server.testing.Profiles.createFromDefault(
        server, "later", p -> p.setAuthorityId("later-issuing"));
    IssueResponse mine =
        server
            .certificates()
            .issue(
                IssueRequest.newBuilder()
                    .setProfile("later")
                    .setSubject(Subject.newBuilder().setCommonName("later.example.com"))
                    .build());
    var mtls =
        CertificateServiceGrpc.newBlockingStub(
            server.mtlsChannel(
                mine.getCertificate().getCertificatePem() + mine.getCertificate().getChainPem(),
                mine.getPrivateKeyPem()));
    assertThat(
            mtls.renew(
                    RenewRequest.newBuilder()
                        .setSerialNumber(mine.getCertificate().getSerialNumber())
                        .build())
                .getCertificate()
                .getAuthorityId())
        .isEqualTo("later-issuing");
  }

  private static Authority defaultOf(AuthorityServiceGrpc.AuthorityServiceBlockingStub stub) {
    var defaults =
        stub
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthoritiesList()
            .stream()
            .filter(Authority::getDefaultIssuer)
            .toList();
    assertThat(defaults).hasSize(1);
    return defaults.get(0);
  }

  private static String authorityPem(
      AuthorityServiceGrpc.AuthorityServiceBlockingStub stub, String id) {
    return stub.getAuthority(GetAuthorityRequest.newBuilder().setAuthorityId(id).build())
        .getAuthority()
        .getCertificatePem();
  }

  private static StatusRuntimeException disableRefused(
      AuthorityServiceGrpc.AuthorityServiceBlockingStub stub, String id, String moveTo) {
    return failure(
        () ->
            stub.disableAuthority(
                DisableAuthorityRequest.newBuilder()
                    .setAuthorityId(id)
                    .setMoveProfilesTo(moveTo)
                    .build()));
  }

  private static IssueResponse issueWithKey(
      CertificateServiceGrpc.CertificateServiceBlockingStub stub, String name) {
    return stub.issue(
        IssueRequest.newBuilder()
            .setProfile("default")
            .setSubject(Subject.newBuilder().setCommonName(name))
            .build());
  }

  private static void awaitDefault(
      AuthorityServiceGrpc.AuthorityServiceBlockingStub stub, String id)
      throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!defaultOf(stub).getAuthorityId().equals(id) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(defaultOf(stub).getAuthorityId()).isEqualTo(id);
  }

  /** Waits (up to 10 s) for the certificate {@code current} gives to be issued by {@code dn}. */
  private static void awaitIssuer(Supplier<X509Certificate> current, String dn)
      throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!current.get().getIssuerX500Principal().getName().equals(dn)
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(current.get().getIssuerX500Principal().getName()).isEqualTo(dn);
  }

  /** The issuer of the certificate a new TLS handshake with 127.0.0.1:port is shown. */
  private String presentedIssuer(int port) {
    Tools.Result shown =
        Tools.openssl(
            work,
            "s_client",
            "-connect",
            "127.0.0.1:" + port,
            "-servername",
            "localhost",
            "-alpn",
            "h2");
    int leaf = shown.output().indexOf(" 0 s:");
    assertThat(leaf).as(shown.output()).isNotNegative();
    return shown
        .output()
        .substring(leaf, shown.output().indexOf('\n', shown.output().indexOf("i:", leaf)));
  }
}
