package dev.grpca.server.store.jooq;

import dev.grpca.server.error.CaException;
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

  private static boolean isUnavailable(DataAccessException e) {
    Throwable cause = e.getCause();
    return cause instanceof SQLTransientException
        || cause instanceof SQLNonTransientConnectionException
        || e.sqlStateClass() == org.jooq.exception.SQLStateClass.C08_CONNECTION_EXCEPTION;
  }

  static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
