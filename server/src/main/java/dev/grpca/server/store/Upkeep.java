package dev.grpca.server.store;

import java.time.Instant;

/**
 * What is recorded with a pending row besides the row: the private key the CA is to hold for it (a
 * one-time download; null: none), its auto-renewal: the choice made at issuance ("ON", "OFF"; null:
 * as its profile says) and when the CA is to renew it (null: never), and when its watchers are told
 * it is about to expire with no renewal coming (null: never; set for those the CA does not renew).
 */
public record Upkeep(HeldKey heldKey, String renewChoice, Instant renewAt, Instant noticeAt) {
  /** Nothing besides the row. */
  public static final Upkeep NONE = new Upkeep(null, null, null, null);

  /** Whether it records a renewal row. */
  public boolean renewal() {
    return renewChoice != null || renewAt != null;
  }
}
