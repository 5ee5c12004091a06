package dev.grpca.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.config.proto.DatabaseSection;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.Ocsp;
import dev.grpca.server.testing.Postgres;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL server stopped under two running replicas, then started again: calls are
 * UNAVAILABLE meanwhile, /readyz says not ready, and everything comes back without a restart:
 * calls, readiness, the change feed between the replicas and CRL publishing.
 */
class DatabaseOutageTest {
  private static final HttpClient http = HttpClient.newHttpClient();

  @Test
  void callsAreUnavailableWhileTheDatabaseIsDownAndEverythingRecoversWhenItReturns(
      @TempDir Path data, @TempDir Path pgData) throws Exception {
    try (Postgres.Stoppable pg = Postgres.ownServer(pgData);
        TestServer server =
            TestServer.start(
                data,
                Clock.systemUTC(),
                file ->
                    file.setDatabase(
                        DatabaseSection.newBuilder().setJdbcUrl(pg.url()).setUser(Postgres.USER)),
                Engine.POSTGRES)) {
      CaServer replica = server.startReplica();
      try {
        var one = server.certificates();
        var two = CertificateServiceGrpc.newBlockingStub(server.adminChannel(replica));
        Certificate early = one.issue(Requests.issue("early.example.com").build()).getCertificate();
        assertThat(readyz(server.running()).statusCode()).isEqualTo(200);

        // Issuance runs on through the outage; what it returns must all be stored.
        Queue<Certificate> returned = new ConcurrentLinkedQueue<>();
        Set<Status.Code> failures = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger names = new AtomicInteger();
        ExecutorService load = Executors.newFixedThreadPool(2);
        for (int t = 0; t < 2; t++) {
          var stub = t == 0 ? one : two;
          load.submit(
              () -> {
                while (!stop.get()) {
                  try {
                    returned.add(
                        stub.issue(
                                Requests.issue("load-" + names.incrementAndGet() + ".example.com")
                                    .build())
                            .getCertificate());
                  } catch (StatusRuntimeException e) {
                    failures.add(e.getStatus().getCode());
                  }
                }
              });
        }
        Thread.sleep(500);
        pg.stop();

        StatusRuntimeException down =
            catchThrowableOfType(
                () -> one.issue(Requests.issue("down.example.com").build()),
                StatusRuntimeException.class);
        assertThat(down.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        StatusRuntimeException get =
            catchThrowableOfType(
                () ->
                    two.get(
                        GetRequest.newBuilder().setSerialNumber(early.getSerialNumber()).build()),
                StatusRuntimeException.class);
        assertThat(get.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        HttpResponse<String> notReady = readyz(replica);
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("database");
        // The metrics still answer, and say so within the 5 s between pings.
        Instant told = Instant.now().plusSeconds(15);
        while (databaseUp(replica) != 0) {
          assertThat(Instant.now()).as("grpca_db_up 0").isBefore(told);
          Thread.sleep(200);
        }

        pg.start();
        Instant deadline = Instant.now().plusSeconds(30);
        while (readyz(server.running()).statusCode() != 200
            || readyz(replica).statusCode() != 200) {
          assertThat(Instant.now()).as("ready again").isBefore(deadline);
          Thread.sleep(200);
        }
        Instant upAgain = Instant.now().plusSeconds(15);
        while (databaseUp(replica) != 1) {
          assertThat(Instant.now()).as("grpca_db_up 1").isBefore(upAgain);
          Thread.sleep(200);
        }
        int atRecovery = returned.size();
        while (returned.size() < atRecovery + 10) {
          assertThat(Instant.now()).as("issuing again").isBefore(deadline);
          Thread.sleep(50);
        }
        stop.set(true);
        load.shutdown();
        assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        // Every failure said "retry": nothing else.
        assertThat(failures).containsOnly(Status.Code.UNAVAILABLE);

        // Nothing half-written is visible: what was returned is stored, whole; rows of calls that
        // failed are not certificates anyone can read.
        Set<String> serials = new HashSet<>();
        for (Certificate c : returned) {
          serials.add(c.getSerialNumber());
          assertThat(
                  two.get(GetRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build())
                      .getCertificate()
                      .getCertificatePem())
              .isEqualTo(c.getCertificatePem());
        }
        serials.add(early.getSerialNumber());
        try (var c = server.connect();
            var select =
                c.prepareStatement(
                    "SELECT serial_number FROM certificate WHERE certificate_pem IS NOT NULL");
            var rows = select.executeQuery()) {
          Set<String> stored = new HashSet<>();
          while (rows.next()) {
            stored.add(rows.getString(1));
          }
          assertThat(stored).containsAll(serials);
        }

        // The change feed between the replicas is back: a revocation on one reaches the other's
        // OCSP answers (kept 60 s otherwise) at once; and the CRL job publishes it.
        String issuing = server.running().authorities().defaultIssuer().id();
        byte[] request =
            Ocsp.request(server.running().authorities().defaultIssuer().certificate(), early);
        assertThat(Ocsp.status(server.running(), request)).isNull();
        long crlBefore = server.newestCrl(issuing);
        two.revoke(
            Requests.revoke(
                early.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
        Instant seen = Instant.now().plusSeconds(2);
        while (!(Ocsp.status(server.running(), request) instanceof RevokedStatus)) {
          assertThat(Instant.now()).as("revocation heard by the other replica").isBefore(seen);
          Thread.sleep(20);
        }
        Instant published = Instant.now().plus(Core.LEASE_TIME).plusSeconds(5);
        while (server.newestCrl(issuing) <= crlBefore) {
          assertThat(Instant.now()).as("CRL published").isBefore(published);
          Thread.sleep(100);
        }
      } finally {
        replica.close();
      }
    }
  }

  private static HttpResponse<String> readyz(CaServer server) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/readyz"))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** grpca_db_up as {@code replica}'s /metrics says it (a scrape that fails fails the test). */
  private static int databaseUp(CaServer replica) throws Exception {
    HttpResponse<String> scrape =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + replica.metricsPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?m)^grpca_db_up (\\S+)$").matcher(scrape.body());
    assertThat(m.find()).as("grpca_db_up in the scrape").isTrue();
    return (int) Double.parseDouble(m.group(1));
  }
}
