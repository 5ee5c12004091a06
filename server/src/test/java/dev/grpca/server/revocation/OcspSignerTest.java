package dev.grpca.server.revocation;

import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.config.proto.OcspSection;
import dev.grpca.server.config.proto.OcspSigner;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.testing.Chains;
import dev.grpca.server.testing.Configured;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import dev.grpca.server.testing.Tools;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.SerialNumbers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.eclipse.jetty.http.DateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who signs OCSP responses: a delegated, short-lived, rotated signer per issuer by default, the CA
 * key when configured; nonces; the RFC 5019 caching headers of GET answers.
 */
@ExtendWith(TestServers.class)
class OcspSignerTest {
  @TempDir Path work;
  static final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aDelegatedShortLivedSignerWithItsKeyInTheTokenSignsAndSurvivesARestart(TestServer server)
      throws Exception {
    Certificate leaf = issue(server, "delegated.example.com");
    Instant asked = Instant.now();
    BasicOCSPResp basic = basic(post(server, request(server, leaf, null)));
    X509CertificateHolder intermediate = intermediate(server);

    assertThat(basic.getCerts()).hasSize(1);
    X509CertificateHolder signer = basic.getCerts()[0];
    assertThat(signer.getIssuer()).isEqualTo(intermediate.getSubject());
    assertThat(signer.getSubject().toString())
        .contains("CN=grpca Development Issuing CA OCSP Responder");
    assertThat(signer.isSignatureValid(verifier(intermediate))).isTrue();
    assertThat(basic.isSignatureValid(verifier(signer))).isTrue();
    assertThat(basic.isSignatureValid(verifier(intermediate))).isFalse();
    assertThat(basic.getResponderId())
        .isEqualTo(
            new RespID(
                signer.getSubjectPublicKeyInfo(),
                new JcaDigestCalculatorProviderBuilder().build().get(RespID.HASH_SHA1)));
    assertThat(ExtendedKeyUsage.fromExtensions(signer.getExtensions()).getUsages())
        .containsExactly(KeyPurposeId.id_kp_OCSPSigning);
    assertThat(signer.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck)).isNotNull();
    assertThat(signer.getExtension(Extension.subjectAlternativeName)).isNull();
    assertThat(KeyUsage.fromExtensions(signer.getExtensions()).hasUsages(KeyUsage.keyCertSign))
        .isFalse();
    Instant notAfter = signer.getNotAfter().toInstant();
    assertThat(Duration.between(asked, notAfter))
        .isBetween(Duration.ofDays(2).minusMinutes(5), Duration.ofDays(2));

    String serial = SerialNumbers.toHex(signer.getSerialNumber());
    Certificate recorded =
        server
            .certificates()
            .get(GetRequest.newBuilder().setSerialNumber(serial).build())
            .getCertificate();
    assertThat(recorded.getProfile()).isEqualTo(OcspSigners.PROFILE);
    assertThat(inToken(OcspSigners.label(serial))).isTrue();

    Files.write(work.resolve("signer.der"), signer.getEncoded());
    assertThat(
            openssl(work, "x509", "-inform", "DER", "-in", "signer.der", "-noout", "-text")
                .requireSuccess()
                .output())
        .contains("OCSP Signing")
        .contains("OCSP No Check")
        .contains("CA:FALSE");

    server.restart();
    BasicOCSPResp afterRestart = basic(post(server, request(server, leaf, null)));
    assertThat(afterRestart.getCerts()[0].getSerialNumber()).isEqualTo(signer.getSerialNumber());
  }

  @Test
  void theSignerRotatesWithAThirdLeftAndExpiredSignerKeysAreDestroyed(
      TestServer server, MutableClock clock) throws Exception {
    Certificate leaf = issue(server, "rotate.example.com");
    OcspSigners signers = server.running().ocsp().signers();
    String first = signerSerial(server, leaf);

    clock.advance(Duration.ofHours(31));
    signers.rotateIfDue();
    assertThat(signerSerial(server, leaf)).isEqualTo(first);

    clock.advance(Duration.ofHours(2)); // 33h of 48h: less than a third left
    signers.rotateIfDue();
    String second = signerSerial(server, leaf);
    assertThat(second).isNotEqualTo(first);
    assertThat(inToken(OcspSigners.label(first))).isTrue();

    clock.advance(Duration.ofHours(33)); // the first expired at 48h, the second is due
    signers.rotateIfDue();
    String third = signerSerial(server, leaf);
    assertThat(third).isNotIn(first, second);
    assertThat(inToken(OcspSigners.label(first))).isFalse();
    assertThat(inToken(OcspSigners.label(second))).isTrue();
    assertThat(inToken(OcspSigners.label(third))).isTrue();
  }

  @Test
  void aRevokedSignerIsReplacedAtTheNextCheck(TestServer server) throws Exception {
    Certificate leaf = issue(server, "revoked-signer.example.com");
    String first = signerSerial(server, leaf);
    server
        .certificates()
        .revoke(Requests.revoke(first, RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    server.running().ocsp().signers().rotateIfDue();
    server.running().ocsp().invalidate(leaf.getSerialNumber());
    assertThat(signerSerial(server, leaf)).isNotEqualTo(first);
  }

  @Test
  @Configured("caKeySigner")
  void caKeyModeSignsWithTheIssuingCaKeyAndShipsNoCertificate(TestServer server) throws Exception {
    Certificate leaf = issue(server, "ca-key.example.com");
    BasicOCSPResp basic = basic(post(server, request(server, leaf, null)));
    assertThat(basic.getCerts()).isEmpty();
    assertThat(basic.isSignatureValid(verifier(intermediate(server)))).isTrue();
    Chains.write(work, leaf);
    Files.writeString(work.resolve("cert.pem"), leaf.getCertificatePem());
    assertThat(
            Tools.opensslOcsp(
                work,
                "intermediate.pem",
                "cert.pem",
                "http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp"))
        .contains("Response verify OK")
        .contains("cert.pem: good");
  }

  @Test
  void noncesAreIgnoredByDefaultSoAnswersAreShared(TestServer server) throws Exception {
    Certificate leaf = issue(server, "nonce-ignored.example.com");
    byte[] a = post(server, request(server, leaf, new byte[] {1, 2, 3, 4})).body();
    byte[] b = post(server, request(server, leaf, new byte[] {5, 6, 7, 8})).body();
    assertThat(a).isEqualTo(b);
    assertThat(basic(a).getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)).isNull();
  }

  @Test
  @Configured("echoingNonces")
  void noncesAreEchoedWhenConfiguredAndSuchAnswersAreNotCached(TestServer server) throws Exception {
    Certificate leaf = issue(server, "nonce-echoed.example.com");
    byte[] nonce = {9, 8, 7, 6, 5, 4, 3, 2};
    BasicOCSPResp answer = basic(post(server, request(server, leaf, nonce)).body());
    assertThat(answer.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce).getExtnValue())
        .isEqualTo(new DEROctetString(nonce)); // the request's extension, as it came
    HttpResponse<byte[]> get = get(server, request(server, leaf, nonce), null);
    assertThat(get.headers().firstValue("cache-control")).hasValue("no-store");
    assertThat(get.headers().firstValue("etag")).isEmpty();
    // Without a nonce the answer is shared and cacheable as usual.
    HttpResponse<byte[]> plain = get(server, request(server, leaf, null), null);
    assertThat(plain.headers().firstValue("cache-control").orElseThrow()).startsWith("public");
  }

  @Test
  void getAnswersCarryRfc5019CachingHeadersAndRevalidate(TestServer server) throws Exception {
    Certificate leaf = issue(server, "headers.example.com");
    byte[] request = request(server, leaf, null);
    HttpResponse<byte[]> first = get(server, request, null);
    assertThat(first.statusCode()).isEqualTo(200);
    BasicOCSPResp basic = basic(first.body());
    Instant thisUpdate = basic.getResponses()[0].getThisUpdate().toInstant();
    Instant nextUpdate = basic.getResponses()[0].getNextUpdate().toInstant();
    assertThat(Duration.between(thisUpdate, nextUpdate)).isEqualTo(Duration.ofHours(1));
    assertThat(first.headers().firstValue("last-modified"))
        .hasValue(DateGenerator.formatDate(thisUpdate));
    assertThat(first.headers().firstValue("expires"))
        .hasValue(DateGenerator.formatDate(nextUpdate));
    String cacheControl = first.headers().firstValue("cache-control").orElseThrow();
    assertThat(cacheControl).matches("public, max-age=\\d+, no-transform, must-revalidate");
    long maxAge = Long.parseLong(cacheControl.replaceAll("\\D", ""));
    assertThat(maxAge).isBetween(1L, 60L); // never longer than the process reuses it
    String etag = first.headers().firstValue("etag").orElseThrow();
    assertThat(etag).matches("\"[0-9a-f]{40}\"");

    HttpResponse<byte[]> revalidated = get(server, request, etag);
    assertThat(revalidated.statusCode()).isEqualTo(304);
    assertThat(revalidated.body()).isEmpty();
    assertThat(get(server, request, "\"other\"").statusCode()).isEqualTo(200);

    assertThat(post(server, request).headers().firstValue("cache-control")).hasValue("no-store");
  }

  /** Whether the token holds a key under {@code label}, seen through a token session of its own. */
  private static boolean inToken(String label) {
    return SoftHsm.open().find(label).isPresent();
  }

  private static String signerSerial(TestServer server, Certificate leaf) throws Exception {
    server.running().ocsp().invalidate(leaf.getSerialNumber());
    BasicOCSPResp basic = basic(post(server, request(server, leaf, null)));
    assertThat(basic.isSignatureValid(verifier(basic.getCerts()[0]))).isTrue();
    return SerialNumbers.toHex(basic.getCerts()[0].getSerialNumber());
  }

  private static Certificate issue(TestServer server, String name) {
    return server.certificates().issue(Requests.issue(name).build()).getCertificate();
  }

  private static X509CertificateHolder intermediate(TestServer server) throws Exception {
    return new JcaX509CertificateHolder(
        server.running().authorities().defaultIssuer().certificate());
  }

  private static org.bouncycastle.operator.ContentVerifierProvider verifier(
      X509CertificateHolder certificate) throws Exception {
    return new JcaContentVerifierProviderBuilder().build(certificate);
  }

  private static byte[] request(TestServer server, Certificate leaf, byte[] nonce)
      throws Exception {
    OCSPReqBuilder builder =
        new OCSPReqBuilder()
            .addRequest(
                new CertificateID(
                    new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    intermediate(server),
                    Certificates.parsePem(leaf.getCertificatePem()).getSerialNumber()));
    if (nonce != null) {
      builder.setRequestExtensions(
          new Extensions(
              new Extension(
                  OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce))));
    }
    return builder.build().getEncoded();
  }

  private static HttpResponse<byte[]> post(TestServer server, byte[] request) throws Exception {
    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(request))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return response;
  }

  private static HttpResponse<byte[]> get(TestServer server, byte[] request, String ifNoneMatch)
      throws Exception {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(
            URI.create(
                "http://127.0.0.1:"
                    + server.running().httpPort()
                    + "/v1/ocsp/"
                    + java.net.URLEncoder.encode(
                        Base64.getEncoder().encodeToString(request),
                        java.nio.charset.StandardCharsets.US_ASCII)));
    if (ifNoneMatch != null) {
      builder.header("If-None-Match", ifNoneMatch);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static BasicOCSPResp basic(HttpResponse<byte[]> response) throws Exception {
    return basic(response.body());
  }

  private static BasicOCSPResp basic(byte[] der) throws Exception {
    OCSPResp response = new OCSPResp(der);
    assertThat(response.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    return (BasicOCSPResp) response.getResponseObject();
  }

  static void caKeySigner(ServerConfigFile.Builder file) {
    file.setOcsp(OcspSection.newBuilder().setSigner(OcspSigner.OCSP_SIGNER_CA_KEY));
  }

  static void echoingNonces(ServerConfigFile.Builder file) {
    file.setOcsp(OcspSection.newBuilder().setEchoNonce(true));
  }
}
