package dev.grpca.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.config.proto.MetricsSection;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where /metrics is served, and that turning metrics off turns them off. */
class MetricsListenerTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir Path data;

  @Test
  void aListenerOfItsOwnKeepsMetricsOffTheSidecar() throws Exception {
    int port = TestServer.freePort();
    try (TestServer server =
        TestServer.start(
            data,
            Clock.systemUTC(),
            f -> f.setMetrics(MetricsSection.newBuilder().setHost("127.0.0.1").setPort(port)))) {
      assertThat(server.running().metricsPort()).isEqualTo(port);
      server.certificates().issue(Requests.issue("own.example.com").build());
      Scrape scrape = Scrape.of(port);
      assertThat(
              scrape.value(
                  "grpca_grpc_call_seconds_count",
                  "service",
                  "CertificateService",
                  "method",
                  "Issue",
                  "code",
                  "OK"))
          .isEqualTo(1);
      assertThat(status(port, "/v1/ca.pem")).isEqualTo(404);
      assertThat(status(server.running().httpPort(), "/metrics")).isEqualTo(404);
      assertThat(status(server.running().httpPort(), "/v1/ca.pem")).isEqualTo(200);
    }
  }

  @Test
  void turnedOffNothingIsServedOrRegistered() throws Exception {
    try (TestServer server =
        TestServer.start(
            data,
            Clock.systemUTC(),
            f -> f.setMetrics(MetricsSection.newBuilder().setDisabled(true)))) {
      server.certificates().issue(Requests.issue("off.example.com").build());
      assertThat(status(server.running().httpPort(), "/metrics")).isEqualTo(404);
      assertThat(
              ManagementFactory.getPlatformMBeanServer()
                  .queryNames(new ObjectName("dev.grpca:*"), null))
          .isEmpty();
    }
  }

  private static int status(int port, String path) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
