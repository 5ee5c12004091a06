package dev.grpca.bench.micro;

import dev.grpca.server.hsm.Pkcs11Token;
import dev.grpca.server.hsm.Signer;
import dev.grpca.server.x509.KeyAlgorithm;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The server's own signing path ({@link Signer#sign}) with a fresh key in the SoftHSM token. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TokenSignBenchmark {
  @Param({"EC_P256", "EC_P384", "RSA_2048"})
  public String key;

  private Signer signer;
  private final byte[] tbs = new byte[600];

  @Setup
  public void setUp() throws Exception {
    Pkcs11Token token = MicroServer.token();
    signer = token.generate(KeyAlgorithm.valueOf(key));
  }

  @Benchmark
  public byte[] sign() {
    return signer.sign(tbs);
  }
}
