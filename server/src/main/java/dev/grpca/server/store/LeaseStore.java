package dev.grpca.server.store;

import java.time.Duration;
import java.time.Instant;

/** Leases by name, so that of several replicas on one database one at a time runs a job. */
public interface LeaseStore {
  /**
   * Takes or renews the lease {@code name} for {@code holder} until {@code now + ttl}: true when
   * {@code holder} holds it now (it was free, expired, or already its own), false when another
   * holder's lease has not expired.
   */
  boolean hold(String name, String holder, Instant now, Duration ttl);

  /** Gives the lease {@code name} up, if {@code holder} holds it. */
  void release(String name, String holder);
}
