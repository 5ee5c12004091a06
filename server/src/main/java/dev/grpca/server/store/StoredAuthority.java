package dev.grpca.server.store;

import java.time.Instant;

/**
 * A CA as stored: its certificate and the label of its key in the token. {@code certificatePem} is
 * null while the CA is being created: its row is written before its certificate is signed.
 */
public record StoredAuthority(
    String id,
    String parentId,
    String keyLabel,
    String certificatePem,
    boolean isDefault,
    Instant createTime) {

  /** Whether its certificate is stored (false: its creation was interrupted). */
  public boolean isComplete() {
    return certificatePem != null;
  }
}
