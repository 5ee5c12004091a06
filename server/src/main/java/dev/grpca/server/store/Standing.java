package dev.grpca.server.store;

/** What an issued certificate is at a given moment. */
public enum Standing {
  VALID,
  REVOKED,
  EXPIRED
}
