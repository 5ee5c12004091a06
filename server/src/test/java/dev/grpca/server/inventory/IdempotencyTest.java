package dev.grpca.server.inventory;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Calls.field;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.client.GrpcaChannels;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.RevokeResponse;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.config.proto.GrpcSection;
import dev.grpca.server.config.proto.HttpSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * request_id over real gRPC with TLS: a retry answers the first call and changes nothing, whether
 * it comes at once, concurrently, after the server was killed, or after the window.
 */
class IdempotencyTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  @Test
  void aRepeatedIssueAnswersTheSameCertificateWithoutTheKeyAndIssuesNothing() throws Exception {
    String id = UUID.randomUUID().toString();
    IssueRequest request = Requests.issue("once.example.com").setRequestId(id).build();
    IssueResponse first = certificates.issue(request);
    assertThat(first.getRepeat()).isFalse();
    assertThat(first.getPrivateKeyPem()).contains("PRIVATE KEY");
    long stored = server.storedCertificates();

    IssueResponse again = certificates.issue(request);
    assertThat(again.getRepeat()).isTrue();
    assertThat(again.getPrivateKeyPem()).isEmpty();
    assertThat(again.getCertificate().getSerialNumber())
        .isEqualTo(first.getCertificate().getSerialNumber());
    assertThat(again.getCertificate().getCertificatePem())
        .isEqualTo(first.getCertificate().getCertificatePem());
    assertThat(server.storedCertificates()).isEqualTo(stored);
    assertThat(rowsFor(server, "once.example.com")).isEqualTo(1);

    // The same id with another request is refused, and changes nothing.
    StatusRuntimeException other =
        failure(
            () -> certificates.issue(Requests.issue("other.example.com").setRequestId(id).build()));
    assertThat(other.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(other)).isEqualTo("request_id");
    assertThat(other.getStatus().getDescription()).contains("another request");
    // ... and so is the same id on another method.
    StatusRuntimeException otherMethod =
        failure(
            () ->
                certificates.revoke(
                    RevokeRequest.newBuilder()
                        .setSerialNumber(first.getCertificate().getSerialNumber())
                        .setRequestId(id)
                        .build()));
    assertThat(otherMethod.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(otherMethod.getStatus().getDescription()).contains("(Issue)");
    assertThat(server.storedCertificates()).isEqualTo(stored);

    // No id: every call is a new certificate, as before.
    IssueRequest plain = Requests.issue("twice.example.com").build();
    certificates.issue(plain);
    certificates.issue(plain);
    assertThat(rowsFor(server, "twice.example.com")).isEqualTo(2);

    for (String bad : List.of("has space", "x".repeat(65), "é")) {
      StatusRuntimeException refused =
          failure(
              () ->
                  certificates.issue(
                      Requests.issue("bad-id.example.com").setRequestId(bad).build()));
      assertThat(refused.getStatus().getCode()).as(bad).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(field(refused)).isEqualTo("request_id");
    }
    assertThat(rowsFor(server, "bad-id.example.com")).isZero();
  }

  @Test
  void concurrentCallsWithOneIdMakeOneCertificate() throws Exception {
    IssueRequest request =
        Requests.issue("concurrent.example.com").setRequestId(UUID.randomUUID().toString()).build();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      Callable<String> call =
          () -> {
            // A call that finds the first still being signed is told to retry, as a client would.
            for (int attempt = 0; ; attempt++) {
              try {
                return certificates.issue(request).getCertificate().getSerialNumber();
              } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt > 50) {
                  throw e;
                }
                Thread.sleep(20);
              }
            }
          };
      List<String> serials = new ArrayList<>();
      for (Future<String> f : pool.invokeAll(java.util.Collections.nCopies(16, call))) {
        serials.add(f.get());
      }
      assertThat(serials).hasSize(16).containsOnly(serials.get(0));
      assertThat(rowsFor(server, "concurrent.example.com")).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void signRenewAndRevokeRepeatTheirFirstAnswer() throws Exception {
    String csr = Tools.p256Csr(work, "sign.key", "/CN=signed-once.example.com");
    SignRequest sign =
        SignRequest.newBuilder()
            .setProfile("default")
            .setCsrPem(csr)
            .addDnsNames("signed-once.example.com")
            .setRequestId("sign-" + UUID.randomUUID())
            .build();
    Certificate signed = certificates.sign(sign).getCertificate();
    assertThat(certificates.sign(sign).getCertificate().getSerialNumber())
        .isEqualTo(signed.getSerialNumber());
    assertThat(rowsFor(server, "signed-once.example.com")).isEqualTo(1);

    RenewRequest renew =
        RenewRequest.newBuilder()
            .setSerialNumber(signed.getSerialNumber())
            .setRequestId("renew-" + UUID.randomUUID())
            .build();
    Certificate renewed = certificates.renew(renew).getCertificate();
    assertThat(certificates.renew(renew).getCertificate().getSerialNumber())
        .isEqualTo(renewed.getSerialNumber());
    assertThat(rowsFor(server, "signed-once.example.com")).isEqualTo(2);

    RevokeRequest revoke =
        RevokeRequest.newBuilder()
            .setSerialNumber(renewed.getSerialNumber())
            .setReason(RevocationReason.REVOCATION_REASON_KEY_COMPROMISE)
            .setRequestId("revoke-" + UUID.randomUUID())
            .build();
    RevokeResponse first = certificates.revoke(revoke);
    RevokeResponse again = certificates.revoke(revoke);
    assertThat(again).isEqualTo(first);
    // Only one revocation was written to the audit log.
    assertThat(
            count(
                server,
                "SELECT COUNT(*) FROM audit_record WHERE serial = ? AND detail LIKE 'revoked%'",
                renewed.getSerialNumber()))
        .isEqualTo(1);
  }

  @Test
  void anIdIsForgottenAfterTheWindow(@TempDir Path data) throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    try (TestServer own = TestServer.start(data, clock)) {
      var stub = own.certificates();
      IssueRequest request =
          Requests.issue("window.example.com").setRequestId(UUID.randomUUID().toString()).build();
      String first = stub.issue(request).getCertificate().getSerialNumber();
      clock.advance(Duration.ofHours(23));
      assertThat(stub.issue(request).getCertificate().getSerialNumber()).isEqualTo(first);
      clock.advance(Duration.ofHours(2));
      IssueResponse late = stub.issue(request);
      assertThat(late.getRepeat()).isFalse();
      assertThat(late.getCertificate().getSerialNumber()).isNotEqualTo(first);
      assertThat(rowsFor(own, "window.example.com")).isEqualTo(2);
    }
  }

  /**
   * The answer is lost (the client drops it), the server is killed with SIGKILL and started again:
   * the retry gets the certificate the first call stored, and there is one.
   */
  @Test
  void aRetryAfterTheServerWasKilledAnswersTheStoredCertificate(@TempDir Path data)
      throws Exception {
    ServerConfigFile.Builder file = TestServer.fileFor(data, f -> {}, Engine.H2);
    int grpcPort = TestServer.freePort();
    file.setGrpc(GrpcSection.newBuilder().setHost("127.0.0.1").setPort(grpcPort))
        .setHttp(HttpSection.newBuilder().setHost("127.0.0.1").setPort(TestServer.freePort()));
    ServerConfig config = ServerConfigs.from(file.build());
    IssueRequest request =
        Requests.issue("killed.example.com").setRequestId(UUID.randomUUID().toString()).build();
    Process child = TestServer.spawn(file, data, "child");
    String first;
    try {
      ManagedChannel channel =
          GrpcaChannels.connect(
              "localhost:" + grpcPort, config.devDir().resolve("ca.pem"), config.adminTokenFile());
      try {
        first =
            CertificateServiceGrpc.newBlockingStub(channel)
                .issue(request)
                .getCertificate()
                .getSerialNumber();
      } finally {
        channel.shutdownNow();
      }
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    try (TestServer restarted = TestServer.start(config.withListener("127.0.0.1", 0), Engine.H2)) {
      IssueResponse retry = restarted.certificates().issue(request);
      assertThat(retry.getRepeat()).isTrue();
      assertThat(retry.getCertificate().getSerialNumber()).isEqualTo(first);
      assertThat(rowsFor(restarted, "killed.example.com")).isEqualTo(1);
    }
  }

  /** Certificate rows, in any state, with {@code dnsName} among their SANs. */
  static long rowsFor(TestServer s, String dnsName) {
    return s.count(
        "SELECT COUNT(*) FROM certificate_name WHERE kind = 'DNS' AND name = ?", dnsName);
  }

  static long count(TestServer s, String sql, String arg) {
    return s.count(sql, arg);
  }
}
