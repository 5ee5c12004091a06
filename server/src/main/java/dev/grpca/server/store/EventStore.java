package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;

/** The changes watch streams tell of, in the order they were made (their audit sequence). */
public interface EventStore {
  /** A change: {@code kind} REVOKED (with its reason) for now. */
  record Event(
      long seq,
      String kind,
      String authorityId,
      String serialNumber,
      Instant time,
      Integer reason) {
    public static final String REVOKED = "REVOKED";
  }

  /** Up to {@code limit} events after {@code seq}, in order. */
  List<Event> eventsAfter(long seq, int limit);

  /** The newest event's seq; 0 when there is none. */
  long lastEvent();
}
