package dev.grpca.bench.micro;

import dev.grpca.bench.Csrs;
import dev.grpca.server.issuance.Csr;
import java.security.Provider;
import java.security.Security;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
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
    pem = Csrs.ecP256("bench.example.com");
  }

  @Benchmark
  public Csr parseAndVerify() {
    return Csr.parse(pem, verifier);
  }
}
