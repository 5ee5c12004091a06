package dev.grpca.server.testing;

import com.google.protobuf.util.JsonFormat;
import dev.grpca.client.BearerToken;
import dev.grpca.client.GrpcaChannels;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.server.CaServer;
import dev.grpca.server.Main;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.config.proto.AuthoritySection;
import dev.grpca.server.config.proto.CrlSection;
import dev.grpca.server.config.proto.DatabaseSection;
import dev.grpca.server.config.proto.HsmSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.store.jooq.Database;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A real grpca server on loopback (TLS, port chosen by the OS) with its own data directory and H2
 * database, its CAs in the shared test token under labels of its own.
 */
public final class TestServer implements AutoCloseable {
  private ServerConfig config;
  private final Engine engine;
  private final Clock clock;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private CaServer running;
  private Database database;

  private TestServer(ServerConfig config, Clock clock, Engine engine) {
    this.config = config;
    this.clock = clock;
    this.engine = engine;
  }

  public static TestServer start(Path dataDir) {
    return start(dataDir, Clock.systemUTC());
  }

  /** A server whose every notion of time comes from {@code clock}. */
  public static TestServer start(Path dataDir, Clock clock) {
    return start(dataDir, clock, file -> {});
  }

  /** The same, with {@code customize} changing the configuration file first. */
  public static TestServer start(
      Path dataDir, Clock clock, Consumer<ServerConfigFile.Builder> customize) {
    return start(dataDir, clock, customize, Engine.current());
  }

  /** A server on {@code engine}, whichever engine the run names. */
  public static TestServer start(
      Path dataDir, Clock clock, Consumer<ServerConfigFile.Builder> customize, Engine engine) {
    TestServer server = new TestServer(configFor(dataDir, customize, engine), clock, engine);
    server.boot();
    return server;
  }

  /** A server with {@code config} as it is (e.g. a replica of a server in another JVM). */
  public static TestServer start(ServerConfig config, Engine engine) {
    TestServer server = new TestServer(config, Clock.systemUTC(), engine);
    server.boot();
    return server;
  }

  /**
   * The configuration {@link #start} serves with, without starting anything: a fresh database on
   * {@code engine}, CAs under labels of their own in the run's token, loopback ports.
   */
  public static ServerConfig configFor(
      Path dataDir, Consumer<ServerConfigFile.Builder> customize, Engine engine) {
    ServerConfig loaded = ServerConfigs.from(fileFor(dataDir, customize, engine).build());
    return loaded.withListener("127.0.0.1", 0).withHttp("127.0.0.1", freePort());
  }

  /**
   * The configuration file behind {@link #configFor}, ports left to the caller: for a server in a
   * JVM of its own, or replicas of one CA.
   */
  public static ServerConfigFile.Builder fileFor(
      Path dataDir, Consumer<ServerConfigFile.Builder> customize, Engine engine) {
    String suffix = SoftHsm.uniqueLabel("ca");
    ServerConfigFile.Builder file =
        ServerConfigFile.newBuilder()
            .setDataDir(dataDir.toString())
            .setHsm(
                HsmSection.newBuilder()
                    .setPkcs11Config(SoftHsm.pkcs11Config().toString())
                    .setPinFile(SoftHsm.pinFile().toString()))
            .setRoot(AuthoritySection.newBuilder().setId("root-" + suffix))
            .setIntermediate(AuthoritySection.newBuilder().setId("issuing-" + suffix))
            .setCrl(
                CrlSection.newBuilder()
                    .setDebounce(com.google.protobuf.Duration.newBuilder().setSeconds(1)));
    if (engine != Engine.H2) {
      file.setDatabase(
          DatabaseSection.newBuilder().setJdbcUrl(engine.freshUrl(dataDir)).setUser(engine.user()));
    }
    customize.accept(file);
    return file;
  }

  /**
   * A server in a JVM of its own with {@code file} as its configuration ({@code java -cp <this test
   * run's class path> dev.grpca.server.Main --config DIR/NAME.json}, output in {@code
   * DIR/NAME.log}), as replicas run: separate processes, each with its own PKCS#11 library state.
   * Returns once its {@code /readyz} (on {@code file}'s HTTP port) answers 200; the caller kills
   * it.
   */
  public static Process spawn(ServerConfigFile.Builder file, Path dir, String name)
      throws IOException, InterruptedException {
    Process process = spawnUnready(file, dir, name);
    awaitReady(process, file, dir, name);
    return process;
  }

  /** As {@link #spawn}, without waiting for it to be ready (see {@link #awaitReady}). */
  public static Process spawnUnready(ServerConfigFile.Builder file, Path dir, String name)
      throws IOException {
    Path config = dir.resolve(name + ".json");
    Files.writeString(config, JsonFormat.printer().print(file));
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile());
    if (file.getDatabase().getJdbcUrl().startsWith("jdbc:postgresql:")) {
      builder.environment().putAll(envFor(Engine.POSTGRES));
    }
    return builder.start();
  }

  /** Waits (90 s at most) until {@code process}'s {@code /readyz} answers 200. */
  public static void awaitReady(
      Process process, ServerConfigFile.Builder file, Path dir, String name)
      throws IOException, InterruptedException {
    URI ready = URI.create("http://127.0.0.1:" + file.getHttp().getPort() + "/readyz");
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited: " + Files.readString(dir.resolve(name + ".log")));
      }
      try {
        if (http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + " did not get ready in 90 s");
      }
      Thread.sleep(200);
    }
  }

  /** The environment a server on {@code engine} starts with (its database password). */
  public static Map<String, String> envFor(Engine engine) {
    return engine.password().isEmpty()
        ? Map.of()
        : Map.of(ServerConfig.Database.PASSWORD_VARIABLE, engine.password());
  }

  private void boot() {
    for (int attempt = 1; ; attempt++) {
      try {
        running = Main.start(config, clock, env());
        return;
      } catch (IOException e) {
        if (attempt == 3 || !lostItsPort(e)) {
          throw new UncheckedIOException(e);
        }
        // freePort() named a port that another process took before the sidecar bound it.
        config = config.withHttp("127.0.0.1", freePort());
      }
    }
  }

  /**
   * Whether {@code e} is the sidecar failing to bind the port {@link #freePort} chose (another
   * process can take it between the two): the start is tried again on another one.
   */
  private static boolean lostItsPort(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  /** Stops the server and starts it again on the same data directory and token. */
  public void restart() {
    closeChannels();
    running.close();
    boot();
  }

  /**
   * As {@link #restart}, listening on the gRPC port it listens on now: for clients that keep the
   * address (a renewal agent).
   */
  public void restartOnItsPort() {
    config = config.withListener("127.0.0.1", running.port());
    restart();
  }

  public ServerConfig config() {
    return config;
  }

  /** The environment the server starts with: the database password, on an engine that has one. */
  public Map<String, String> env() {
    return envFor(engine);
  }

  /**
   * A second replica of this server's CA, on the same database and token and ports of its own (the
   * caller closes it).
   */
  public CaServer startReplica() throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return Main.start(
            config.withListener("127.0.0.1", 0).withHttp("127.0.0.1", freePort()), clock, env());
      } catch (IOException e) {
        if (attempt == 3 || !lostItsPort(e)) {
          throw e;
        }
      }
    }
  }

  /** An admin channel to {@code replica}, trusting this server's root (closed with this server). */
  public ManagedChannel adminChannel(CaServer replica) {
    return channel(replica.port(), adminToken());
  }

  /**
   * A channel to the server listening on {@code port} (a replica of this one, in this JVM or
   * another) with {@code token}, trusting this server's root (closed with this server).
   */
  public ManagedChannel channel(int port, String token) {
    try {
      ManagedChannel channel =
          GrpcaChannels.connect("localhost:" + port, rootPem(), new BearerToken(token));
      channels.add(channel);
      return channel;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A connection of the test's own to the server's database. */
  public Connection connect() throws SQLException {
    return engine.connect(config.database().jdbcUrl());
  }

  public CaServer running() {
    return running;
  }

  public String target() {
    return "localhost:" + running.port();
  }

  public Path rootPem() {
    return config.devDir().resolve("ca.pem");
  }

  public Path chainPem() {
    return config.devDir().resolve("chain.pem");
  }

  public String adminToken() {
    try {
      return Files.readString(config.adminTokenFile()).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A TLS channel trusting the server's root, with {@code token} ({@code null}: none). */
  public ManagedChannel channel(String token) {
    try {
      ManagedChannel channel =
          GrpcaChannels.connect(target(), rootPem(), token == null ? null : new BearerToken(token));
      channels.add(channel);
      return channel;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A TLS channel trusting the server's root that presents {@code certificateChainPem} (leaf first)
   * with {@code privateKeyPem} as its client certificate, and no token.
   */
  public ManagedChannel mtlsChannel(String certificateChainPem, String privateKeyPem) {
    try {
      ManagedChannel channel =
          io.grpc.Grpc.newChannelBuilder(
                  target(),
                  io.grpc.TlsChannelCredentials.newBuilder()
                      .keyManager(
                          new java.io.ByteArrayInputStream(
                              certificateChainPem.getBytes(
                                  java.nio.charset.StandardCharsets.US_ASCII)),
                          new java.io.ByteArrayInputStream(
                              privateKeyPem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                      .trustManager(rootPem().toFile())
                      .build())
              .build();
      channels.add(channel);
      return channel;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * 60 s for each call. (A stub's own withDeadlineAfter is one deadline from the stub's creation,
   * which a class-wide stub used by slow tests runs out of.)
   */
  private static final io.grpc.ClientInterceptor PER_CALL_DEADLINE =
      new io.grpc.ClientInterceptor() {
        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(
            io.grpc.MethodDescriptor<Q, R> method,
            io.grpc.CallOptions options,
            io.grpc.Channel next) {
          return next.newCall(method, options.withDeadlineAfter(60, TimeUnit.SECONDS));
        }
      };

  public CertificateServiceGrpc.CertificateServiceBlockingStub certificates() {
    return CertificateServiceGrpc.newBlockingStub(channel(adminToken()))
        .withInterceptors(PER_CALL_DEADLINE);
  }

  public AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities() {
    return AuthorityServiceGrpc.newBlockingStub(channel(adminToken()))
        .withInterceptors(PER_CALL_DEADLINE);
  }

  public ProfileServiceGrpc.ProfileServiceBlockingStub profiles() {
    return ProfileServiceGrpc.newBlockingStub(channel(adminToken()))
        .withInterceptors(PER_CALL_DEADLINE);
  }

  /** The number of the newest CRL stored for {@code authorityId} (0: none). */
  public long newestCrl(String authorityId) throws SQLException {
    try (Connection c = connect();
        var select = c.prepareStatement("SELECT MAX(crl_number) FROM crl WHERE authority_id = ?")) {
      select.setString(1, authorityId);
      try (var rows = select.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /**
   * The one number {@code sql} (a COUNT) gives with {@code args}, through a connection of the
   * test's own.
   */
  public long count(String sql, String... args) {
    try (Connection c = connect();
        var select = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        select.setString(i + 1, args[i]);
      }
      try (var rows = select.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The body of a GET of {@code path} on the sidecar. */
  public byte[] sidecar(String path) {
    try {
      return java.net.http.HttpClient.newHttpClient()
          .send(
              java.net.http.HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + running.httpPort() + path))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofByteArray())
          .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * What the database holds: the H2 file's bytes, or on PostgreSQL every row of the tables a
   * certificate and its key are in, as text.
   */
  public byte[] storedBytes() throws IOException, SQLException {
    String url = config().database().jdbcUrl();
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    if (url.startsWith("jdbc:h2:file:")) {
      Path base = Path.of(url.substring("jdbc:h2:file:".length()).split(";")[0]);
      try (Stream<Path> files = Files.list(base.getParent())) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          all.write(Files.readAllBytes(f));
        }
      }
      return all.toByteArray();
    }
    try (java.sql.Connection c = connect();
        var rows =
            c.createStatement()
                .executeQuery(
                    "SELECT c.*, k.* FROM certificate c LEFT JOIN certificate_key k"
                        + " ON k.serial_number = c.serial_number")) {
      int columns = rows.getMetaData().getColumnCount();
      while (rows.next()) {
        for (int i = 1; i <= columns; i++) {
          String v = rows.getString(i);
          if (v != null) {
            all.write(v.getBytes(StandardCharsets.UTF_8));
          }
        }
      }
    }
    return all.toByteArray();
  }

  /** Rows in the certificate table, read through a connection of the test's own. */
  public long storedCertificates() {
    return database().certificates().count();
  }

  /** The database, through a connection of the test's own. */
  public Database database() {
    if (database == null) {
      database =
          Database.open(config.database().jdbcUrl(), config.database().user(), engine.password());
    }
    return database;
  }

  private void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }

  @Override
  public void close() {
    closeChannels();
    if (running != null) {
      running.close();
    }
    if (database != null) {
      database.close();
    }
  }

  /** A port free now: the HTTP URLs in certificates must name the sidecar's real port. */
  public static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
