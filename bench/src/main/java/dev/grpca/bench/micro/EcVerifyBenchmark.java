package dev.grpca.bench.micro;

import dev.grpca.bench.Csrs;
import java.io.StringReader;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One EC P-256 signature check (a CSR's), with Bouncy Castle (what the server uses) and with the
 * JDK's SunEC provider (the alternative it avoids on JDK 17).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EcVerifyBenchmark {
  @Param({"BC", "SunEC"})
  public String provider;

  private Signature verifier;
  private PublicKey key;
  private byte[] signed;
  private byte[] signature;

  @Setup
  public void setUp() throws Exception {
    PKCS10CertificationRequest csr;
    try (PEMParser pem = new PEMParser(new StringReader(Csrs.ecP256("bench.example.com")))) {
      csr = (PKCS10CertificationRequest) pem.readObject();
    }
    Provider p =
        provider.equals("BC") ? new BouncyCastleProvider() : Security.getProvider(provider);
    key =
        KeyFactory.getInstance("EC", p)
            .generatePublic(new X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded()));
    signed = csr.toASN1Structure().getCertificationRequestInfo().getEncoded();
    signature = csr.getSignature();
    verifier = Signature.getInstance("SHA256withECDSA", p);
  }

  @Benchmark
  public boolean verify() throws Exception {
    verifier.initVerify(key);
    verifier.update(signed);
    if (!verifier.verify(signature)) {
      throw new IllegalStateException("the CSR's signature does not verify");
    }
    return true;
  }
}
