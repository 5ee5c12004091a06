package dev.grpca.bench.micro;

import dev.grpca.bench.Csrs;
import dev.grpca.server.issuance.Csr;
import java.security.Provider;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Parsing a PEM EC P-256 CSR and verifying its signature with Bouncy Castle, as Sign does. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CsrBenchmark {
  private String pem;
  private Provider verifier;

  @Setup
  public void setUp() throws Exception {
    verifier = new BouncyCastleProvider();
    pem = Csrs.ecP256("bench.example.com");
  }

  @Benchmark
  public Csr parseAndVerify() {
    return Csr.parse(pem, verifier);
  }
}
