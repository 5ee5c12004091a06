package dev.grpca.server.store;

import java.time.Instant;

/**
 * Which issued certificates List wants: every non-null filter must match. {@code standing} is
 * judged at {@code now}. {@code after} is where the previous page ended (null: the start).
 */
public record CertificateQuery(
    String namePrefix,
    String commonName,
    String dnsName,
    String labelKey,
    String labelValue,
    String profile,
    String authorityId,
    Standing standing,
    Instant expireBefore,
    Instant expireAfter,
    Instant now,
    Cursor after) {

  /** A position in issue order: the issue time and serial of the last certificate seen. */
  public record Cursor(Instant issueTime, String serialNumber) {}
}
