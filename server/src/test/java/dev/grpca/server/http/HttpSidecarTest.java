package dev.grpca.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.authority.Authority;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP sidecar over real HTTP on loopback. */
class HttpSidecarTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  @TempDir Path work;
  static TestServer server;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = SERVER.server();
  }

  @Test
  void healthAndReadiness() throws Exception {
    HttpResponse<String> health = get("/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("database ok", "hsm ok");
  }

  @Test
  void issuerCertificatesInDerAndPemThatOpensslReads() throws Exception {
    Authority issuing = server.running().authorities().defaultIssuer();
    HttpResponse<byte[]> der = getBytes("/v1/ca");
    assertThat(der.statusCode()).isEqualTo(200);
    assertThat(der.headers().firstValue("content-type")).hasValue("application/pkix-cert");
    assertThat(der.body()).isEqualTo(issuing.certificate().getEncoded());
    Files.write(work.resolve("ca.der"), der.body());
    assertThat(
            Tools.openssl(work, "x509", "-inform", "DER", "-in", "ca.der", "-noout", "-subject")
                .requireSuccess()
                .output())
        .contains("grpca Development Issuing CA");

    assertThat(get("/v1/chain.pem").body()).isEqualTo(issuing.chainPem());
    assertThat(get("/v1/issuers/" + issuing.id() + "/chain.pem").body())
        .isEqualTo(issuing.chainPem());
    Authority root = server.running().authorities().get(rootId());
    assertThat(get("/v1/issuers/" + root.id() + "/ca.pem").body()).isEqualTo(root.rootPem());
  }

  @Test
  void unknownPathsAndIssuersAre404AndWritesAre405() throws Exception {
    assertThat(get("/v1/issuers/nope/ca").statusCode()).isEqualTo(404);
    assertThat(get("/v1/nothing").statusCode()).isEqualTo(404);
    assertThat(get("/").statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(uri("/v1/ca"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  private static String rootId() {
    return server.config().root().id();
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.running().httpPort() + path);
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<byte[]> getBytes(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
