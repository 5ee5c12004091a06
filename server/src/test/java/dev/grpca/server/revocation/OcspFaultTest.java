package dev.grpca.server.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.testing.CaCore;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * OCSP while the database is unavailable: RFC 6960's tryLater, never an error page or a wrong
 * answer, and the right answers again once it is back, without a restart.
 */
class OcspFaultTest {
  @TempDir Path data;

  @Test
  @Timeout(60)
  void withTheDatabaseGoneEveryRequestGetsTryLater() throws Exception {
    CaCore core = new CaCore(data, Clock.systemUTC());
    try {
      OcspResponder responder =
          new OcspResponder(
              core.authorities,
              OcspSigners.caKeys(core.authorities),
              core.database.certificates(),
              core.clock,
              Duration.ofHours(1),
              Duration.ofSeconds(60),
              false,
              60,
              new BouncyCastleProvider(),
              core.metrics);
      BigInteger issued =
          new BigInteger(core.issue("fault.example.com", Map.of()).stored().serialNumber(), 16);
      byte[] request = request(core, issued);
      byte[] unknown = request(core, BigInteger.valueOf(4242));
      // Another session takes the database for itself: H2 closes every other connection and
      // refuses new ones (mode 2; mode 1 would make them wait).
      try (Connection exclusive = core.engine.connect(core.url);
          Statement sql = exclusive.createStatement()) {
        sql.execute("SET EXCLUSIVE 2");
        assertThat(status(responder.respond(request, "192.0.2.9"))).isEqualTo(OCSPResp.TRY_LATER);
        assertThat(status(responder.respond(unknown, "192.0.2.9"))).isEqualTo(OCSPResp.TRY_LATER);
        sql.execute("SET EXCLUSIVE 0");
      }
      // Back without a restart: the answers are what they were going to be.
      assertThat(status(responder.respond(request, "192.0.2.9"))).isEqualTo(OCSPResp.SUCCESSFUL);
      assertThat(status(responder.respond(unknown, "192.0.2.9"))).isEqualTo(OCSPResp.UNAUTHORIZED);
    } finally {
      core.close();
    }
  }

  private static int status(OcspAnswer answer) throws Exception {
    return new OCSPResp(answer.der()).getStatus();
  }

  private static byte[] request(CaCore core, BigInteger serial) throws Exception {
    return new OCSPReqBuilder()
        .addRequest(
            new CertificateID(
                new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                core.authorities.defaultIssuer().certificateHolder(),
                serial))
        .build()
        .getEncoded();
  }
}
