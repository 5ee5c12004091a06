package dev.grpca.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.client.GrpcaChannels;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.VerifyAuditLogRequest;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.config.proto.GrpcSection;
import dev.grpca.server.config.proto.HttpSection;
import dev.grpca.server.config.proto.RateLimit;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.revocation.OcspSigners;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.Ocsp;
import dev.grpca.server.testing.Principals;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of one CA on one PostgreSQL database and one token, as production runs them: what
 * one changes, the other applies at once (LISTEN/NOTIFY), not after its caches expire.
 */
class ReplicasTest {
  @TempDir static Path data;
  static TestServer first;
  static CaServer second;
  static ManagedChannel toSecond;
  static final int LIMIT = 5;

  @BeforeAll
  static void start() throws Exception {
    first =
        TestServer.start(
            data,
            Clock.systemUTC(),
            // One principal's limit, for the test of it; nobody else is limited.
            file ->
                file.addRateLimits(
                    RateLimit.newBuilder()
                        .setPrincipal("limited")
                        .setCertificates(LIMIT)
                        .setPer(com.google.protobuf.Duration.newBuilder().setSeconds(3600))),
            Engine.POSTGRES);
    second = first.startReplica();
    toSecond = first.adminChannel(second);
  }

  @AfterAll
  static void stop() {
    second.close();
    first.close();
  }

  /** A retry that lands on another replica answers the first replica's certificate. */
  @Test
  void anIssueRetriedOnTheOtherReplicaAnswersTheSameCertificate() throws Exception {
    IssueRequest request =
        Requests.issue("retried.example.com")
            .setRequestId(java.util.UUID.randomUUID().toString())
            .build();
    IssueResponse onFirst = first.certificates().issue(request);
    IssueResponse onSecond = CertificateServiceGrpc.newBlockingStub(toSecond).issue(request);
    assertThat(onSecond.getRepeat()).isTrue();
    assertThat(onSecond.getPrivateKeyPem()).isEmpty();
    assertThat(onSecond.getCertificate().getSerialNumber())
        .isEqualTo(onFirst.getCertificate().getSerialNumber());
    assertThat(
            first.count(
                "SELECT COUNT(*) FROM certificate_name WHERE kind = 'DNS' AND name = ?",
                "retried.example.com"))
        .isEqualTo(1);
  }

  @Test
  void aRevokeOnOneIsInTheOthersOcspAndStatusWithinASecond() throws Exception {
    Certificate c =
        first
            .certificates()
            .issue(Requests.issue("replicated.example.com").build())
            .getCertificate();
    byte[] request = Ocsp.request(first.running().authorities().defaultIssuer().certificate(), c);
    // The second replica answers "good" and keeps that answer for ocsp.cacheMaxAge (60 s).
    assertThat(Ocsp.status(second, request)).isNull();
    assertThat(Ocsp.status(second, request)).isNull();

    first
        .certificates()
        .revoke(
            Requests.revoke(
                c.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    Instant deadline = Instant.now().plus(Duration.ofSeconds(1));
    CertificateStatus status = Ocsp.status(second, request);
    while (!(status instanceof RevokedStatus) && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
      status = Ocsp.status(second, request);
    }
    assertThat(status).isInstanceOf(RevokedStatus.class);
    assertThat(
            CertificateServiceGrpc.newBlockingStub(toSecond)
                .status(StatusRequest.newBuilder().addSerialNumbers(c.getSerialNumber()).build())
                .getStatuses(0)
                .getRevocationReason())
        .isEqualTo(RevocationReason.REVOCATION_REASON_KEY_COMPROMISE);
  }

  @Test
  void aRevocationBothReplicasHearMakesOneCrl() throws Exception {
    String issuing = first.running().authorities().defaultIssuer().id();
    Certificate c =
        first.certificates().issue(Requests.issue("one-crl.example.com").build()).getCertificate();
    long before = first.newestCrl(issuing);
    first
        .certificates()
        .revoke(
            Requests.revoke(c.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    // Each replica schedules a publication 1 s (the tests' debounce) after it hears of it; the one
    // holding the CRL lease publishes, the other does not.
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (first.newestCrl(issuing) == before && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
    Thread.sleep(2500);
    assertThat(first.newestCrl(issuing)).isEqualTo(before + 1);
  }

  @Test
  void bothReplicasIssuingAtOnceStoreEveryCertificateTheyReturnAndKeepTheAuditChainIntact()
      throws Exception {
    var one = first.certificates();
    var two = CertificateServiceGrpc.newBlockingStub(toSecond);
    ExecutorService callers = Executors.newFixedThreadPool(8);
    List<Future<Certificate>> issued = new ArrayList<>();
    try {
      for (int i = 0; i < 80; i++) {
        var replica = i % 2 == 0 ? one : two;
        String name = "concurrent-" + i + ".example.com";
        issued.add(
            callers.submit(() -> replica.issue(Requests.issue(name).build()).getCertificate()));
      }
      Set<String> serials = new HashSet<>();
      for (Future<Certificate> f : issued) {
        Certificate c = f.get();
        assertThat(serials.add(c.getSerialNumber())).isTrue();
        // Stored before it was returned: the other replica reads the same certificate.
        var other = c.getSerialNumber().hashCode() % 2 == 0 ? one : two;
        assertThat(
                other
                    .get(GetRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build())
                    .getCertificate()
                    .getCertificatePem())
            .isEqualTo(c.getCertificatePem());
      }
      assertThat(serials).hasSize(80);
    } finally {
      callers.shutdownNow();
    }
    var verdict =
        AdminServiceGrpc.newBlockingStub(toSecond)
            .verifyAuditLog(VerifyAuditLogRequest.getDefaultInstance());
    assertThat(verdict.getOk()).as(verdict.getProblem()).isTrue();
    assertThat(verdict.getRecords()).isGreaterThanOrEqualTo(80);
  }

  @Test
  void aRateLimitIsOneBucketForAllReplicas() throws Exception {
    var admin = AdminServiceGrpc.newBlockingStub(toSecond);
    String token = Principals.issuerToken(admin, "limited");
    var one = CertificateServiceGrpc.newBlockingStub(first.channel(token));
    var two = CertificateServiceGrpc.newBlockingStub(first.channel(second.port(), token));
    ExecutorService callers = Executors.newFixedThreadPool(6);
    List<Future<Status.Code>> outcomes = new ArrayList<>();
    try {
      for (int i = 0; i < 4 * LIMIT; i++) {
        var replica = i % 2 == 0 ? one : two;
        String name = "limited-" + i + ".example.com";
        outcomes.add(
            callers.submit(
                () -> {
                  try {
                    replica.issue(Requests.issue(name).build());
                    return Status.Code.OK;
                  } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode();
                  }
                }));
      }
      Map<Status.Code, Integer> counts = new EnumMap<>(Status.Code.class);
      for (Future<Status.Code> f : outcomes) {
        counts.merge(f.get(), 1, Integer::sum);
      }
      // Two replicas with a bucket each would have let twice the limit through.
      assertThat(counts)
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(Status.Code.OK, LIMIT, Status.Code.RESOURCE_EXHAUSTED, 3 * LIMIT));
    } finally {
      callers.shutdownNow();
    }
  }

  /**
   * Two replicas started at once on an empty database, each a JVM of its own as in production: the
   * one that takes the bootstrap lease makes the CA, the other waits for it and finds it; likewise
   * one OCSP signer per issuer. (Two replicas in one JVM would also share SoftHSM's library state,
   * which makes key generation in one and signing in the other fail now and then: a test artefact,
   * not what replicas do.)
   */
  @Test
  void replicasStartedTogetherOnAnEmptyDatabaseServeOneCa(@TempDir Path empty) throws Exception {
    ServerConfigFile.Builder file = TestServer.fileFor(empty, f -> {}, Engine.POSTGRES);
    List<Process> replicas = new ArrayList<>();
    List<ServerConfigFile.Builder> files = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        ServerConfigFile.Builder own =
            file.clone()
                .setGrpc(
                    GrpcSection.newBuilder().setHost("127.0.0.1").setPort(TestServer.freePort()))
                .setHttp(
                    HttpSection.newBuilder().setHost("127.0.0.1").setPort(TestServer.freePort()));
        files.add(own);
        replicas.add(TestServer.spawnUnready(own, empty, "replica-" + i));
      }
      for (int i = 0; i < 2; i++) {
        TestServer.awaitReady(replicas.get(i), files.get(i), empty, "replica-" + i);
      }
      try (Connection db = Engine.POSTGRES.connect(file.getDatabase().getJdbcUrl());
          Statement sql = db.createStatement()) {
        assertThat(count(sql, "SELECT count(*) FROM authority")).isEqualTo(2);
        assertThat(
                count(
                    sql,
                    "SELECT count(DISTINCT authority_id) * 100 + count(*) FROM certificate"
                        + " WHERE profile = '"
                        + OcspSigners.PROFILE
                        + "' AND state = 'ISSUED'"))
            .as("one signer for each of the 2 issuers")
            .isEqualTo(202);
      }
      // Both answer with that CA.
      ServerConfig config = ServerConfigs.from(file.build());
      List<String> chains = new ArrayList<>();
      for (ServerConfigFile.Builder own : files) {
        ManagedChannel channel =
            GrpcaChannels.connect(
                "localhost:" + own.getGrpc().getPort(),
                config.devDir().resolve("ca.pem"),
                config.adminTokenFile());
        try {
          chains.add(
              AuthorityServiceGrpc.newBlockingStub(channel)
                  .getCaChain(GetCaChainRequest.getDefaultInstance())
                  .getChainPem());
        } finally {
          channel.shutdownNow();
        }
      }
      assertThat(chains.get(0)).isNotEmpty().isEqualTo(chains.get(1));
    } finally {
      replicas.forEach(Process::destroyForcibly);
    }
  }

  private static long count(Statement sql, String query) throws Exception {
    try (ResultSet rows = sql.executeQuery(query)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
