package dev.grpca.server.store;

import java.time.Instant;

/** A signed CRL as stored: its number, validity and DER. */
public record StoredCrl(
    String authorityId, long number, Instant thisUpdate, Instant nextUpdate, byte[] der) {
  public StoredCrl {
    der = der.clone();
  }

  @Override
  public byte[] der() {
    return der.clone();
  }
}
