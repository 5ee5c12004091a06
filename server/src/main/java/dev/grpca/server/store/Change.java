package dev.grpca.server.store;

/**
 * A change another replica made that this one must apply at once rather than after its caches
 * expire: a revocation (key {@code authorityId:serial}), or tokens, principals or profiles changed.
 * {@link Kind#EVERYTHING} says changes may have been missed (the feed was cut): forget every cached
 * read.
 */
public record Change(Kind kind, String key) {
  public enum Kind {
    REVOKED,
    TOKENS,
    PRINCIPALS,
    PROFILES,
    EVERYTHING
  }

  /** The authority of a {@link Kind#REVOKED} change. */
  public String authorityId() {
    return key.substring(0, key.lastIndexOf(':'));
  }

  /** The serial of a {@link Kind#REVOKED} change. */
  public String serialNumber() {
    return key.substring(key.lastIndexOf(':') + 1);
  }
}
