package dev.grpca.server.store.jooq;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.grpca.server.error.CaException;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.AccessStore;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.AuthorityStore;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.ChangeFeed;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.LeaseStore;
import dev.grpca.server.store.ProfileStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

/**
 * The database: a connection pool, migrated by Flyway at start, and a jOOQ context over it. Names
 * render unquoted so the same generated classes run on H2 and PostgreSQL.
 */
public final class Database implements AutoCloseable {
  private static final String HIKARI_CHECK_AFTER_IDLE_MS = "com.zaxxer.hikari.aliveBypassWindowMs";

  static {
    // jOOQ prints a banner and a "tip of the day" when first used: noise in an operator's log.
    System.setProperty("org.jooq.no-logo", "true");
    System.setProperty("org.jooq.no-tips", "true");
  }

  /**
   * HikariCP checks a connection before lending it only when it has been idle 500 ms, so a
   * connection the database dropped while it was away can fail one call after it is back (with
   * UNAVAILABLE; HikariCP then drops it). On embedded H2 the check is free (no round trip), so it
   * is made on every loan there. On PostgreSQL it is a round trip per transaction: checking every
   * loan cost Sign 20-38% of its rate at 4-16 callers (make bench-postgres), so HikariCP's default
   * stays. The setting is the JVM's (HikariCP reads it once): the first database opened decides it.
   */
  private static void checkConnectionsOnEveryLoan(boolean everyLoan) {
    if (System.getProperty(HIKARI_CHECK_AFTER_IDLE_MS) == null) {
      System.setProperty(HIKARI_CHECK_AFTER_IDLE_MS, everyLoan ? "0" : "500");
    }
  }

  /**
   * How long a call waits for a pooled connection before it fails UNAVAILABLE; the database being
   * down must not hold callers for long.
   */
  private static final Duration CONNECTION_WAIT = Duration.ofSeconds(1);

  private static final int POOL_SIZE = 10;

  private static final String POOL_NAME = "grpca-db";

  private final HikariDataSource pool;
  private final DSLContext dsl;
  private final H2Maintenance maintenance;
  private final CertificateStore certificates;
  private final AccessStore access;
  private final CrlStore crls;
  private final ProfileStore profiles;
  private final AuthorityStore authorities;
  private final LeaseStore leases;
  private final dev.grpca.server.store.DownloadStore downloads;
  private final dev.grpca.server.store.EventStore events;
  private final ChangeFeed changes;
  private final PostgresChangeFeed listening;

  /** Each store is made once: the certificate store's group commit batches every writer's rows. */
  private Database(
      HikariDataSource pool,
      DSLContext dsl,
      H2Maintenance maintenance,
      Supplier<AuditCall> calls,
      Metrics metrics) {
    this.pool = pool;
    this.dsl = dsl;
    this.maintenance = maintenance;
    Announcements announcements = new Announcements(dsl.dialect());
    this.certificates = new JooqCertificateStore(dsl, calls, announcements, metrics);
    this.access = new JooqAccessStore(dsl, calls, announcements);
    this.crls = new JooqCrlStore(dsl);
    this.profiles = new JooqProfileStore(dsl, calls, announcements);
    this.authorities = new JooqAuthorityStore(dsl, calls);
    this.leases = new JooqLeaseStore(dsl);
    this.downloads = new JooqDownloadStore(dsl, calls);
    this.events = new JooqEventStore(dsl);
    if (dsl.dialect().family() == SQLDialect.POSTGRES) {
      this.listening = new PostgresChangeFeed(pool, announcements);
      this.changes = listening;
    } else {
      this.listening = null;
      this.changes = listener -> {};
    }
  }

  /**
   * Opens the database at {@code jdbcUrl} and applies pending migrations; every change it records
   * is the server's own ({@link AuditCall#INTERNAL}).
   */
  public static Database open(String jdbcUrl, String user, String password) {
    return open(jdbcUrl, user, password, () -> AuditCall.INTERNAL, true, Metrics.disabled());
  }

  /**
   * As {@link #open(String, String, String)}, with {@code calls} telling the audit records of
   * changes who made the current call, and the pool and the group commit reporting to {@code
   * metrics}.
   */
  public static Database open(
      String jdbcUrl, String user, String password, Supplier<AuditCall> calls, Metrics metrics) {
    return open(jdbcUrl, user, password, calls, true, metrics);
  }

  /** As {@link #open(String, String, String)}; tests may leave the H2 file's compaction to call. */
  static Database open(String jdbcUrl, String user, String password, boolean compactOnSchedule) {
    return open(
        jdbcUrl, user, password, () -> AuditCall.INTERNAL, compactOnSchedule, Metrics.disabled());
  }

  private static Database open(
      String jdbcUrl,
      String user,
      String password,
      Supplier<AuditCall> calls,
      boolean compactOnSchedule,
      Metrics metrics) {
    SQLDialect dialect = dialect(jdbcUrl);
    checkConnectionsOnEveryLoan(dialect.family() == SQLDialect.H2);
    HikariDataSource pool;
    try {
      pool = pool(jdbcUrl, user, password, metrics);
    } catch (RuntimeException e) {
      throw CaException.unavailable(
          "cannot open the database " + jdbcUrl + ": " + deepestMessage(e), e);
    }
    try {
      migrate(pool);
    } catch (RuntimeException e) {
      pool.close();
      throw CaException.unavailable(
          "cannot open or migrate the database " + jdbcUrl + ": " + deepestMessage(e), e);
    }
    Settings settings =
        new Settings()
            .withRenderQuotedNames(RenderQuotedNames.NEVER)
            .withRenderSchema(false)
            .withExecuteLogging(false);
    H2Maintenance maintenance =
        dialect == SQLDialect.H2 && !jdbcUrl.startsWith("jdbc:h2:mem:")
            ? new H2Maintenance(pool)
            : null;
    if (maintenance != null && compactOnSchedule) {
      maintenance.schedule();
    }
    return new Database(pool, DSL.using(pool, dialect, settings), maintenance, calls, metrics);
  }

  /**
   * What the driver said at the bottom of the chain ("Connection to 127.0.0.1:5432 refused",
   * "password authentication failed for user ..."): the one line an operator needs.
   */
  private static String deepestMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /** The engine a JDBC URL names: the embedded H2 or PostgreSQL, nothing else. */
  static SQLDialect dialect(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:h2:")) {
      return SQLDialect.H2;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return SQLDialect.POSTGRES;
    }
    throw new IllegalArgumentException(
        "database.jdbc_url: "
            + jdbcUrl
            + " (expected: jdbc:h2:file:… for the embedded database, or"
            + " jdbc:postgresql://host:port/database)");
  }

  /**
   * HikariCP, not H2's own pool: H2's rolls back every connection it takes back, and on a busy
   * database that rollback made the caller write out the store's unsaved pages (a read-only OCSP
   * lookup spent 70% of its CPU there, measured with perf under the bench's OCSP flood). HikariCP
   * resets only a connection that was left in a transaction.
   */
  private static HikariDataSource pool(
      String jdbcUrl, String user, String password, Metrics metrics) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(POOL_NAME);
    if (metrics.enabled()) {
      // HikariCP reports its pool into the registry itself; these are the series grpca exports.
      String prefix = POOL_NAME + ".pool.";
      // Made first, so that HikariCP finds lock-free ones (it updates them on every loan).
      metrics.registry().timer(prefix + "Wait", Metrics::newTimer);
      metrics.registry().histogram(prefix + "Usage", Metrics::newHistogram);
      metrics.registry().histogram(prefix + "ConnectionCreation", Metrics::newHistogram);
      metrics.alias(prefix + "Wait", MetricNames.DB_POOL_WAIT);
      metrics.alias(prefix + "ConnectionTimeoutRate", MetricNames.DB_POOL_TIMEOUTS);
      for (String state : List.of("Active", "Idle", "Total", "Max", "Pending")) {
        metrics.alias(
            prefix + state + "Connections",
            MetricNames.DB_POOL_CONNECTIONS,
            state.toLowerCase(Locale.ROOT));
      }
      config.setMetricRegistry(metrics.registry());
    }
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(POOL_SIZE);
    config.setConnectionTimeout(CONNECTION_WAIT.toMillis());
    return new HikariDataSource(config);
  }

  private static void migrate(DataSource dataSource) {
    Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .failOnMissingLocations(true)
        .load()
        .migrate();
  }

  DSLContext dsl() {
    return dsl;
  }

  public CertificateStore certificates() {
    return certificates;
  }

  public AccessStore access() {
    return access;
  }

  public dev.grpca.server.store.DownloadStore downloads() {
    return downloads;
  }

  public dev.grpca.server.store.EventStore events() {
    return events;
  }

  /** Whether the database answers a trivial query. */
  public boolean ping() {
    try {
      dsl.selectOne().fetch();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  public CrlStore crls() {
    return crls;
  }

  public ProfileStore profiles() {
    return profiles;
  }

  public AuthorityStore authorities() {
    return authorities;
  }

  public LeaseStore leases() {
    return leases;
  }

  /** What other replicas on this database change, as they commit it. */
  public ChangeFeed changes() {
    return changes;
  }

  /** One round of the H2 file's compaction now; true when chunks were rewritten. */
  boolean compactNow() throws java.sql.SQLException {
    return maintenance != null && maintenance.compactOnce();
  }

  @Override
  public void close() {
    if (listening != null) {
      listening.close();
    }
    if (maintenance != null) {
      maintenance.close();
    }
    pool.close();
  }
}
