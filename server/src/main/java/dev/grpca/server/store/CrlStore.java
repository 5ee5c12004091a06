package dev.grpca.server.store;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/** CRLs and the revoked certificates that go into them. */
public interface CrlStore {
  /** What is known of the newest CRL of an authority, without reading its bytes. */
  Optional<CrlInfo> latestInfo(String authorityId);

  /** The CRL {@code info} describes; empty when it has been pruned meanwhile. */
  Optional<StoredCrl> load(CrlInfo info);

  /** The number the next CRL of an authority gets: one more than the highest stored. */
  long nextNumber(String authorityId);

  /** Stores a CRL, all of it or nothing; false when another process stored that number first. */
  boolean save(StoredCrl crl);

  /** Drops the CRLs of an authority numbered below {@code number}; their numbers stay taken. */
  void dropBelow(String authorityId, long number);

  /** A revoked, not yet expired certificate of an authority, as a CRL entry needs it. */
  record Revoked(String serialNumber, Instant revocationTime, int reason) {}

  /**
   * Streams the revoked certificates of {@code authorityId} that have not expired at {@code now},
   * in no particular order, without holding them all in memory.
   */
  void forEachRevoked(String authorityId, Instant now, Consumer<Revoked> entry);
}
