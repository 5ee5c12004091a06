package dev.grpca.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.config.proto.GrpcSection;
import dev.grpca.server.config.proto.HttpSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas on one PostgreSQL database that stop or die: what the others keep doing and what they
 * take over. The killed replica is a JVM of its own, so that SIGKILL is a real crash.
 */
class ReplicaFailoverTest {
  private static final String CRL_LEASE = "crl-publisher";

  @Test
  void aStoppedReplicaHandsItsCrlJobOverAtOnce(@TempDir Path data) throws Exception {
    try (TestServer leader =
        TestServer.start(data, Clock.systemUTC(), file -> {}, Engine.POSTGRES)) {
      // Alone, the first replica published the first CRLs at start: it holds the job. A revocation
      // it publishes the CRL of renews its lease (good for LEASE_TIME from then).
      String leaderId = leaseHolder(leader);
      assertThat(leaderId).isNotNull();
      String issuing = leader.running().authorities().defaultIssuer().id();
      var one = leader.certificates();
      Certificate a = one.issue(Requests.issue("a.example.com").build()).getCertificate();
      Certificate b = one.issue(Requests.issue("b.example.com").build()).getCertificate();
      long before = leader.newestCrl(issuing);
      one.revoke(
          Requests.revoke(a.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
      assertThat(waitForCrlAbove(leader, issuing, before, Duration.ofSeconds(10)))
          .isEqualTo(before + 1);
      CaServer survivor = leader.startReplica();
      try {
        assertThat(leaseHolder(leader)).isEqualTo(leaderId);
        String token = leader.adminToken();
        leader.close();

        var two = CertificateServiceGrpc.newBlockingStub(leader.channel(survivor.port(), token));
        two.revoke(
            Requests.revoke(b.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
        // The debounce is 1 s: well inside the lease the leader renewed, had it kept it.
        assertThat(waitForCrlAbove(leader, issuing, before + 1, Duration.ofSeconds(5)))
            .isEqualTo(before + 2);
        assertThat(leaseHolder(leader)).isNotEqualTo(leaderId);
      } finally {
        survivor.close();
      }
    }
  }

  @Test
  void aReplicaKilledUnderIssuanceLosesNothingItReturnedAndTheSurvivorTakesOverItsJobs(
      @TempDir Path data) throws Exception {
    ServerConfigFile.Builder file = TestServer.fileFor(data, f -> {}, Engine.POSTGRES);
    int childHttp = TestServer.freePort();
    int childGrpc = TestServer.freePort();
    file.setGrpc(GrpcSection.newBuilder().setHost("127.0.0.1").setPort(childGrpc))
        .setHttp(HttpSection.newBuilder().setHost("127.0.0.1").setPort(childHttp));
    Process child = TestServer.spawn(file, data, "child");
    try {
      ServerConfig own =
          ServerConfigs.from(file.build())
              .withListener("127.0.0.1", 0)
              .withHttp("127.0.0.1", TestServer.freePort());
      try (TestServer survivor = TestServer.start(own, Engine.POSTGRES)) {
        String token = survivor.adminToken();
        CertificateServiceBlockingStub toChild =
            CertificateServiceGrpc.newBlockingStub(survivor.channel(childGrpc, token));
        CertificateServiceBlockingStub toSurvivor = survivor.certificates();
        String issuing = survivor.running().authorities().defaultIssuer().id();

        // A revocation the child publishes the CRL of: then the child holds the CRL job as it dies.
        String childPrefix = child.pid() + "-";
        for (int attempt = 0; ; attempt++) {
          Certificate c =
              toChild
                  .issue(Requests.issue("lead-" + attempt + ".example.com").build())
                  .getCertificate();
          long before = survivor.newestCrl(issuing);
          // The survivor may hold the lease from its own start, and it renews it with each CRL it
          // publishes, also for the child's revocations (it hears of them through PostgreSQL). So
          // the lease is run out by hand first: then both replicas ask for it a debounce after
          // the revocation, and the child, which heard of it first, usually gets it.
          if (!String.valueOf(leaseHolder(survivor)).startsWith(childPrefix)) {
            expireLease(survivor);
          }
          toChild.revoke(
              Requests.revoke(c.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
          waitForCrlAbove(survivor, issuing, before, Duration.ofSeconds(10));
          if (leaseHolder(survivor).startsWith(childPrefix) || attempt == 15) {
            break;
          }
        }
        assertThat(leaseHolder(survivor)).startsWith(childPrefix);

        // Issuance on both; the child is killed in the middle of it.
        Queue<Certificate> returned = new ConcurrentLinkedQueue<>();
        Queue<Throwable> survivorFailures = new ConcurrentLinkedQueue<>();
        AtomicInteger fromChild = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger names = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(6);
        for (int t = 0; t < 6; t++) {
          boolean onChild = t % 2 == 0;
          callers.submit(
              () -> {
                while (!stop.get()) {
                  String name = "load-" + names.incrementAndGet() + ".example.com";
                  try {
                    Certificate c =
                        (onChild ? toChild : toSurvivor)
                            .issue(Requests.issue(name).build())
                            .getCertificate();
                    returned.add(c);
                    if (onChild) {
                      fromChild.incrementAndGet();
                    }
                  } catch (StatusRuntimeException e) {
                    if (!onChild) {
                      survivorFailures.add(e);
                    }
                  }
                }
              });
        }
        waitUntil(() -> fromChild.get() >= 30, Duration.ofSeconds(60));
        child.destroyForcibly(); // SIGKILL
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        int atKill = returned.size();
        waitUntil(() -> returned.size() >= atKill + 30, Duration.ofSeconds(60));
        stop.set(true);
        callers.shutdown();
        assertThat(callers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        assertThat(survivorFailures).isEmpty();
        assertThat(fromChild.get()).isGreaterThanOrEqualTo(30);
        // The rows the child recorded and never finished are failed by the sweep (after its grace
        // period, brought forward here); what either returned is stored whole and stays valid.
        survivor.database().certificates().failAbandoned(Instant.now().plusSeconds(1));
        for (Certificate c : returned) {
          Certificate stored =
              toSurvivor
                  .get(GetRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build())
                  .getCertificate();
          assertThat(stored.getCertificatePem()).isEqualTo(c.getCertificatePem());
          assertThat(stored.getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
        }

        // The CRL job passes to the survivor once the dead child's lease runs out.
        Certificate last = returned.peek();
        long before = survivor.newestCrl(issuing);
        toSurvivor.revoke(
            Requests.revoke(last.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
        assertThat(
                waitForCrlAbove(
                    survivor, issuing, before, Core.LEASE_TIME.plus(Duration.ofSeconds(10))))
            .isEqualTo(before + 1);
        assertThat(leaseHolder(survivor)).doesNotStartWith(childPrefix);
      }
    } finally {
      child.destroyForcibly();
    }
  }

  /** Makes the CRL lease look run out, as if its holder had stopped renewing it. */
  private static void expireLease(TestServer server) throws Exception {
    try (var c = server.connect();
        var update = c.prepareStatement("UPDATE lease SET expires_at = ? WHERE name = ?")) {
      update.setObject(1, java.time.OffsetDateTime.parse("2000-01-01T00:00:00Z"));
      update.setString(2, CRL_LEASE);
      update.executeUpdate();
    }
  }

  private static String leaseHolder(TestServer server) throws Exception {
    try (var c = server.connect();
        var select = c.prepareStatement("SELECT holder FROM lease WHERE name = ?")) {
      select.setString(1, CRL_LEASE);
      try (var rows = select.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    }
  }

  /** The newest CRL number once it is above {@code before}, or as it is after {@code patience}. */
  private static long waitForCrlAbove(
      TestServer server, String authorityId, long before, Duration patience) throws Exception {
    Instant deadline = Instant.now().plus(patience);
    long newest = server.newestCrl(authorityId);
    while (newest <= before && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
      newest = server.newestCrl(authorityId);
    }
    return newest;
  }

  private static void waitUntil(java.util.function.BooleanSupplier done, Duration patience)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(patience);
    while (!done.getAsBoolean()) {
      assertThat(Instant.now()).as("waited %s", patience).isBefore(deadline);
      Thread.sleep(50);
    }
  }
}
