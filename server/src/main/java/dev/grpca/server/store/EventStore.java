package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;

/** The changes watch streams tell of, in the order they were made (their audit sequence). */
public interface EventStore {
  /**
   * A change: REVOKED (with its reason), or RENEWED ({@code serialNumber} the new certificate,
   * {@code previous} the one it renewed).
   */
  record Event(
      long seq,
      String kind,
      String authorityId,
      String serialNumber,
      Instant time,
      Integer reason,
      String previous) {
    public static final String REVOKED = "REVOKED";
    public static final String RENEWED = "RENEWED";

    /** An authority's trust bundle changed ({@code authorityId}); none is written yet. */
    public static final String TRUST = "TRUST";

    /** A revocation. */
    public Event(
        long seq,
        String kind,
        String authorityId,
        String serialNumber,
        Instant time,
        Integer reason) {
      this(seq, kind, authorityId, serialNumber, time, reason, null);
    }
  }

  /** Up to {@code limit} events after {@code seq}, in order. */
  List<Event> eventsAfter(long seq, int limit);

  /** The newest event's seq; 0 when there is none. */
  long lastEvent();
}
