package dev.grpca.server.store;

import java.util.function.Consumer;

/**
 * The changes other replicas on the same database make, as they commit: on PostgreSQL through
 * {@code LISTEN/NOTIFY}, so nothing polls the tables. The embedded H2 database has one process, and
 * a process applies its own changes where it makes them: its feed is silent.
 */
public interface ChangeFeed {
  /** {@code listener} is told each change, on the feed's own thread. */
  void subscribe(Consumer<Change> listener);
}
