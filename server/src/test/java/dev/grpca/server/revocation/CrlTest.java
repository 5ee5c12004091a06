package dev.grpca.server.revocation;

import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.testing.Chains;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import dev.grpca.server.testing.Tools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** CRLs over real HTTP, read and used by OpenSSL. */
@ExtendWith(TestServers.class)
class CrlTest {
  @TempDir Path work;

  @Test
  void aRevokedCertificateIsInTheCrlAndOpensslRejectsIt(TestServer server) throws Exception {
    var certificates = server.certificates();
    Certificate good = issue(certificates, "good.example.com", 0);
    Certificate bad = issue(certificates, "bad.example.com", 0);
    long first = server.running().crls().latest(issuing(server)).orElseThrow().number();
    certificates.revoke(
        Requests.revoke(bad.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));

    // Published by the background job within the debounce time (1 s in tests).
    byte[] der = null;
    for (int i = 0; i < 100; i++) {
      der = fetch(server, "/v1/crl");
      if (server.running().crls().latest(issuing(server)).orElseThrow().number() > first) {
        der = fetch(server, "/v1/crl");
        break;
      }
      Thread.sleep(100);
    }
    Files.write(work.resolve("crl.der"), der);
    String text =
        openssl(work, "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text")
            .requireSuccess()
            .output();
    assertThat(text)
        .contains("Serial Number: " + opensslSerial(bad))
        .contains("Key Compromise")
        .contains("X509v3 CRL Number")
        .contains("X509v3 Authority Key Identifier")
        .doesNotContain(opensslSerial(good));

    Files.writeString(work.resolve("crl.pem"), new String(fetch(server, "/v1/crl.pem")));
    Chains.write(work, bad);
    Files.writeString(work.resolve("bad.pem"), bad.getCertificatePem());
    Files.writeString(work.resolve("good.pem"), good.getCertificatePem());
    var rejected = verifyWithCrl("bad.pem");
    assertThat(rejected.exitCode()).isNotZero();
    assertThat(rejected.output()).contains("certificate revoked");
    assertThat(verifyWithCrl("good.pem").requireSuccess().output()).contains("good.pem: OK");
    assertThat(fetch(server, "/v1/issuers/" + issuing(server) + "/crl"))
        .isEqualTo(fetchLatest(server));
  }

  @Test
  void numbersIncreaseAndExpiredCertificatesDropOff(TestServer server, MutableClock clock)
      throws Exception {
    Certificate shortLived = issue(server.certificates(), "short.example.com", 3600);
    revoke(server, shortLived, RevocationReason.REVOCATION_REASON_SUPERSEDED);
    StoredCrl with = server.running().crls().publish(issuing(server));
    Files.write(work.resolve("with.der"), with.der());
    assertThat(
            openssl(work, "crl", "-inform", "DER", "-in", "with.der", "-noout", "-text").output())
        .contains(opensslSerial(shortLived));

    clock.advance(Duration.ofHours(2));
    // RebuildCrl over gRPC publishes at once; GetCrl returns the same bytes.
    var rebuilt =
        server
            .authorities()
            .rebuildCrl(dev.grpca.proto.v1.RebuildCrlRequest.getDefaultInstance())
            .getCrl();
    assertThat(rebuilt.getCrlNumber()).isGreaterThan(with.number());
    assertThat(
            server
                .authorities()
                .getCrl(dev.grpca.proto.v1.GetCrlRequest.getDefaultInstance())
                .getCrl())
        .isEqualTo(rebuilt);
    assertThat(rebuilt.getCrlPem()).startsWith("-----BEGIN X509 CRL-----");
    Files.write(work.resolve("without.der"), rebuilt.getCrlDer().toByteArray());
    assertThat(
            openssl(work, "crl", "-inform", "DER", "-in", "without.der", "-noout", "-text")
                .output())
        .doesNotContain(opensslSerial(shortLived))
        .contains("No Revoked Certificates");
  }

  @Test
  void theBasicViewCarriesNoBytesAndOnlyTheNewestTwoCrlsStay(TestServer server) throws Exception {
    Certificate revoked = issue(server.certificates(), "basic.example.com", 0);
    long before = server.running().crls().latest(issuing(server)).orElseThrow().number();
    revoke(server, revoked, RevocationReason.REVOCATION_REASON_KEY_COMPROMISE);
    // The revocation's own (debounced) CRL first, so that none is published after RebuildCrl's.
    for (int i = 0;
        i < 100 && server.running().crls().latest(issuing(server)).orElseThrow().number() == before;
        i++) {
      Thread.sleep(100);
    }
    var basic =
        server
            .authorities()
            .rebuildCrl(
                dev.grpca.proto.v1.RebuildCrlRequest.newBuilder()
                    .setView(dev.grpca.proto.v1.CrlView.CRL_VIEW_BASIC)
                    .build())
            .getCrl();
    assertThat(basic.getCrlDer().isEmpty()).isTrue();
    assertThat(basic.getCrlPem()).isEmpty();
    assertThat(basic.getEntryCount()).isEqualTo(1);
    assertThat(basic.getCrlUrl())
        .endsWith("/v1/issuers/" + issuing(server) + "/crl")
        .startsWith("http://");
    byte[] served = fetch(server, "/v1/issuers/" + issuing(server) + "/crl");
    assertThat(basic.getDerSize()).isEqualTo(served.length);

    var full =
        server.authorities().getCrl(dev.grpca.proto.v1.GetCrlRequest.getDefaultInstance()).getCrl();
    assertThat(full.getCrlDer().toByteArray()).isEqualTo(served);
    assertThat(full.toBuilder().clearCrlDer().clearCrlPem().build()).isEqualTo(basic);
    assertThat(
            server
                .authorities()
                .getCrl(
                    dev.grpca.proto.v1.GetCrlRequest.newBuilder()
                        .setView(dev.grpca.proto.v1.CrlView.CRL_VIEW_BASIC)
                        .build())
                .getCrl())
        .isEqualTo(basic);

    for (int i = 0; i < 3; i++) {
      server.running().crls().publish(issuing(server));
    }
    long newest = server.running().crls().latest(issuing(server)).orElseThrow().number();
    try (var rows = server.connect()) {
      var numbers =
          rows.createStatement()
              .executeQuery(
                  "SELECT crl_number, (SELECT COUNT(*) FROM crl_part p WHERE p.crl_number ="
                      + " c.crl_number AND p.authority_id = c.authority_id) FROM crl c WHERE"
                      + " authority_id = '"
                      + issuing(server)
                      + "' ORDER BY crl_number");
      java.util.List<Long> kept = new java.util.ArrayList<>();
      while (numbers.next()) {
        kept.add(numbers.getLong(1));
        assertThat(numbers.getInt(2)).isPositive();
      }
      assertThat(kept).containsExactly(newest - 1, newest);
    }
  }

  /** {@code openssl verify -crl_check} of a leaf in {@code work}, against crl.pem and the chain. */
  private Tools.Result verifyWithCrl(String leaf) {
    return openssl(
        work,
        "verify",
        "-crl_check",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "intermediate.pem",
        "-CRLfile",
        "crl.pem",
        leaf);
  }

  private static void revoke(TestServer server, Certificate c, RevocationReason reason) {
    server.certificates().revoke(Requests.revoke(c.getSerialNumber(), reason));
  }

  /** The first URI after {@code heading} in openssl's text of a certificate. */
  private static String url(String text, String heading) {
    int at = text.indexOf(heading);
    assertThat(at).as(heading + " in\n" + text).isNotNegative();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("URI:(\\S+)").matcher(text.substring(at));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /** A serial as openssl prints it: upper case, an even number of hex digits. */
  private static String opensslSerial(Certificate c) {
    String hex = c.getSerialNumber().toUpperCase(Locale.ROOT);
    return hex.length() % 2 == 0 ? hex : "0" + hex;
  }

  private static String issuing(TestServer server) {
    return server.running().authorities().defaultIssuer().id();
  }

  private static Certificate issue(
      CertificateServiceGrpc.CertificateServiceBlockingStub certificates,
      String name,
      long lifetime) {
    IssueRequest.Builder r = Requests.issue(name);
    if (lifetime > 0) {
      r.setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(lifetime));
    }
    return certificates.issue(r.build()).getCertificate();
  }

  private byte[] fetchLatest(TestServer server) {
    return server.running().crls().latest(issuing(server)).orElseThrow().der();
  }

  private static byte[] fetch(TestServer server, String path) throws Exception {
    HttpResponse<byte[]> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.running().httpPort() + path))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }
}
