package dev.grpca.server.store.jooq;

import dev.grpca.server.store.Change;
import dev.grpca.server.store.ChangeFeed;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LISTEN grpca_changes} on a connection of its own, on a thread of its own. When the
 * connection is lost it connects again (every second until it can) and tells its listeners {@link
 * Change.Kind#EVERYTHING}, since changes made meanwhile were not heard.
 */
final class PostgresChangeFeed implements ChangeFeed, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostgresChangeFeed.class);
  private static final int WAIT_MILLIS = 500;

  private final DataSource connections;
  private final Announcements announcements;
  private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean closed;

  PostgresChangeFeed(DataSource connections, Announcements announcements) {
    this.connections = connections;
    this.announcements = announcements;
    this.thread = new Thread(this::run, "grpca-db-changes");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void subscribe(Consumer<Change> listener) {
    listeners.add(listener);
  }

  private void run() {
    boolean missed = false;
    while (!closed) {
      try (Connection c = connections.getConnection()) {
        try (Statement listen = c.createStatement()) {
          listen.execute("LISTEN " + Announcements.CHANNEL);
        }
        if (missed) {
          log.info("hearing other replicas' changes again");
          tell(new Change(Change.Kind.EVERYTHING, ""));
          missed = false;
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] heard = pg.getNotifications(WAIT_MILLIS);
          if (heard == null) {
            continue;
          }
          for (PGNotification n : heard) {
            Change change = announcements.parse(n.getParameter());
            if (change != null) {
              tell(change);
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        if (!missed) {
          log.warn("not hearing other replicas' changes: {}", e.toString());
        }
        missed = true;
        try {
          Thread.sleep(1000);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private void tell(Change change) {
    for (Consumer<Change> listener : listeners) {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        log.warn("applying {} failed", change, e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
