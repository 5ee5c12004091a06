package dev.grpca.server.hsm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SignedCertificates;
import dev.grpca.server.x509.TbsCertificates;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The PKCS#11 signer on a real SoftHSM2 token. */
class Pkcs11TokenTest {
  private static Pkcs11Token token;

  @BeforeAll
  static void open() {
    token = SoftHsm.open();
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyAlgorithm.class,
      names = {"EC_P256", "EC_P384", "RSA_2048", "RSA_3072", "RSA_4096"})
  void keysMadeInTheTokenSignAndAreFoundAgainByANewProvider(KeyAlgorithm algorithm)
      throws Exception {
    String label = SoftHsm.uniqueLabel("key-" + algorithm.name().toLowerCase());
    Signer signer = token.generate(algorithm);
    X509Certificate certificate = selfSigned(signer, algorithm);
    token.store(label, signer, certificate);

    // A restarted server: a new SunPKCS11 provider instance, a new login.
    TokenKey found = SoftHsm.open().find(label).orElseThrow();
    assertThat(found.certificate()).isEqualTo(certificate);
    assertThat(found.signer().algorithm()).isEqualTo(algorithm);
    byte[] data = "to be signed".getBytes(StandardCharsets.UTF_8);
    assertThat(verify(algorithm, certificate, data, found.signer().sign(data))).isTrue();
    assertThat(verify(algorithm, certificate, "other".getBytes(), found.signer().sign(data)))
        .isFalse();
  }

  @Test
  void anUnknownLabelIsNotFound() {
    assertThat(token.find("no-such-label")).isEmpty();
  }

  @Test
  void signingIsSafeUnderManyConcurrentCalls() throws Exception {
    for (KeyAlgorithm algorithm : List.of(KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048)) {
      Signer signer = token.generate(algorithm);
      X509Certificate certificate = selfSigned(signer, algorithm);
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          int thread = t;
          Callable<Integer> work =
              () -> {
                int ok = 0;
                for (int i = 0; i < 100; i++) {
                  byte[] data = ("thread " + thread + " message " + i).getBytes();
                  if (verify(algorithm, certificate, data, signer.sign(data))) {
                    ok++;
                  }
                }
                return ok;
              };
          results.add(pool.submit(work));
        }
        for (Future<Integer> result : results) {
          assertThat(result.get()).as(algorithm.name()).isEqualTo(100);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void caKeysAreSensitiveNonExtractableSignOnlyTokenObjects() throws Exception {
    String label = SoftHsm.uniqueLabel("flags");
    Signer signer = token.generate(KeyAlgorithm.EC_P256);
    token.store(label, signer, selfSigned(signer, KeyAlgorithm.EC_P256));

    String object = SoftHsm.privateKeyObject(label);
    assertThat(object)
        .contains("Usage:      sign")
        .contains("sensitive, always sensitive, never extractable, local");
    assertThat(object).doesNotContain("decrypt", "unwrap", "derive");
  }

  static X509Certificate selfSigned(Signer signer, KeyAlgorithm algorithm) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    CertificateSpec spec =
        CertificateSpec.builder(
                new X500Name("CN=test key"),
                SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()),
                now,
                now.plus(1, ChronoUnit.DAYS))
            .ca(null)
            .keyUsage(KeyUsage.keyCertSign)
            .build(new SerialNumbers(new SecureRandom()).next());
    TBSCertificate tbs = TbsCertificates.build(spec, TbsCertificates.selfIssuer(spec, algorithm));
    byte[] signature = signer.sign(SignedCertificates.der(tbs));
    return Certificates.parse(SignedCertificates.assemble(tbs, tbs.getSignature(), signature));
  }

  private static boolean verify(
      KeyAlgorithm algorithm, X509Certificate certificate, byte[] data, byte[] signature)
      throws Exception {
    Signature verifier = Signature.getInstance(algorithm.signatureAlgorithm());
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(data);
    return verifier.verify(signature);
  }
}
