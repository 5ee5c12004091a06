package dev.grpca.bench.micro;

import dev.grpca.server.issuance.Csr;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Parsing a PEM EC P-256 CSR and verifying its signature, as Sign does, with Bouncy Castle (what
 * the server uses) and with the JDK's SunEC provider (the alternative it avoids on JDK 17).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CsrBenchmark {
  @Param({"BC", "SunEC"})
  public String provider;

  private String pem;
  private Provider verifier;

  @Setup
  public void setUp() throws Exception {
    verifier = provider.equals("BC") ? new BouncyCastleProvider() : Security.getProvider(provider);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    var csr =
        new JcaPKCS10CertificationRequestBuilder(
                new X500Name("CN=bench.example.com"), pair.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(csr);
    }
    pem = out.toString();
  }

  @Benchmark
  public Csr parseAndVerify() {
    return Csr.parse(pem, verifier);
  }
}
