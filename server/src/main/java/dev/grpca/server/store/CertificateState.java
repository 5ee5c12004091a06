package dev.grpca.server.store;

/** Where a certificate row is in the issuance cycle. */
public enum CertificateState {
  /** Recorded with its TBS before the HSM signs; not yet a certificate. */
  PENDING,
  /** Signed and stored: the only state a caller ever sees. */
  ISSUED,
  /** Signing failed after the row was recorded; nothing was handed out. */
  FAILED
}
