package dev.grpca.server.store;

import java.time.Instant;

/**
 * Which issued certificates List wants: every non-null filter must match, and every one of {@code
 * labels} (none when empty). {@code standing} is judged at {@code now}. {@code after} is where the
 * previous page ended (null: the start).
 */
public record CertificateQuery(
    String namePrefix,
    String commonName,
    String dnsName,
    java.util.Map<String, String> labels,
    String profile,
    String authorityId,
    Standing standing,
    Instant expireBefore,
    Instant expireAfter,
    Instant now,
    Cursor after) {

  public CertificateQuery {
    // In the order asked: the first label is the one the store looks up by its index.
    labels =
        labels == null
            ? java.util.Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
  }

  /** A position in issue order: the issue time and serial of the last certificate seen. */
  public record Cursor(Instant issueTime, String serialNumber) {}
}
