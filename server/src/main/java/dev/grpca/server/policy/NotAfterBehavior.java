package dev.grpca.server.policy;

/** What happens when a certificate would outlive its issuer. */
public enum NotAfterBehavior {
  /** Refuse the request. */
  ERROR,
  /** End the certificate when the issuer ends. */
  TRUNCATE
}
