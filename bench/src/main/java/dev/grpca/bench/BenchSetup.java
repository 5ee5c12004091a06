package dev.grpca.bench;

import dev.grpca.client.BearerToken;
import dev.grpca.client.GrpcaChannels;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where one bench run keeps its files: the fresh SoftHSM token {@code make bench} made, the
 * server's JSON configuration and data directory (H2 file database, dev files), and the logs.
 */
record BenchSetup(
    Path dir, Path hsm, Path serverJar, Path logbackConfig, int grpcPort, int httpPort) {

  /** Picks free ports and writes {@code dir/grpca.json}. */
  static BenchSetup create(Path dir, Path hsm, Path serverJar, Path logbackConfig)
      throws IOException {
    BenchSetup setup =
        new BenchSetup(
            dir.toAbsolutePath(),
            hsm.toAbsolutePath(),
            serverJar.toAbsolutePath(),
            logbackConfig.toAbsolutePath(),
            freePort(),
            freePort());
    Files.createDirectories(dir);
    Files.writeString(
        setup.configFile(),
        """
        {
          "dataDir": "%s",
          "grpc": {"host": "127.0.0.1", "port": %d},
          "http": {"host": "127.0.0.1", "port": %d, "publicBaseUrl": "%s"},
          "hsm": {"pkcs11Config": "%s", "pinFile": "%s"}
        }
        """
            .formatted(
                setup.dataDir(),
                setup.grpcPort(),
                setup.httpPort(),
                setup.httpBase(),
                setup.hsm().resolve("pkcs11.cfg"),
                setup.pinFile()));
    return setup;
  }

  /**
   * A second setup beside this one, in {@code dir/pg}, for a server on PostgreSQL at {@code
   * jdbcUrl}: the same token, CAs of its own (other ids, so other key labels), ports of its own.
   */
  BenchSetup onPostgres(String jdbcUrl, String user, Path passwordFile) throws IOException {
    BenchSetup pg =
        new BenchSetup(
            dir.resolve("pg-server"), hsm, serverJar, logbackConfig, freePort(), freePort());
    Files.createDirectories(pg.dir());
    Files.writeString(
        pg.configFile(),
        """
        {
          "dataDir": "%s",
          "grpc": {"host": "127.0.0.1", "port": %d},
          "http": {"host": "127.0.0.1", "port": %d, "publicBaseUrl": "%s"},
          "hsm": {"pkcs11Config": "%s", "pinFile": "%s"},
          "database": {"jdbcUrl": "%s", "user": "%s", "passwordFile": "%s"},
          "root": {"id": "bench-pg-root"},
          "intermediate": {"id": "bench-pg-issuing"}
        }
        """
            .formatted(
                pg.dataDir(),
                pg.grpcPort(),
                pg.httpPort(),
                pg.httpBase(),
                hsm.resolve("pkcs11.cfg"),
                pinFile(),
                jdbcUrl,
                user,
                passwordFile));
    return pg;
  }

  /**
   * A setup beside this one, in {@code dir/name}, with a fresh database and metrics on or off
   * ({@code metrics.disabled}): the same token, CAs of its own ({@code name}-root, -issuing), ports
   * of its own.
   */
  BenchSetup beside(String name, boolean metrics) throws IOException {
    BenchSetup other =
        new BenchSetup(dir.resolve(name), hsm, serverJar, logbackConfig, freePort(), freePort());
    Files.createDirectories(other.dir());
    Files.writeString(
        other.configFile(),
        """
        {
          "dataDir": "%s",
          "grpc": {"host": "127.0.0.1", "port": %d},
          "http": {"host": "127.0.0.1", "port": %d, "publicBaseUrl": "%s"},
          "hsm": {"pkcs11Config": "%s", "pinFile": "%s"},
          "metrics": {"disabled": %s},
          "root": {"id": "%s-root"},
          "intermediate": {"id": "%s-issuing"}
        }
        """
            .formatted(
                other.dataDir(),
                other.grpcPort(),
                other.httpPort(),
                other.httpBase(),
                hsm.resolve("pkcs11.cfg"),
                pinFile(),
                !metrics,
                name,
                name));
    return other;
  }

  Path configFile() {
    return dir.resolve("grpca.json");
  }

  Path dataDir() {
    return dir.resolve("data");
  }

  /** The embedded H2 database the server uses by default under its data directory. */
  String jdbcUrl() {
    return "jdbc:h2:file:" + dataDir().resolve("db/grpca") + ";WRITE_DELAY=0";
  }

  Path caPem() {
    return dataDir().resolve("dev/ca.pem");
  }

  Path adminTokenFile() {
    return dataDir().resolve("dev/admin.token");
  }

  Path softhsmConf() {
    return hsm.resolve("softhsm2.conf");
  }

  Path pinFile() {
    return hsm.resolve("user.pin");
  }

  String grpcTarget() {
    return "localhost:" + grpcPort;
  }

  String httpBase() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** A TLS channel to the server that sends the admin bearer token. */
  ManagedChannel adminChannel() throws IOException {
    return GrpcaChannels.connect(
        grpcTarget(), caPem(), new BearerToken(Files.readString(adminTokenFile()).strip()));
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
