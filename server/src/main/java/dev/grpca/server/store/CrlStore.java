package dev.grpca.server.store;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/** CRLs and the revoked certificates that go into them. */
public interface CrlStore {
  /** The newest CRL of an authority. */
  Optional<StoredCrl> latest(String authorityId);

  /** The number the next CRL of an authority gets: one more than the highest stored. */
  long nextNumber(String authorityId);

  /** Stores a CRL; false when another process stored that number first. */
  boolean save(StoredCrl crl);

  /** A revoked, not yet expired certificate of an authority, as a CRL entry needs it. */
  record Revoked(String serialNumber, Instant revocationTime, int reason) {}

  /**
   * Streams the revoked certificates of {@code authorityId} that have not expired at {@code now},
   * ordered by serial, without holding them all in memory.
   */
  void forEachRevoked(String authorityId, Instant now, Consumer<Revoked> entry);
}
