package dev.grpca.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CrlView;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.server.config.proto.CrlSection;
import dev.grpca.server.testing.Calls;
import dev.grpca.server.testing.Ocsp;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics of a real server, scraped over HTTP after real calls; the same registry through JMX; the
 * scrape and the shipped alert rules checked by Prometheus's own promtool.
 */
class MetricsTest {
  /** A long debounce: no CRL is published behind the test's back after its Revoke. */
  @RegisterExtension
  static final ServerExtension SERVER =
      new ServerExtension()
          .configured(
              f ->
                  f.setCrl(
                      CrlSection.newBuilder()
                          .setDebounce(com.google.protobuf.Duration.newBuilder().setSeconds(300))));

  static final HttpClient HTTP = HttpClient.newHttpClient();
  static TestServer server;
  static String issuing;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    issuing = server.running().authorities().defaultIssuer().id();
  }

  @Test
  void countersMoveByExactlyWhatWasDone() throws Exception {
    int port = server.running().metricsPort();
    Scrape before = Scrape.of(port);

    var certificates = server.certificates();
    Certificate first =
        certificates.issue(Requests.issue("one.example.com").build()).getCertificate();
    certificates.issue(Requests.issue("two.example.com").build());
    certificates.sign(
        SignRequest.newBuilder().setProfile("default").setCsrPem(csr("sign.example.com")).build());
    certificates.revoke(
        Requests.revoke(
            first.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    // A refused Issue (a name the profile forbids) and a call with a token nobody holds.
    Status.Code refused =
        Calls.failure(
                () ->
                    certificates.issue(
                        Requests.issue("x.example.com")
                            .setProfile("web-server")
                            .addDnsNames("not-example.org")
                            .build()))
            .getStatus()
            .getCode();
    Status.Code unknownToken =
        Calls.failure(
                () ->
                    CertificateServiceGrpc.newBlockingStub(server.channel("not-a-token"))
                        .get(
                            dev.grpca.proto.v1.GetRequest.newBuilder()
                                .setSerialNumber(first.getSerialNumber())
                                .build()))
            .getStatus()
            .getCode();
    Certificate good =
        certificates.issue(Requests.issue("good.example.com").build()).getCertificate();
    assertThat(ocspGet(good)).isEqualTo("good");
    long number =
        server
            .authorities()
            .rebuildCrl(
                RebuildCrlRequest.newBuilder()
                    .setAuthorityId(issuing)
                    .setView(CrlView.CRL_VIEW_BASIC)
                    .build())
            .getCrl()
            .getCrlNumber();

    Scrape after = Scrape.of(port);
    assertThat(refused).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(unknownToken).isEqualTo(Status.Code.UNAUTHENTICATED);
    // One interceptor: every call by service, method and status code.
    assertThat(delta(before, after, "grpca_grpc_call_seconds_count", call("Issue", "OK")))
        .isEqualTo(3);
    assertThat(delta(before, after, "grpca_grpc_call_seconds_count", call("Sign", "OK")))
        .isEqualTo(1);
    assertThat(delta(before, after, "grpca_grpc_call_seconds_count", call("Revoke", "OK")))
        .isEqualTo(1);
    assertThat(
            delta(
                before, after, "grpca_grpc_call_seconds_count", call("Issue", "PERMISSION_DENIED")))
        .isEqualTo(1);
    assertThat(
            delta(before, after, "grpca_grpc_call_seconds_count", call("Get", "UNAUTHENTICATED")))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "grpca_grpc_call_seconds_count",
                "service",
                "AuthorityService",
                "method",
                "RebuildCrl",
                "code",
                "OK"))
        .isEqualTo(1);
    // Issuance by RPC, profile, authority and outcome.
    assertThat(delta(before, after, "grpca_issuance_calls_total", issuance("Issue", "issued")))
        .isEqualTo(3);
    assertThat(delta(before, after, "grpca_issuance_calls_total", issuance("Sign", "issued")))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "grpca_issuance_calls_total",
                "rpc",
                "Issue",
                "profile",
                "web-server",
                "authority",
                issuing,
                "outcome",
                "refused"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "grpca_certificates_issued_total",
                "kind",
                "leaf",
                "authority",
                issuing))
        .isEqualTo(4);
    // Each step of the one certificate path, once per certificate.
    for (String step : MetricNames.STEPS) {
      assertThat(delta(before, after, "grpca_issuance_step_seconds_count", "step", step))
          .as(step)
          .isEqualTo(step.equals("policy") ? 5 : 4);
    }
    assertThat(delta(before, after, "grpca_certificates_revoked_total", "reason", "keyCompromise"))
        .isEqualTo(1);
    assertThat(delta(before, after, "grpca_authentication_failures_total", "kind", "bad_token"))
        .isEqualTo(1);
    assertThat(delta(before, after, "grpca_ocsp_requests_total", "method", "get", "result", "good"))
        .isEqualTo(1);
    assertThat(delta(before, after, "grpca_ocsp_cache_lookups_total", "result", "miss"))
        .isEqualTo(1);
    // RebuildCrl: one CRL built, and the gauges say it is the newest.
    assertThat(delta(before, after, "grpca_crl_build_seconds_count", "authority", issuing))
        .isEqualTo(1);
    assertThat(after.value("grpca_crl_number", "authority", issuing)).isEqualTo(number);
    assertThat(after.value("grpca_crl_entries", "authority", issuing))
        .isEqualTo(before.value("grpca_crl_entries", "authority", issuing) + 1);
    assertThat(after.value("grpca_crl_next_update_seconds", "authority", issuing))
        .isBetween(23 * 3600.0, 24 * 3600.0);
    // Gauges of what the server holds, and the JVM's own from the Prometheus client.
    assertThat(after.value("grpca_token_up")).isEqualTo(1);
    assertThat(after.value("grpca_db_up")).isEqualTo(1);
    assertThat(after.value("grpca_ca_certificate_expiry_seconds", "authority", issuing))
        .isGreaterThan(365 * 86400.0);
    assertThat(after.value("grpca_tls_certificate_expiry_seconds")).isGreaterThan(86400.0);
    assertThat(after.value("grpca_ocsp_signer_expiry_seconds", "authority", issuing))
        .isGreaterThan(3600.0);
    assertThat(after.value("grpca_token_sign_seconds_count", "key_type", "ec_p256"))
        .isGreaterThanOrEqualTo(
            before.value("grpca_token_sign_seconds_count", "key_type", "ec_p256") + 5);
    assertThat(after.has("jvm_memory_used_bytes", "area", "heap")).isTrue();
    assertThat(after.text()).contains("jvm_threads_current", "jvm_gc_collection_seconds_count");
    assertThat(after.text()).doesNotContain(first.getSerialNumber(), "one.example.com");

    // What the alert rules and the dashboard ask for is what a scrape has.
    Path docs = Path.of("..", "docs").toAbsolutePath().normalize();
    String asked =
        Files.readString(docs.resolve("prometheus/alerts.yml"))
            + Files.readString(docs.resolve("grafana/grpca-dashboard.json"));
    java.util.regex.Matcher names = java.util.regex.Pattern.compile("grpca_[a-z_]+").matcher(asked);
    java.util.Set<String> missing = new java.util.TreeSet<>();
    while (names.find()) {
      String family = names.group().replaceFirst("_(count|sum)$", "");
      if (!after.text().contains("# TYPE " + family + " ")) {
        missing.add(names.group());
      }
    }
    assertThat(missing).as("series the docs ask for that /metrics does not export").isEmpty();

    // Prometheus's own linter agrees with the format and the names.
    Path scrape = work.resolve("scrape.txt");
    Files.writeString(scrape, after.text());
    assertThat(Tools.promtool(work, scrape, "check", "metrics").requireSuccess().output())
        .doesNotContain("problem");
  }

  @Test
  void theAlertRulesAreValidAndFireWhenTheyShould() {
    Path docs = Path.of("..", "docs", "prometheus").toAbsolutePath().normalize();
    assertThat(
            Tools.promtool(work, null, "check", "rules", docs.resolve("alerts.yml").toString())
                .requireSuccess()
                .output())
        .contains("SUCCESS");
    // Unit tests of the rules against made-up series: each alert fires, and not too early.
    assertThat(
            Tools.promtool(work, null, "test", "rules", docs.resolve("alerts.test.yml").toString())
                .requireSuccess()
                .output())
        .contains("SUCCESS");
  }

  /** Each of the dashboard's queries, as a recording rule promtool parses. */
  @Test
  void theDashboardQueriesAreValidPromql() throws Exception {
    Path dashboard =
        Path.of("..", "docs", "grafana", "grpca-dashboard.json").toAbsolutePath().normalize();
    com.fasterxml.jackson.databind.JsonNode panels =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(dashboard.toFile())
            .path("panels");
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int count = 0;
    for (var panel : panels) {
      for (var target : panel.path("targets")) {
        String expr = target.path("expr").asText().replace("$__rate_interval", "5m");
        rules
            .append("      - record: dashboard:query_")
            .append(++count)
            .append("\n        expr: '")
            .append(expr.replace("'", "''"))
            .append("'\n");
      }
    }
    assertThat(count).isGreaterThan(20);
    Path file = work.resolve("dashboard-rules.yml");
    Files.writeString(file, rules);
    assertThat(
            Tools.promtool(work, null, "check", "rules", file.toString()).requireSuccess().output())
        .contains("SUCCESS: " + count + " rules found");
  }

  @Test
  void jmxShowsTheSameRegistry() throws Exception {
    server.certificates().issue(Requests.issue("jmx.example.com").build());
    Scrape scrape = Scrape.of(server.running().metricsPort());
    MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
    ObjectName timer =
        new ObjectName("dev.grpca:name=grpc.calls.CertificateService.Issue.OK,type=timers");
    assertThat(((Number) mbeans.getAttribute(timer, "Count")).doubleValue())
        .isEqualTo(scrape.value("grpca_grpc_call_seconds_count", call("Issue", "OK")));
    assertThat(((Number) mbeans.getAttribute(timer, "99thPercentile")).doubleValue())
        .isGreaterThan(0);
    ObjectName gauge = new ObjectName("dev.grpca:name=token.up,type=gauges");
    assertThat(mbeans.getAttribute(gauge, "Value")).isEqualTo(1);
    ObjectName expiry = new ObjectName("dev.grpca:name=ca.expiry." + issuing + ",type=gauges");
    assertThat(((Number) mbeans.getAttribute(expiry, "Value")).doubleValue())
        .isGreaterThan(365 * 86400.0);
  }

  @Test
  void badInputGets4xxAndChangesNothing() throws Exception {
    int port = server.running().metricsPort();
    Scrape before = Scrape.of(port);
    assertThat(status(HttpRequest.newBuilder(uri(port, "/metrics/extra")))).isEqualTo(404);
    assertThat(status(HttpRequest.newBuilder(uri(port, "/metricsx")))).isEqualTo(404);
    assertThat(status(HttpRequest.newBuilder(uri(port, "/metrics?name[]=x")))).isEqualTo(200);
    assertThat(
            status(
                HttpRequest.newBuilder(uri(port, "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x"))))
        .isEqualTo(405);
    assertThat(
            status(
                HttpRequest.newBuilder(uri(port, "/metrics"))
                    .method("DELETE", HttpRequest.BodyPublishers.noBody())))
        .isEqualTo(405);
    // A header far past the 8 KiB the sidecar reads: 431, and the connection is closed.
    assertThat(
            rawRequest(
                port,
                "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 431");
    assertThat(rawRequest(port, "BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
        .startsWith("HTTP/1.1 405");
    assertThat(rawRequest(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(rawRequest(port, "GET /%zz/../metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    Scrape after = Scrape.of(port);
    for (String name :
        new String[] {
          "grpca_certificates_issued_total",
          "grpca_ocsp_requests_total",
          "grpca_grpc_call_seconds_count"
        }) {
      before
          .samples()
          .forEach(
              (key, value) -> {
                if (key.startsWith(name)) {
                  assertThat(after.samples().get(key)).as(key).isEqualTo(value);
                }
              });
    }
    assertThat(status(HttpRequest.newBuilder(uri(port, "/healthz")))).isEqualTo(200);
  }

  private static String[] call(String method, String code) {
    return new String[] {"service", "CertificateService", "method", method, "code", code};
  }

  private static String[] issuance(String rpc, String outcome) {
    return new String[] {
      "rpc", rpc, "profile", "default", "authority", issuing, "outcome", outcome
    };
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }

  private String csr(String name) {
    return Tools.p256Csr(work, "csr.key", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name);
  }

  /** An RFC 6960 A.1 GET to the sidecar; the certificate's status as the answer says it. */
  private static String ocspGet(Certificate c) throws Exception {
    byte[] request = Ocsp.request(server.running().authorities().defaultIssuer().certificate(), c);
    String path =
        "/v1/ocsp/"
            + URLEncoder.encode(
                Base64.getEncoder().encodeToString(request), StandardCharsets.US_ASCII);
    HttpResponse<byte[]> response =
        HTTP.send(
            HttpRequest.newBuilder(uri(server.running().httpPort(), path)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    OCSPResp resp = new OCSPResp(response.body());
    assertThat(resp.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    return ((BasicOCSPResp) resp.getResponseObject()).getResponses()[0].getCertStatus() == null
        ? "good"
        : "not good";
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static int status(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Sends bytes no HTTP client would, and returns the first line of the answer. */
  private static String rawRequest(int port, String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      byte[] answer = socket.getInputStream().readNBytes(12);
      return new String(answer, StandardCharsets.ISO_8859_1);
    }
  }
}
