package dev.grpca.server.revocation;

import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.testing.Chains;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import dev.grpca.server.x509.Certificates;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** OCSP over real HTTP, asked by OpenSSL, curl and the JDK's own PKIX validator. */
class OcspTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  @TempDir Path work;
  static TestServer server;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = SERVER.server();
  }

  @Test
  void opensslSeesGoodThenRevokedWithTheReasonAndTime() throws Exception {
    Certificate c = issue("ocsp.example.com");
    Chains.write(work, c);
    Files.writeString(work.resolve("cert.pem"), c.getCertificatePem());
    String url = ocspUrl(c);
    assertThat(url).isEqualTo("http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp");
    String good = Tools.opensslOcsp(work, "intermediate.pem", "cert.pem", url);
    assertThat(good).contains("Response verify OK").contains("cert.pem: good");

    server
        .certificates()
        .revoke(
            Requests.revoke(
                c.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    String revoked = Tools.opensslOcsp(work, "intermediate.pem", "cert.pem", url);
    assertThat(revoked)
        .contains("Response verify OK")
        .contains("cert.pem: revoked")
        .contains("Reason: keyCompromise")
        .contains("Revocation Time");
  }

  @Test
  void theRootsResponderSaysTheIssuingCaIsGood() throws Exception {
    Chains.write(work, issue("chain.example.com"));
    Files.writeString(work.resolve("u.pem"), Files.readString(work.resolve("intermediate.pem")));
    String url =
        openssl(work, "x509", "-in", "u.pem", "-noout", "-ocsp_uri")
            .requireSuccess()
            .output()
            .strip();
    String answer = Tools.opensslOcsp(work, "root.pem", "intermediate.pem", url);
    assertThat(answer).contains("Response verify OK").contains("intermediate.pem: good");
  }

  @Test
  void getWorksWithSlashesAndPlusesRawOrEncoded() throws Exception {
    Certificate c = issue("get.example.com");
    byte[] request = null;
    String b64 = "";
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 1000 && !(b64.contains("/") && b64.contains("+")); i++) {
      byte[] nonce = new byte[16];
      random.nextBytes(nonce);
      request = request(List.of(id(c)), nonce);
      b64 = Base64.getEncoder().encodeToString(request);
    }
    assertThat(b64).contains("/").contains("+");
    String base = "http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp/";
    Tools.Result curl =
        Tools.run(work, List.of("curl", "-sf", "-o", "raw.der", base + b64)).requireSuccess();
    assertThat(curl.exitCode()).isZero();
    assertThat(single(Files.readAllBytes(work.resolve("raw.der"))).getCertStatus())
        .isNull(); // good
    Tools.run(
            work,
            List.of(
                "curl",
                "-sf",
                "-o",
                "enc.der",
                base + URLEncoder.encode(b64, StandardCharsets.US_ASCII)))
        .requireSuccess();
    assertThat(single(Files.readAllBytes(work.resolve("enc.der"))).getCertStatus()).isNull();
  }

  @Test
  void aRepeatedGetIsServedAgainUntilTheCertificateIsRevoked() throws Exception {
    Certificate c = issue("get-again.example.com");
    String url =
        "http://127.0.0.1:"
            + server.running().httpPort()
            + "/v1/ocsp/"
            + URLEncoder.encode(
                Base64.getEncoder().encodeToString(request(List.of(id(c)), null)),
                StandardCharsets.US_ASCII);
    byte[] first = get(url);
    assertThat(single(first).getCertStatus()).isNull(); // good
    // ECDSA signatures are randomised: the same bytes mean the same answer, not a new signature.
    assertThat(get(url)).isEqualTo(first);

    server
        .certificates()
        .revoke(
            Requests.revoke(
                c.getSerialNumber(), RevocationReason.REVOCATION_REASON_CESSATION_OF_OPERATION));
    SingleResp revoked = single(get(url));
    assertThat(revoked.getCertStatus()).isInstanceOf(RevokedStatus.class);
    assertThat(((RevokedStatus) revoked.getCertStatus()).getRevocationReason()).isEqualTo(5);
  }

  @Test
  void certIdsHashedWithSha256NameTheirIssuerToo() throws Exception {
    Certificate c = issue("sha256-certid.example.com");
    CertificateID sha256 = sha256Id(c);
    OCSPResp response = post(request(List.of(sha256), null));
    assertThat(response.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    SingleResp answer = ((BasicOCSPResp) response.getResponseObject()).getResponses()[0];
    assertThat(answer.getCertStatus()).isNull(); // good
    assertThat(answer.getCertID()).isEqualTo(sha256);
  }

  @Test
  void aSharedAnswerNamesTheCertificateAsEachRequestHashedIt() throws Exception {
    Certificate c = issue("both-hashes.example.com");
    CertificateID sha1 = id(c);
    CertificateID sha256 = sha256Id(c);
    // The SHA-1 answer is signed and kept first; a SHA-256 request must not get it (a client
    // matches the CertID it sent, hash algorithm included).
    for (CertificateID id : List.of(sha1, sha256, sha1, sha256)) {
      OCSPResp response = post(request(List.of(id), null));
      SingleResp answer = ((BasicOCSPResp) response.getResponseObject()).getResponses()[0];
      assertThat(answer.getCertID()).isEqualTo(id);
    }
  }

  @Test
  void everyRequestOfAMultiRequestIsAnswered() throws Exception {
    Certificate good = issue("multi-good.example.com");
    Certificate revoked = issue("multi-revoked.example.com");
    server
        .certificates()
        .revoke(
            Requests.revoke(
                revoked.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    OCSPResp response = post(request(List.of(id(good), id(revoked)), null));
    assertThat(response.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    SingleResp[] answers = ((BasicOCSPResp) response.getResponseObject()).getResponses();
    assertThat(answers).hasSize(2);
    assertThat(answers[0].getCertStatus()).isNull();
    assertThat(answers[1].getCertStatus()).isInstanceOf(RevokedStatus.class);
    assertThat(((RevokedStatus) answers[1].getCertStatus()).getRevocationReason()).isEqualTo(4);
    // A serial this CA never issued: unauthorized, unsigned (it was a signed "unknown" before).
    CertificateID unknown =
        new CertificateID(digests(), intermediateHolder(), BigInteger.valueOf(42));
    assertThat(post(request(List.of(id(good), id(revoked), unknown), null)).getStatus())
        .isEqualTo(OCSPResp.UNAUTHORIZED);
    assertThat(post(request(List.of(unknown), null)).getStatus()).isEqualTo(OCSPResp.UNAUTHORIZED);
  }

  @Test
  void foreignIssuersGarbageAndOversizeGetOcspErrorsOr4xxNever5xx() throws Exception {
    CertificateID foreign =
        new CertificateID(
            new CertID(
                new AlgorithmIdentifier(org.bouncycastle.asn1.oiw.OIWObjectIdentifiers.idSHA1),
                new DEROctetString(new byte[20]),
                new DEROctetString(new byte[20]),
                new ASN1Integer(7)));
    assertThat(post(request(List.of(foreign), null)).getStatus()).isEqualTo(OCSPResp.UNAUTHORIZED);
    assertThat(post(new byte[] {1, 2, 3}).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
    byte[] good = request(List.of(id(issue("trunc.example.com"))), null);
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 5);
    assertThat(post(truncated).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
    HttpResponse<byte[]> big = rawPost(new byte[70 * 1024]);
    assertThat(big.statusCode()).isEqualTo(413);
    String code =
        Tools.run(
                work,
                List.of(
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp/%%%not-base64"))
            .output()
            .strip();
    assertThat(Integer.parseInt(code)).isLessThan(500);
    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.running().httpPort() + "/healthz"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void javasPkixValidatorAcceptsGoodAndRejectsRevokedOverHttp() throws Exception {
    Certificate good = issue("pkix-good.example.com");
    Certificate revoked = issue("pkix-revoked.example.com");
    server
        .certificates()
        .revoke(
            Requests.revoke(
                revoked.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    validate(good);
    assertThatThrownBy(() -> validate(revoked))
        .isInstanceOfSatisfying(
            CertPathValidatorException.class,
            e ->
                assertThat(e.getReason())
                    .isEqualTo(CertPathValidatorException.BasicReason.REVOKED));
  }

  private static void validate(Certificate c) throws Exception {
    X509Certificate leaf = Certificates.parsePem(c.getCertificatePem());
    X509Certificate intermediate = server.running().authorities().defaultIssuer().certificate();
    X509Certificate root = server.running().authorities().defaultIssuer().root();
    CertPathValidator validator = CertPathValidator.getInstance("PKIX");
    PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
    // Every certificate of the path is checked over OCSP: the leaf with the issuing CA's
    // responder, the issuing CA with the root's.
    checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.NO_FALLBACK));
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    parameters.addCertPathChecker(checker);
    parameters.setRevocationEnabled(true);
    validator.validate(
        CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf, intermediate)),
        parameters);
  }

  private static Certificate issue(String name) {
    return server.certificates().issue(Requests.issue(name).build()).getCertificate();
  }

  /** {@code c}'s CertID with SHA-256 hashes of its issuer's name and key. */
  private static CertificateID sha256Id(Certificate c) throws Exception {
    return new CertificateID(
        new JcaDigestCalculatorProviderBuilder()
            .build()
            .get(
                new AlgorithmIdentifier(
                    org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256)),
        intermediateHolder(),
        Certificates.parsePem(c.getCertificatePem()).getSerialNumber());
  }

  private static CertificateID id(Certificate c) throws Exception {
    return new CertificateID(
        digests(),
        intermediateHolder(),
        Certificates.parsePem(c.getCertificatePem()).getSerialNumber());
  }

  private static JcaX509CertificateHolder intermediateHolder() throws Exception {
    return new JcaX509CertificateHolder(
        server.running().authorities().defaultIssuer().certificate());
  }

  private static org.bouncycastle.operator.DigestCalculator digests() throws Exception {
    return new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
  }

  private static byte[] request(List<CertificateID> ids, byte[] nonce) throws Exception {
    OCSPReqBuilder builder = new OCSPReqBuilder();
    for (CertificateID id : ids) {
      builder.addRequest(id);
    }
    if (nonce != null) {
      builder.setRequestExtensions(
          new Extensions(
              new Extension(
                  OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce))));
    }
    return builder.build().getEncoded();
  }

  private static OCSPResp post(byte[] body) throws Exception {
    HttpResponse<byte[]> response = rawPost(body);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/ocsp-response");
    return new OCSPResp(response.body());
  }

  private static byte[] get(String url) throws Exception {
    HttpResponse<byte[]> response =
        http.send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static HttpResponse<byte[]> rawPost(byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp"))
            .header("content-type", "application/ocsp-request")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static SingleResp single(byte[] der) throws Exception {
    OCSPResp response = new OCSPResp(der);
    assertThat(response.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    return ((BasicOCSPResp) response.getResponseObject()).getResponses()[0];
  }

  private String ocspUrl(Certificate c) throws Exception {
    Files.writeString(work.resolve("u.pem"), c.getCertificatePem());
    return openssl(work, "x509", "-in", "u.pem", "-noout", "-ocsp_uri")
        .requireSuccess()
        .output()
        .strip();
  }
}
