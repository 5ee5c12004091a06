package dev.grpca.server;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.error.CaException;
import dev.grpca.server.hsm.Pkcs11Token;
import dev.grpca.server.http.HttpSidecar;
import dev.grpca.server.revocation.OcspResponder;
import dev.grpca.server.revocation.OcspSigners;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.store.jooq.Database;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.SerialNumbers;
import java.io.IOException;
import java.security.Provider;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * What both modes build once and share: the database (told at opening where audit records learn the
 * caller), the token, the certificate factory, the URLs certificates carry, the background
 * scheduler; and the two pieces both modes serve, the OCSP responder and the HTTP sidecar.
 */
final class Core {
  static final String PIN_VARIABLE = "GRPCA_HSM_PIN";

  final ServerConfig config;
  final Clock clock;
  final SecureRandom random = new SecureRandom();

  /** This process among the replicas on the database, as leases name their holder. */
  final String processId =
      ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);

  /**
   * How long a replica holds a job's lease after it last ran the job: a replica that died is
   * replaced once this has passed, at the next time the job is due on another. (One that stops
   * gives its leases up at once.)
   */
  static final Duration LEASE_TIME = Duration.ofSeconds(10);

  /**
   * How long {@link #holding} holds its lease: longer than the work it guards takes (making a CA's
   * keys in a slow HSM), so that no other replica starts the same work meanwhile.
   */
  static final Duration WORK_LEASE_TIME = Duration.ofMinutes(2);

  /** The job leases this process has asked for, given up when it stops. */
  private final Set<String> jobLeases = ConcurrentHashMap.newKeySet();

  final Provider bouncyCastle = new BouncyCastleProvider();
  final Database database;
  final Pkcs11Token token;
  final CertificateFactory factory;
  final IssuerUrls urls;
  final ScheduledExecutorService scheduler;

  private Core(
      ServerConfig config,
      Clock clock,
      Map<String, String> env,
      Supplier<AuditCall> auditCalls,
      Opened opened) {
    this.config = config;
    this.clock = clock;
    this.database = opened.add(openDatabase(config.database(), env, auditCalls));
    // Closed before the database, after the scheduler: a stopping replica's jobs pass on at once.
    opened.add(this::releaseJobLeases);
    char[] pin = Secrets.read(env, PIN_VARIABLE, config.hsm().pinFile(), "hsm.pin_file");
    this.token = Pkcs11Token.open(config.hsm().pkcs11Config(), pin, random);
    this.factory =
        new CertificateFactory(
            database.certificates(), new SerialNumbers(random), bouncyCastle, clock);
    this.urls = new IssuerUrls(config.http().publicBaseUrl());
    this.scheduler = scheduler();
    opened.add(scheduler::shutdownNow);
  }

  /** Opens the database and the token, everything else the modes share made once. */
  static Core open(
      ServerConfig config,
      Clock clock,
      Map<String, String> env,
      Supplier<AuditCall> auditCalls,
      Opened opened) {
    return new Core(config, clock, env, auditCalls, opened);
  }

  static Database openDatabase(
      ServerConfig.Database config, Map<String, String> env, Supplier<AuditCall> auditCalls) {
    char[] password =
        Secrets.read(
            env,
            ServerConfig.Database.PASSWORD_VARIABLE,
            config.passwordFile(),
            "database.password_file");
    return Database.open(
        config.jdbcUrl(), config.user(), password == null ? "" : new String(password), auditCalls);
  }

  /** Whether this process holds (after taking or renewing it) the lease on the job {@code name}. */
  BooleanSupplier lease(String name) {
    jobLeases.add(name);
    return () -> database.leases().hold(name, processId, clock.instant(), LEASE_TIME);
  }

  private void releaseJobLeases() {
    for (String name : jobLeases) {
      database.leases().release(name, processId);
    }
  }

  /**
   * Runs {@code work} while holding the lease {@code name}, then gives it up: of replicas starting
   * together on one database, one at a time does it (e.g. creating the CA; the others then find
   * it). Waits for the lease a little longer than {@link #WORK_LEASE_TIME}, which a replica that
   * died holding it still holds.
   */
  <T> T holding(String name, Supplier<T> work) {
    Duration patience = WORK_LEASE_TIME.plusSeconds(10);
    long deadline = System.nanoTime() + patience.toNanos();
    while (!database.leases().hold(name, processId, clock.instant(), WORK_LEASE_TIME)) {
      if (System.nanoTime() > deadline) {
        throw CaException.unavailable(
            "another replica has held the lease '" + name + "' for over " + patience, null);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CaException.unavailable("interrupted waiting for the lease '" + name + "'", e);
      }
    }
    try {
      return work.get();
    } finally {
      database.leases().release(name, processId);
    }
  }

  /** Finds (and in CA mode creates) the root and the issuing CA. */
  AuthorityBootstrap bootstrap() {
    return new AuthorityBootstrap(token, database.authorities(), factory, urls, clock);
  }

  /** OCSP, signed by delegated signers (rotated on the scheduler) or the CA keys. */
  OcspResponder ocspResponder(Authorities authorities) {
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
                .onlyOneAtATime(
                    work ->
                        holding(
                            "ocsp-signers",
                            () -> {
                              work.run();
                              return null;
                            }))
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
  HttpSidecar startHttp(
      Authorities authorities, Function<String, Optional<StoredCrl>> crls, OcspResponder ocsp)
      throws IOException {
    ServerConfig.Http http = config.http();
    Map<String, BooleanSupplier> ready = Map.of("database", database::ping, "hsm", token::ping);
    try {
      return HttpSidecar.start(http, authorities, crls, ocsp, ready, clock);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(
          "cannot start the HTTP sidecar on " + http.host() + ":" + http.port(), e);
    }
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
}
