package dev.grpca.server.store;

import java.time.Instant;

/**
 * A private key the CA holds for a certificate, sealed by a token key, and until when: {@code
 * holdUntil} for a key held for a one-time download (then it is void), null for one held as long as
 * its certificate (imported with it).
 */
public record HeldKey(ImportedCertificate.SealedKey key, Instant holdUntil) {
  /** Whether it is held for a download (and goes once its bundle is fetched). */
  public boolean forDownload() {
    return holdUntil != null;
  }
}
