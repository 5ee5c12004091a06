package dev.grpca.server.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.authority.Authority;
import dev.grpca.server.issuance.IssuedCertificate;
import dev.grpca.server.testing.CaCore;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What OCSP requests cost in token signatures, counted on the real token: nothing for a serial this
 * CA never issued, one per answer lifetime for a known one however many ask at once.
 */
class OcspSigningCostTest {
  @TempDir static Path data;
  static CaCore core;
  static OcspSigners signers;
  static OcspResponder responder;
  static Authority issuer;
  static final String SOURCE = "127.0.0.1";

  @BeforeAll
  static void build() {
    core = new CaCore(data, Clock.systemUTC());
    issuer = core.authorities.defaultIssuer();
    signers =
        OcspSigners.delegated(
                core.authorities,
                core.token,
                core.database.certificates(),
                core.factory,
                core.clock,
                Duration.ofDays(2))
            .start(core.scheduler);
    responder = responder(false);
  }

  @AfterAll
  static void close() {
    core.close();
  }

  @Test
  void aThousandConcurrentRequestsForOneKnownSerialCostOneSignature() throws Exception {
    byte[] request = request(false, serialOf(core.issue("busy.example.com", Map.of())));
    int before = core.token.signatures();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<OcspAnswer>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < 1000; i++) {
        answers.add(
            callers.submit(
                () -> {
                  go.await();
                  return responder.respond(request, SOURCE);
                }));
      }
      go.countDown();
      byte[] first = answers.get(0).get().der();
      for (Future<OcspAnswer> answer : answers) {
        assertThat(answer.get().der()).isEqualTo(first);
      }
      assertThat(new OCSPResp(first).getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    } finally {
      callers.shutdownNow();
    }
    assertThat(core.token.signatures() - before).isEqualTo(1);
  }

  @Test
  void randomUnknownSerialsGetUnauthorizedAndCostNoSignature() throws Exception {
    OcspResponder echoing = responder(true);
    BigInteger known = serialOf(core.issue("known.example.com", Map.of()));
    SecureRandom random = new SecureRandom();
    int before = core.token.signatures();
    for (int i = 0; i < 200; i++) {
      BigInteger unknown = new BigInteger(128, random).add(BigInteger.ONE);
      assertThat(status(responder.respond(request(false, unknown), SOURCE)))
          .isEqualTo(OCSPResp.UNAUTHORIZED);
      // With a nonce to echo, and beside a known serial, it is refused just the same.
      assertThat(status(echoing.respond(request(true, unknown), SOURCE)))
          .isEqualTo(OCSPResp.UNAUTHORIZED);
      assertThat(status(responder.respond(request(false, known, unknown), SOURCE)))
          .isEqualTo(OCSPResp.UNAUTHORIZED);
    }
    assertThat(core.token.signatures()).isEqualTo(before);
    // A request that cannot share an answer is signed only when it names certificates issued here.
    assertThat(status(echoing.respond(request(true, known), SOURCE)))
        .isEqualTo(OCSPResp.SUCCESSFUL);
    assertThat(core.token.signatures()).isEqualTo(before + 1);
  }

  @Test
  void aRevocationReSignsTheAnswerAtOnce() throws Exception {
    IssuedCertificate leaf = core.issue("revoked-soon.example.com", Map.of());
    byte[] request = request(false, serialOf(leaf));
    assertThat(single(responder.respond(request, SOURCE)).getResponses()[0].getCertStatus())
        .isNull();
    int before = core.token.signatures();
    new RevocationService(
            core.database.certificates(),
            core.clock,
            (authority, serial) -> responder.invalidate(serial),
            core.metrics)
        .revoke(leaf.stored().serialNumber(), 1, "tester");
    // Signed during the Revoke, as someone was asking about it: the next request costs nothing.
    assertThat(core.token.signatures() - before).isEqualTo(1);
    assertThat(single(responder.respond(request, SOURCE)).getResponses()[0].getCertStatus())
        .isInstanceOf(RevokedStatus.class);
    assertThat(core.token.signatures() - before).isEqualTo(1);
  }

  @Test
  void answersSignedForOneRequestAloneAreLimitedPerSourceAddress() throws Exception {
    OcspResponder limited = responder(true, 3);
    BigInteger known = serialOf(core.issue("limited.example.com", Map.of()));
    for (int i = 0; i < 3; i++) {
      assertThat(status(limited.respond(request(true, known), "192.0.2.1")))
          .isEqualTo(OCSPResp.SUCCESSFUL);
    }
    int before = core.token.signatures();
    assertThat(status(limited.respond(request(true, known), "192.0.2.1")))
        .isEqualTo(OCSPResp.TRY_LATER);
    assertThat(core.token.signatures()).isEqualTo(before);
    // Another address has its own allowance; the shared answer is never limited.
    assertThat(status(limited.respond(request(true, known), "192.0.2.2")))
        .isEqualTo(OCSPResp.SUCCESSFUL);
    for (int i = 0; i < 10; i++) {
      assertThat(status(limited.respond(request(false, known), "192.0.2.1")))
          .isEqualTo(OCSPResp.SUCCESSFUL);
    }
  }

  private static OcspResponder responder(boolean echoNonce) {
    return responder(echoNonce, 1000);
  }

  private static OcspResponder responder(boolean echoNonce, int perMinute) {
    return new OcspResponder(
        core.authorities,
        signers,
        core.database.certificates(),
        core.clock,
        Duration.ofHours(12),
        Duration.ofSeconds(60),
        echoNonce,
        perMinute,
        new BouncyCastleProvider(),
        core.metrics);
  }

  private static BigInteger serialOf(IssuedCertificate c) {
    return new BigInteger(c.stored().serialNumber(), 16);
  }

  private static byte[] request(boolean nonce, BigInteger... serials) throws Exception {
    OCSPReqBuilder builder = new OCSPReqBuilder();
    for (BigInteger serial : serials) {
      builder.addRequest(
          new CertificateID(
              new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
              issuer.certificateHolder(),
              serial));
    }
    if (nonce) {
      byte[] value = new byte[16];
      new SecureRandom().nextBytes(value);
      builder.setRequestExtensions(
          new Extensions(
              new Extension(
                  OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(value))));
    }
    return builder.build().getEncoded();
  }

  private static int status(OcspAnswer answer) throws Exception {
    return new OCSPResp(answer.der()).getStatus();
  }

  private static BasicOCSPResp single(OcspAnswer answer) throws Exception {
    OCSPResp response = new OCSPResp(answer.der());
    assertThat(response.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    return (BasicOCSPResp) response.getResponseObject();
  }
}
