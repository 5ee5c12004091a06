package dev.grpca.bench.micro;

import dev.grpca.server.CaServer;
import dev.grpca.server.Main;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.config.proto.DatabaseSection;
import dev.grpca.server.config.proto.HsmSection;
import dev.grpca.server.config.proto.OcspSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.hsm.Pkcs11Token;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;

/**
 * What the micro-benchmarks run against: the token {@code make bench-micro} made (its directory in
 * GRPCA_BENCH_HSM, SOFTHSM2_CONF set), and a whole grpca server started in the benchmark's JVM on
 * an in-memory H2 database, for the parts that need its CAs and stores.
 */
final class MicroServer {
  private MicroServer() {}

  static Path hsmDir() {
    String dir = System.getenv("GRPCA_BENCH_HSM");
    if (dir == null) {
      throw new IllegalStateException("GRPCA_BENCH_HSM is not set: run `make bench-micro`");
    }
    return Path.of(dir);
  }

  static Pkcs11Token token() throws IOException {
    Path hsm = hsmDir();
    return Pkcs11Token.open(
        hsm.resolve("pkcs11.cfg"),
        Files.readString(hsm.resolve("user.pin")).strip().toCharArray(),
        new SecureRandom(),
        dev.grpca.server.metrics.Metrics.disabled());
  }

  /**
   * A server with answers to OCSP nonces enabled, so a request with a nonce is always signed, and a
   * per-source limit on such answers far above what the benchmark asks for.
   */
  static CaServer start() throws IOException {
    Path hsm = hsmDir();
    Path data = Files.createTempDirectory("grpca-micro");
    ServerConfig config =
        ServerConfigs.from(
                ServerConfigFile.newBuilder()
                    .setDataDir(data.toString())
                    .setHsm(
                        HsmSection.newBuilder()
                            .setPkcs11Config(hsm.resolve("pkcs11.cfg").toString())
                            .setPinFile(hsm.resolve("user.pin").toString()))
                    .setDatabase(
                        DatabaseSection.newBuilder()
                            .setJdbcUrl("jdbc:h2:mem:micro-" + ProcessHandle.current().pid()))
                    .setOcsp(
                        OcspSection.newBuilder()
                            .setEchoNonce(true)
                            .setPerRequestAnswersPerMinute(1_000_000))
                    .build())
            .withListener("127.0.0.1", 0);
    try (ServerSocket socket = new ServerSocket(0)) {
      config = config.withHttp("127.0.0.1", socket.getLocalPort());
    }
    return Main.start(config, Clock.systemUTC(), Map.of());
  }
}
