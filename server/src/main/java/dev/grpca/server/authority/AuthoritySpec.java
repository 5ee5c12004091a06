package dev.grpca.server.authority;

import dev.grpca.server.x509.KeyAlgorithm;
import java.time.Duration;

/** A CA to create at first start: id, subject DN (RFC 4514), key type and lifetime. */
public record AuthoritySpec(
    String id, String subject, KeyAlgorithm keyAlgorithm, Duration lifetime) {
  /** The label of its key (and certificate) in the token. */
  public String keyLabel() {
    return "grpca-" + id;
  }
}
