package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Principals, their bearer tokens (as SHA-256 only), the audit log and the rate-limit buckets.
 * Every write records itself in the audit log in its own transaction.
 */
public interface AccessStore {
  /** A principal: its name and its spec (grpca.v1.Principal as JSON). */
  record StoredPrincipal(String name, String spec, Instant createTime, Instant updateTime) {}

  /** A token's record; {@code sha256} is the hex SHA-256 of the token. */
  record StoredToken(
      String id,
      String principal,
      String sha256,
      String description,
      Instant createTime,
      Instant expireTime,
      Instant revokeTime) {}

  Optional<StoredPrincipal> principal(String name);

  List<StoredPrincipal> principals();

  /** Creates or replaces a principal. */
  StoredPrincipal putPrincipal(String name, String spec, Instant at);

  void insertToken(StoredToken token);

  /** The token whose SHA-256 is {@code sha256}. */
  Optional<StoredToken> tokenBySha256(String sha256);

  Optional<StoredToken> token(String id);

  List<StoredToken> tokens(String principal);

  /** Sets the revocation time unless already set; the record as it then is. */
  Optional<StoredToken> revokeToken(String id, Instant at);

  /** Appends a record for a call that changed nothing else (a denied or failed call). */
  AuditRecord audit(
      AuditCall call, Instant at, String outcome, String profile, String serial, String detail);

  /** Up to {@code limit} records after sequence {@code after}, oldest first. */
  List<AuditRecord> auditRecords(long after, int limit);

  /** Walks the whole log and checks its chain. */
  AuditChain.Verdict verifyAudit();

  /**
   * Takes one token from each bucket (refilled at {@code perSecond} up to {@code capacity} since
   * its last use), all or none, in one transaction. Returns 0 when taken, else the seconds until
   * the emptiest bucket has a token again.
   */
  double take(List<Bucket> buckets, Instant now);

  /** A token bucket's key and shape. */
  record Bucket(String key, double capacity, double perSecond) {}
}
