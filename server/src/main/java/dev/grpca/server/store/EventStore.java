package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;

/** The changes watch streams tell of, in the order they were made (their audit sequence). */
public interface EventStore {
  /**
   * A change: REVOKED (with its reason), RENEWED ({@code serialNumber} the new certificate, {@code
   * previous} the one it renewed), or EXPIRING (its renew_before is reached, no renewal coming).
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
    public static final String EXPIRING = "EXPIRING";

    /** An authority's trust bundle changed ({@code authorityId}); none is written yet. */
    public static final String TRUST = "TRUST";

    /** An authority's settings changed (UpdateAuthority): replicas read them again. */
    public static final String AUTHORITY = "AUTHORITY";

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

  /**
   * The newest seq that retention removed (0: none): a stream resuming from before it would miss
   * events.
   */
  long horizon();

  /** Removes up to {@code limit} of the oldest events made before {@code before}; how many went. */
  int forget(java.time.Instant before, int limit);
}
