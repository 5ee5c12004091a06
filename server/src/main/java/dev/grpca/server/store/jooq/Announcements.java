package dev.grpca.server.store.jooq;

import dev.grpca.server.store.Change;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;

/**
 * Tells the other replicas of a change, inside the transaction that makes it: PostgreSQL delivers a
 * {@code NOTIFY} when (and only if) the transaction commits. Each process names itself, so that it
 * does not apply its own changes twice.
 */
final class Announcements {
  static final String CHANNEL = "grpca_changes";

  /** This process, in the payload of what it announces. */
  final String origin = UUID.randomUUID().toString();

  private final boolean postgres;

  Announcements(SQLDialect dialect) {
    this.postgres = dialect.family() == SQLDialect.POSTGRES;
  }

  void announce(DSLContext tx, Change.Kind kind, String key) {
    if (postgres) {
      tx.resultQuery("SELECT pg_notify(?, ?)", CHANNEL, payload(kind, key)).fetch();
    }
  }

  private String payload(Change.Kind kind, String key) {
    return origin + " " + kind + " " + key;
  }

  /** The change a payload names, or null for this process's own or one it cannot read. */
  Change parse(String payload) {
    String[] parts = payload.split(" ", 3);
    if (parts.length != 3 || parts[0].equals(origin)) {
      return null;
    }
    try {
      return new Change(Change.Kind.valueOf(parts[1]), parts[2]);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
