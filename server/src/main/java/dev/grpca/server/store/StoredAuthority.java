package dev.grpca.server.store;

import java.time.Instant;

/**
 * A CA as stored: its certificate and the label of its key in the token. {@code certificatePem} is
 * null while the CA is being created (its row is written before its certificate is signed) and
 * while an intermediate for an external root waits for its certificate ({@code state} PENDING_CSR,
 * {@code csrPem} what went out). {@code chainPem}: the certificates above it up to an external
 * root; null under a local parent.
 */
public record StoredAuthority(
    String id,
    String parentId,
    String keyLabel,
    String certificatePem,
    boolean isDefault,
    Instant createTime,
    String state,
    String csrPem,
    String chainPem) {

  public static final String ACTIVE = "ACTIVE";
  public static final String PENDING_CSR = "PENDING_CSR";
  public static final String DISABLED = "DISABLED";

  /** An active CA under a local parent (or a root). */
  public StoredAuthority(
      String id,
      String parentId,
      String keyLabel,
      String certificatePem,
      boolean isDefault,
      Instant createTime) {
    this(id, parentId, keyLabel, certificatePem, isDefault, createTime, ACTIVE, null, null);
  }

  /** Whether its certificate is stored (false: being created, or waiting for it). */
  public boolean isComplete() {
    return certificatePem != null;
  }

  /** Whether it waits for the certificate an external root signs. */
  public boolean isPending() {
    return PENDING_CSR.equals(state);
  }
}
