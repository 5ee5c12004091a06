package dev.grpca.server.store.jooq;

import dev.grpca.server.error.CaException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.function.Supplier;
import org.jooq.exception.DataAccessException;

/** Turns a database that cannot be reached into UNAVAILABLE; anything else stays a bug. */
final class StoreErrors {
  private StoreErrors() {}

  static <T> T guard(Supplier<T> work) {
    try {
      return work.get();
    } catch (DataAccessException e) {
      if (isUnavailable(e)) {
        throw CaException.unavailable("the database is unavailable", e);
      }
      throw e;
    }
  }

  static void run(Runnable work) {
    guard(
        () -> {
          work.run();
          return null;
        });
  }

  /**
   * Whether anything in the chain says the database cannot be reached or is going away: a
   * connection error (SQLSTATE class 08, or the pool timing out), or the server shutting down or
   * refusing connections for now (PostgreSQL's 57P01-57P03, 53300 too many connections).
   */
  private static boolean isUnavailable(DataAccessException e) {
    if (e.sqlStateClass() == org.jooq.exception.SQLStateClass.C08_CONNECTION_EXCEPTION) {
      return true;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")) {
          return true;
        }
      }
      for (Throwable suppressed : t.getSuppressed()) {
        if (suppressed instanceof DataAccessException inner && isUnavailable(inner)) {
          return true;
        }
      }
    }
    return false;
  }

  static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
