package dev.grpca.server.store.jooq;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an H2 file from growing without bound. With {@code WRITE_DELAY=0} (each commit written
 * before it returns, which issuance needs) H2 has no background writer, and the background writer
 * is what rewrites its half-empty chunks: every commit appends a chunk holding fresh copies of the
 * pages it touched, and the file grew by ~120 KB per issued certificate (2.4-3 GB after 20k). This
 * does the writer's compaction on a schedule instead: chunks less than {@link #TARGET_FILL_RATE}%
 * live are rewritten, at most {@link #WRITE_PER_RUN} bytes per run, and H2 reuses the space of
 * chunks left empty once its retention time has passed. Commits wait while a run rewrites: runs of
 * 16 MiB every 5 s stalled Sign calls for ~280 ms at every run (the bench's paced p99 was 237 ms),
 * so the runs are small and frequent, as H2's own background writer does them.
 */
final class H2Maintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(H2Maintenance.class);
  static final int TARGET_FILL_RATE = 70;
  static final int WRITE_PER_RUN = 1024 * 1024;
  private static final long EVERY_MILLIS = 250;

  private final DataSource pool;
  private final ScheduledExecutorService scheduler;

  H2Maintenance(DataSource pool) {
    this.pool = pool;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "grpca-h2-maintenance");
              t.setDaemon(true);
              return t;
            });
  }

  /** Compacts the H2 file four times a second until closed. */
  void schedule() {
    scheduler.scheduleWithFixedDelay(
        this::runQuietly, EVERY_MILLIS, EVERY_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void runQuietly() {
    try {
      compactOnce();
    } catch (RuntimeException | SQLException e) {
      log.warn("compacting the H2 file failed; trying again in {} ms", EVERY_MILLIS, e);
    }
  }

  /** One round of compaction; true when chunks were rewritten. */
  boolean compactOnce() throws SQLException {
    try (Connection c = pool.getConnection()) {
      MVStore store = mvStore(c);
      if (store == null || store.isClosed()) {
        return false;
      }
      return store.compact(TARGET_FILL_RATE, WRITE_PER_RUN);
    }
  }

  /** The store behind an embedded H2 connection; null for any other kind. */
  static MVStore mvStore(Connection c) throws SQLException {
    if (!c.isWrapperFor(JdbcConnection.class)
        || !(c.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session)) {
      return null;
    }
    return session.getDatabase().getStore().getMvStore();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
