package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.AuthorityState;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.DisableAuthorityRequest;
import dev.grpca.proto.v1.DisableAuthorityResponse;
import dev.grpca.proto.v1.GetAuthorityRequest;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation over real gRPC: issue under intermediate A, make B, disable A moving its profiles to B
 * in one call: new certificates come from B, A's profiles-to-be refuse, A's old certificates still
 * get OCSP answers and go on A's CRL when revoked, both chains are served through the overlap.
 */
class RotationTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    authorities = server.authorities();
    authorities.createRoot(
        CreateRootRequest.newBuilder()
            .setAuthorityId("rotation-root")
            .setSubject("CN=Rotation Root")
            .setPathLength(1)
            .build());
    for (String id : new String[] {"issuing-a", "issuing-b"}) {
      authorities.createIntermediate(
          CreateIntermediateRequest.newBuilder()
              .setAuthorityId(id)
              .setSubject("CN=Rotation " + id)
              .setParentAuthorityId("rotation-root")
              .build());
    }
  }

  @Test
  void disablingAWithItsProfilesMovedToBRotatesIssuanceAndKeepsAAnswering() throws Exception {
    Profiles.createFromDefault(server, "rotating", p -> p.setAuthorityId("issuing-a"));
    Certificate old =
        server
            .certificates()
            .issue(Requests.issue("old.example.com").setProfile("rotating").build())
            .getCertificate();
    assertThat(old.getAuthorityId()).isEqualTo("issuing-a");

    try (var replica = server.startReplica()) {
      var there = AuthorityServiceGrpc.newBlockingStub(server.adminChannel(replica));
      rotate();
      // The other replica hears of it from the TRUST event, within a poll of its feed.
      long deadline = System.nanoTime() + 5_000_000_000L;
      AuthorityState state;
      do {
        Thread.sleep(100);
        state =
            there
                .getAuthority(GetAuthorityRequest.newBuilder().setAuthorityId("issuing-a").build())
                .getAuthority()
                .getState();
      } while (state != AuthorityState.AUTHORITY_STATE_DISABLED && System.nanoTime() < deadline);
      assertThat(state).isEqualTo(AuthorityState.AUTHORITY_STATE_DISABLED);
    }
    afterTheRotation(old);
  }

  private static void rotate() {
    DisableAuthorityResponse disabled =
        authorities.disableAuthority(
            DisableAuthorityRequest.newBuilder()
                .setAuthorityId("issuing-a")
                .setMoveProfilesTo("issuing-b")
                .build());
    assertThat(disabled.getMovedProfilesList()).containsExactly("rotating");
    assertThat(disabled.getAuthority().getState())
        .isEqualTo(AuthorityState.AUTHORITY_STATE_DISABLED);
    assertThat(
            authorities
                .getAuthority(GetAuthorityRequest.newBuilder().setAuthorityId("issuing-a").build())
                .getAuthority()
                .getState())
        .isEqualTo(AuthorityState.AUTHORITY_STATE_DISABLED);
  }

  private void afterTheRotation(Certificate old) throws Exception {
    Certificate fresh =
        server
            .certificates()
            .issue(Requests.issue("new.example.com").setProfile("rotating").build())
            .getCertificate();
    assertThat(fresh.getAuthorityId()).isEqualTo("issuing-b");
    // A profile pointed at A again refuses to issue.
    Profiles.createFromDefault(server, "stuck-on-a", p -> p.setAuthorityId("issuing-a"));
    var refused = Profiles.issueRefused(server, "stuck-on-a", "stuck.example.com");
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(refused.getStatus().getDescription()).contains("'issuing-a' is disabled");

    // Through the overlap both chains are served, and A still answers for what it issued.
    for (String id : new String[] {"issuing-a", "issuing-b"}) {
      assertThat(
              authorities
                  .getCaChain(GetCaChainRequest.newBuilder().setAuthorityId(id).build())
                  .getChainPem())
          .contains("-----BEGIN CERTIFICATE-----");
    }
    String aPem =
        authorities
            .getAuthority(GetAuthorityRequest.newBuilder().setAuthorityId("issuing-a").build())
            .getAuthority()
            .getCertificatePem();
    Files.writeString(work.resolve("a.pem"), aPem);
    Files.writeString(
        work.resolve("root.pem"),
        authorities
            .getCaChain(GetCaChainRequest.newBuilder().setAuthorityId("issuing-a").build())
            .getRootPem());
    Files.writeString(work.resolve("old.pem"), old.getCertificatePem());
    String ocsp = "http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp";
    assertThat(Tools.opensslOcsp(work, "a.pem", "old.pem", ocsp)).contains("old.pem: good");
    server
        .certificates()
        .revoke(
            Requests.revoke(old.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    assertThat(Tools.opensslOcsp(work, "a.pem", "old.pem", ocsp)).contains("old.pem: revoked");
    assertThat(
            authorities
                .rebuildCrl(RebuildCrlRequest.newBuilder().setAuthorityId("issuing-a").build())
                .getCrl()
                .getEntryCount())
        .isEqualTo(1);
  }

  @Test
  void whatCannotBeDisabledIsRefusedAndNothingChanges() {
    String defaultIssuer =
        authorities
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthoritiesList()
            .stream()
            .filter(a -> a.getDefaultIssuer())
            .findFirst()
            .orElseThrow()
            .getAuthorityId();
    long records = server.count("SELECT COUNT(*) FROM audit_record WHERE detail LIKE 'authority%'");
    assertThat(disable(defaultIssuer, "")).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(disable("no-such-ca", "")).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(disable("issuing-b", "no-such-ca")).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(disable("issuing-b", "issuing-b")).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            authorities
                .getAuthority(GetAuthorityRequest.newBuilder().setAuthorityId("issuing-b").build())
                .getAuthority()
                .getState())
        .isEqualTo(AuthorityState.AUTHORITY_STATE_ACTIVE);
    assertThat(server.count("SELECT COUNT(*) FROM audit_record WHERE detail LIKE 'authority%'"))
        .isEqualTo(records);
  }

  private static Status.Code disable(String id, String moveTo) {
    return failure(
            () ->
                authorities.disableAuthority(
                    DisableAuthorityRequest.newBuilder()
                        .setAuthorityId(id)
                        .setMoveProfilesTo(moveTo)
                        .build()))
        .getStatus()
        .getCode();
  }
}
