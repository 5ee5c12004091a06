package dev.grpca.server.store;

import java.time.Instant;
import java.util.Optional;

/**
 * Download tokens, by the SHA-256 of the token (the token itself is never stored): each good once,
 * until its expiry. Every change is audited with the call that made it.
 */
public interface DownloadStore {
  /** Stores a new token for {@code serialNumber}, audited (under {@code profile}). */
  void create(
      String tokenHash,
      String serialNumber,
      String profile,
      String createdBy,
      Instant now,
      Instant expireTime);

  /** A token that is unused and unexpired: its certificate, and who made it. */
  record Usable(String serialNumber, String createdBy) {}

  /** The token {@code tokenHash} if it is unused and unexpired at {@code now}. */
  Optional<Usable> usable(String tokenHash, Instant now);

  /**
   * Uses the token, once: false when it was used already or is expired (another fetch won). With
   * it, in one audited transaction ({@code call}: who fetched, from where), the key held for the
   * download of its certificate is deleted (a key imported with it stays).
   */
  boolean use(String tokenHash, String serialNumber, String profile, Instant now, AuditCall call);

  /**
   * Deletes up to {@code limit} tokens that expired before {@code before} and keys whose hold ended
   * before {@code now}; returns how many rows went.
   */
  int sweep(Instant before, Instant now, int limit);
}
