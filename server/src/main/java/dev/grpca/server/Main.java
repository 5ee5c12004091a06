package dev.grpca.server;

import dev.grpca.server.access.AccessControl;
import dev.grpca.server.access.RateLimiter;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.error.CaException;
import dev.grpca.server.grpc.AdminToken;
import dev.grpca.server.grpc.GrpcServer;
import dev.grpca.server.grpc.ServerTlsIdentity;
import dev.grpca.server.hsm.Pkcs11Token;
import dev.grpca.server.http.HttpSidecar;
import dev.grpca.server.issuance.CertificateQueries;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.policy.ProfileCatalog;
import dev.grpca.server.revocation.CrlPublisher;
import dev.grpca.server.revocation.CrlWriter;
import dev.grpca.server.revocation.CurrentCrls;
import dev.grpca.server.revocation.OcspResponder;
import dev.grpca.server.revocation.OcspSigners;
import dev.grpca.server.revocation.RevocationService;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.store.jooq.Database;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.SerialNumbers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.Provider;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: reads the configuration, builds every object with {@code new}, starts the
 * listener. {@code grpca-server [--config FILE]}.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);
  static final String PIN_VARIABLE = "GRPCA_HSM_PIN";
  static final String DB_PASSWORD_VARIABLE = "GRPCA_DB_PASSWORD";

  private Main() {}

  public static void main(String[] args) throws Exception {
    Path configFile = null;
    boolean responder = false;
    List<String> command = new ArrayList<>();
    String usage =
        "usage: grpca-server [--config FILE] [--responder]\n"
            + "  FILE: JSON configuration (see config/grpca.example.json); none: the defaults.\n"
            + "  --responder: only the HTTP sidecar (CA certificates, CRLs, OCSP), against the\n"
            + "  database and token of a CA that already runs; no gRPC, no issuance.\n"
            + "  Secrets come from the files it names, or GRPCA_HSM_PIN / GRPCA_DB_PASSWORD.\n"
            + "commands on the CA host (against its database):\n"
            + AdminCommands.USAGE;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        configFile = Path.of(args[++i]);
      } else if (args[i].equals("--responder")) {
        responder = true;
      } else if (!command.isEmpty() || AdminCommands.isCommand(args[i])) {
        command.add(args[i]);
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println(usage);
        return;
      } else {
        System.err.println("unknown argument: " + args[i] + "\n" + usage);
        System.exit(2);
      }
    }
    if (!command.isEmpty()) {
      try {
        System.exit(
            AdminCommands.run(
                command, ServerConfigs.load(configFile), System.getenv(), System.out));
      } catch (IllegalArgumentException e) {
        System.err.println("grpca: configuration error: " + e.getMessage());
        System.exit(2);
      }
      return;
    }
    Running running;
    try {
      ServerConfig config = ServerConfigs.load(configFile);
      running =
          responder
              ? startResponder(config, Clock.systemUTC(), System.getenv())
              : start(config, Clock.systemUTC(), System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("grpca: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (CaException | IllegalStateException | IOException e) {
      log.debug("start-up failed", e);
      System.err.println("grpca: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "grpca-shutdown"));
    running.printBanner(System.out);
    running.awaitTermination();
  }

  /** Starts everything; the caller owns the result and closes it. */
  public static Running start(ServerConfig config, Clock clock, Map<String, String> env)
      throws IOException {
    return opening(opened -> start(config, clock, env, opened));
  }

  /** What a start-up opens so far, closed again when it fails half-way. */
  private interface Startup {
    Running start(List<AutoCloseable> opened) throws IOException;
  }

  private static Running opening(Startup startup) throws IOException {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      return startup.start(opened);
    } catch (IOException | RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  private static Running start(
      ServerConfig config, Clock clock, Map<String, String> env, List<AutoCloseable> opened)
      throws IOException {
    SecureRandom random = new SecureRandom();
    Provider bouncyCastle = new BouncyCastleProvider();
    byte[] adminToken = AdminToken.loadOrCreateSha256(config.adminTokenFile(), random);

    Database database = openDatabase(config.database(), env);
    opened.add(database);
    database.auditCalls(GrpcServer.auditCalls());
    Pkcs11Token token = openToken(config.hsm(), env, random);
    AccessControl access = new AccessControl(database.access(), random, clock);
    access.ensureAdmin(adminToken);

    CertificateFactory factory =
        new CertificateFactory(
            database.certificates(), new SerialNumbers(random), bouncyCastle, clock);
    IssuerUrls urls = new IssuerUrls(config.http().publicBaseUrl());
    Authorities authorities =
        bootstrap(token, database, factory, urls, clock)
            .ensure(config.root(), config.intermediate());
    writeDevFiles(config, authorities);

    ScheduledExecutorService scheduler = scheduler();
    opened.add(scheduler::shutdownNow);
    CrlPublisher crls =
        crlPublisher(config, authorities, database, urls, clock, bouncyCastle).start(scheduler);

    ProfileCatalog profiles = new ProfileCatalog(database.profiles(), authorities::contains, clock);
    profiles.declare(config.profiles());
    CertificateQueries queries = new CertificateQueries(database.certificates(), clock);
    OcspResponder ocsp =
        ocspResponder(
            config, authorities, database, token, factory, clock, bouncyCastle, scheduler);
    IssuanceService issuance =
        new IssuanceService(
            profiles,
            authorities,
            new IssuancePolicy(),
            queries,
            factory,
            random,
            bouncyCastle,
            urls,
            clock);

    ServerTlsIdentity tls =
        new ServerTlsIdentity(
                issuance,
                config.grpc().tlsHostNames(),
                config.grpc().tlsCertificateLifetime(),
                clock)
            .start(scheduler);
    GrpcServer grpc =
        GrpcServer.start(
            config.grpc(),
            tls,
            access,
            database.access(),
            new RateLimiter(config.rateLimits(), database.access(), clock),
            issuance,
            queries,
            new RevocationService(
                database.certificates(),
                clock,
                (authority, serial) -> {
                  ocsp.invalidate(serial);
                  crls.revoked(authority);
                }),
            authorities,
            profiles,
            crls,
            clock);
    opened.add(grpc);
    HttpSidecar http =
        startHttp(config.http(), authorities, crls::latest, ocsp, database, token, clock);
    opened.add(http);
    log.info("grpca serving on {}:{}", config.grpc().host(), grpc.port());
    return new Running(config, grpc, http, authorities, tls, crls, ocsp, opened);
  }

  /**
   * Responder mode: the HTTP sidecar alone, serving the CAs, CRLs and OCSP of a CA that another
   * process runs against the same database and token. It creates no CA and publishes no CRLs; it
   * shares the CA's delegated OCSP signers, and makes one only when none is usable.
   */
  public static Running startResponder(ServerConfig config, Clock clock, Map<String, String> env)
      throws IOException {
    return opening(
        opened -> {
          Provider bouncyCastle = new BouncyCastleProvider();
          SecureRandom random = new SecureRandom();
          Database database = openDatabase(config.database(), env);
          opened.add(database);
          Pkcs11Token token = openToken(config.hsm(), env, random);
          CertificateFactory factory =
              new CertificateFactory(
                  database.certificates(), new SerialNumbers(random), bouncyCastle, clock);
          Authorities authorities =
              bootstrap(
                      token,
                      database,
                      factory,
                      new IssuerUrls(config.http().publicBaseUrl()),
                      clock)
                  .loadExisting(config.root(), config.intermediate());
          ScheduledExecutorService scheduler = scheduler();
          opened.add(scheduler::shutdownNow);
          OcspResponder ocsp =
              ocspResponder(
                  config, authorities, database, token, factory, clock, bouncyCastle, scheduler);
          HttpSidecar http =
              startHttp(
                  config.http(),
                  authorities,
                  new CurrentCrls(database.crls())::latest,
                  ocsp,
                  database,
                  token,
                  clock);
          opened.add(http);
          log.info("grpca responder serving HTTP on {}:{}", config.http().host(), http.port());
          return new Running(config, null, http, authorities, null, null, ocsp, opened);
        });
  }

  /** One daemon thread for the background jobs: TLS renewal, CRL publishing, OCSP signers. */
  private static ScheduledExecutorService scheduler() {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, "grpca-scheduler");
          t.setDaemon(true);
          return t;
        });
  }

  private static CrlPublisher crlPublisher(
      ServerConfig config,
      Authorities authorities,
      Database database,
      IssuerUrls urls,
      Clock clock,
      Provider bouncyCastle) {
    return new CrlPublisher(
        authorities,
        database.crls(),
        new CrlWriter(database.crls(), bouncyCastle),
        urls,
        clock,
        config.crl().validity(),
        config.crl().debounce());
  }

  private static AuthorityBootstrap bootstrap(
      Pkcs11Token token,
      Database database,
      CertificateFactory factory,
      IssuerUrls urls,
      Clock clock) {
    return new AuthorityBootstrap(token, database.authorities(), factory, urls, clock);
  }

  /** OCSP, signed by delegated signers (rotated on {@code scheduler}) or the CA keys. */
  private static OcspResponder ocspResponder(
      ServerConfig config,
      Authorities authorities,
      Database database,
      Pkcs11Token token,
      CertificateFactory factory,
      Clock clock,
      Provider bouncyCastle,
      ScheduledExecutorService scheduler) {
    ServerConfig.Ocsp ocsp = config.ocsp();
    OcspSigners signers =
        ocsp.delegated()
            ? OcspSigners.delegated(
                    authorities,
                    token,
                    database.certificates(),
                    factory,
                    clock,
                    ocsp.signerLifetime())
                .start(scheduler)
            : OcspSigners.caKeys(authorities);
    return new OcspResponder(
        authorities,
        signers,
        database.certificates(),
        clock,
        ocsp.validity(),
        ocsp.cacheMaxAge(),
        ocsp.echoNonce(),
        ocsp.perRequestAnswersPerMinute(),
        bouncyCastle);
  }

  /** The sidecar; /readyz checks the database and the token. */
  private static HttpSidecar startHttp(
      ServerConfig.Http config,
      Authorities authorities,
      Function<String, Optional<StoredCrl>> crls,
      OcspResponder ocsp,
      Database database,
      Pkcs11Token token,
      Clock clock)
      throws IOException {
    Map<String, BooleanSupplier> ready = Map.of("database", database::ping, "hsm", token::ping);
    try {
      return HttpSidecar.start(config, authorities, crls, ocsp, ready, clock);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(
          "cannot start the HTTP sidecar on " + config.host() + ":" + config.port(), e);
    }
  }

  static Database openDatabase(ServerConfig.Database config, Map<String, String> env) {
    char[] password =
        Secrets.read(env, DB_PASSWORD_VARIABLE, config.passwordFile(), "database.password_file");
    return Database.open(
        config.jdbcUrl(), config.user(), password == null ? "" : new String(password));
  }

  private static Pkcs11Token openToken(
      ServerConfig.Hsm config, Map<String, String> env, SecureRandom random) {
    char[] pin = Secrets.read(env, PIN_VARIABLE, config.pinFile(), "hsm.pin_file");
    return Pkcs11Token.open(config.pkcs11Config(), pin, random);
  }

  private static void writeDevFiles(ServerConfig config, Authorities authorities)
      throws IOException {
    Path dev = config.devDir();
    Files.createDirectories(dev);
    replace(dev.resolve("ca.pem"), authorities.defaultIssuer().rootPem());
    replace(dev.resolve("chain.pem"), authorities.defaultIssuer().chainPem());
  }

  /** Writes a file whole or not at all: a reader never sees it empty or half written. */
  private static void replace(Path file, String content) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Closes in the reverse order of opening: the listener first, the database last. */
  private static void closeAll(List<AutoCloseable> opened) {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        log.warn("while shutting down", e);
      }
    }
  }

  /** A started server. {@link #close} stops it cleanly (the listener first, the database last). */
  public static final class Running implements AutoCloseable {
    private final ServerConfig config;
    private final GrpcServer grpc;
    private final HttpSidecar http;
    private final Authorities authorities;
    private final ServerTlsIdentity tls;
    private final CrlPublisher crls;
    private final OcspResponder ocsp;
    private final List<AutoCloseable> opened;
    private boolean closed;

    Running(
        ServerConfig config,
        GrpcServer grpc,
        HttpSidecar http,
        Authorities authorities,
        ServerTlsIdentity tls,
        CrlPublisher crls,
        OcspResponder ocsp,
        List<AutoCloseable> opened) {
      this.config = config;
      this.grpc = grpc;
      this.http = http;
      this.authorities = authorities;
      this.tls = tls;
      this.crls = crls;
      this.ocsp = ocsp;
      this.opened = opened;
    }

    /** The gRPC port; -1 in responder mode. */
    public int port() {
      return grpc == null ? -1 : grpc.port();
    }

    /** Blocks until the server stops. */
    void awaitTermination() throws InterruptedException {
      if (grpc != null) {
        grpc.awaitTermination();
      } else {
        http.join();
      }
    }

    /** The HTTP sidecar's port. */
    public int httpPort() {
      return http.port();
    }

    public Authorities authorities() {
      return authorities;
    }

    /** The CRL publisher. */
    public CrlPublisher crls() {
      return crls;
    }

    /** The OCSP responder and its signers. */
    public OcspResponder ocsp() {
      return ocsp;
    }

    /** The server's own TLS certificate and its renewal. */
    public ServerTlsIdentity tlsIdentity() {
      return tls;
    }

    /** How to reach the CA, for a person who just ran {@code make run}. */
    void printBanner(PrintStream out) {
      if (grpc == null) {
        out.println();
        out.println(
            "grpca responder is serving HTTP on http://"
                + config.http().host()
                + ":"
                + httpPort()
                + " (/v1/ca, /v1/crl, /v1/ocsp)");
        out.println("Stop with Ctrl-C.");
        out.flush();
        return;
      }
      Path dev = config.devDir();
      String host = config.grpc().host().equals("127.0.0.1") ? "localhost" : config.grpc().host();
      String target = host + ":" + port();
      out.println();
      out.println("grpca is serving gRPC with TLS on " + config.grpc().host() + ":" + port());
      out.println("  root CA (trust this):  " + shown(dev.resolve("ca.pem")));
      out.println(
          "  CA chain:              "
              + shown(dev.resolve("chain.pem"))
              + "  (issuing CA, then root)");
      out.println("  admin bearer token:    " + shown(config.adminTokenFile()));
      out.println("  HSM (SunPKCS11) config: " + shown(config.hsm().pkcs11Config()));
      out.println("  database:              " + config.database().jdbcUrl());
      out.println(
          "  HTTP sidecar:          http://"
              + config.http().host()
              + ":"
              + httpPort()
              + "/v1/ca.pem");
      out.println("Try:");
      out.println(
          "  grpcurl -cacert "
              + shown(dev.resolve("ca.pem"))
              + " -H \"authorization: Bearer $(cat "
              + shown(config.adminTokenFile())
              + ")\" "
              + target
              + " list");
      out.println("Stop with Ctrl-C.");
      out.flush();
    }

    private static String shown(Path path) {
      Path cwd = Path.of("").toAbsolutePath();
      return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        closeAll(opened);
        log.info("grpca stopped");
      }
    }
  }
}
