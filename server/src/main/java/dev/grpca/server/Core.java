package dev.grpca.server;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.error.CaException;
import dev.grpca.server.hsm.Pkcs11Token;
import dev.grpca.server.http.HttpSidecar;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.metrics.MetricsEndpoint;
import dev.grpca.server.metrics.MetricsServer;
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
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  final Metrics metrics;

  private Core(
      ServerConfig config,
      Clock clock,
      Map<String, String> env,
      Supplier<AuditCall> auditCalls,
      Opened opened) {
    this.config = config;
    this.clock = clock;
    this.metrics = config.metrics().enabled() ? Metrics.create() : Metrics.disabled();
    if (config.metrics().jmx()) {
      opened.add(metrics.startJmx());
    }
    this.database = opened.add(openDatabase(config.database(), env, auditCalls, metrics));
    // Closed before the database, after the scheduler: a stopping replica's jobs pass on at once.
    opened.add(this::releaseJobLeases);
    char[] pin = Secrets.read(env, PIN_VARIABLE, config.hsm().pinFile(), "hsm.pin_file");
    this.token = Pkcs11Token.open(config.hsm().pkcs11Config(), pin, random, metrics);
    this.factory =
        new CertificateFactory(
            database.certificates(), new SerialNumbers(random), bouncyCastle, clock, metrics);
    this.urls = new IssuerUrls(config.http().publicBaseUrl());
    this.scheduler = scheduler();
    opened.add(scheduler::shutdownNow);
    if (metrics.enabled()) {
      // Read in the background, never by a scrape: a scrape reads memory only, and never waits
      // on the token's lock or on the database (a ping of an H2 file being compacted waited tens
      // of ms), even when either is down.
      AtomicInteger tokenUp = new AtomicInteger(token.ping() ? 1 : 0);
      AtomicInteger databaseUp = new AtomicInteger(database.ping() ? 1 : 0);
      AtomicInteger pending = new AtomicInteger();
      metrics.gauge(MetricNames.TOKEN_UP, tokenUp::get);
      metrics.gauge(MetricNames.DB_UP, databaseUp::get);
      metrics.gauge(MetricNames.PENDING_ROWS, pending::get);
      scheduler.scheduleWithFixedDelay(
          () -> {
            tokenUp.set(token.ping() ? 1 : 0);
            databaseUp.set(database.ping() ? 1 : 0);
          },
          UP_EVERY.toMillis(),
          UP_EVERY.toMillis(),
          TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(
          () -> {
            try {
              pending.set(database.certificates().countPending());
            } catch (RuntimeException e) {
              // The database gauge says it is unreachable; the count stays as last read.
            }
          },
          0,
          PENDING_EVERY.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  /** How often the token and the database are pinged for their gauges. */
  private static final Duration UP_EVERY = Duration.ofSeconds(5);

  /** How often the number of PENDING rows is read for its gauge. */
  private static final Duration PENDING_EVERY = Duration.ofSeconds(15);

  /** Seconds from now until {@code instant}; NaN when there is none. */
  double secondsUntil(Instant instant) {
    return instant == null
        ? Double.NaN
        : Duration.between(clock.instant(), instant).toMillis() / 1000.0;
  }

  /** The expiry of each CA certificate, as gauges. */
  void caExpiryGauges(Authorities authorities) {
    java.util.function.Consumer<Authority> gauge =
        authority ->
            metrics.gauge(
                MetricNames.CA_EXPIRY,
                () -> secondsUntil(authority.certificate().getNotAfter().toInstant()),
                authority.id());
    authorities.all().forEach(gauge);
    authorities.whenAdded(gauge);
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
      ServerConfig.Database config,
      Map<String, String> env,
      Supplier<AuditCall> auditCalls,
      Metrics metrics) {
    char[] password =
        Secrets.read(
            env,
            ServerConfig.Database.PASSWORD_VARIABLE,
            config.passwordFile(),
            "database.password_file");
    return Database.open(
        config.jdbcUrl(),
        config.user(),
        password == null ? "" : new String(password),
        auditCalls,
        metrics);
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
    return new AuthorityBootstrap(
        token, database.authorities(), factory, urls, clock, this::holdingCreation);
  }

  /**
   * CreateRoot, CreateIntermediate: one at a time over every replica (the lease), and in this
   * process (the lock: the lease is this process's for each of its threads).
   */
  private <T> T holdingCreation(Supplier<T> work) {
    synchronized (creations) {
      return holding("authority-create", work);
    }
  }

  private final Object creations = new Object();

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
    if (ocsp.delegated()) {
      java.util.function.Consumer<Authority> gauge =
          authority ->
              metrics.gauge(
                  MetricNames.OCSP_SIGNER_EXPIRY,
                  () -> secondsUntil(signers.signerNotAfter(authority.id())),
                  authority.id());
      authorities.all().forEach(gauge);
      // A new CA's signer is made now, not at the next minute's check.
      authorities.whenAdded(gauge.andThen(signers::added));
    }
    return new OcspResponder(
        authorities,
        signers,
        database.certificates(),
        clock,
        ocsp.validity(),
        ocsp.cacheMaxAge(),
        ocsp.echoNonce(),
        ocsp.perRequestAnswersPerMinute(),
        bouncyCastle,
        metrics);
  }

  /**
   * The sidecar; /readyz checks the database and the token. /metrics is served there, or on a
   * listener of its own ({@code metrics.port}) opened here, or (metrics off) nowhere.
   */
  HttpSidecar startHttp(
      Authorities authorities,
      Function<String, Optional<StoredCrl>> crls,
      OcspResponder ocsp,
      dev.grpca.server.issuance.Downloads downloads,
      Opened opened)
      throws IOException {
    ServerConfig.Http http = config.http();
    Map<String, BooleanSupplier> ready = Map.of("database", database::ping, "hsm", token::ping);
    caExpiryGauges(authorities);
    MetricsEndpoint endpoint = metrics.enabled() ? new MetricsEndpoint(metrics) : null;
    if (endpoint != null) {
      MetricsEndpoint warmed = endpoint;
      scheduler.execute(
          () -> {
            try {
              warmed.warm();
            } catch (IOException | RuntimeException e) {
              // Then the first real scrape is the slow one; it reports what fails.
            }
          });
    }
    if (endpoint != null && config.metrics().ownListener()) {
      metricsServer =
          opened.add(
              MetricsServer.start(config.metrics().host(), config.metrics().port(), endpoint));
      endpoint = null;
    }
    try {
      return HttpSidecar.start(
          http, authorities, crls, ocsp, ready, clock, metrics, endpoint, downloads);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(
          "cannot start the HTTP sidecar on " + http.host() + ":" + http.port(), e);
    }
  }

  /** The listener of /metrics when it has its own; null otherwise. */
  MetricsServer metricsServer;

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
