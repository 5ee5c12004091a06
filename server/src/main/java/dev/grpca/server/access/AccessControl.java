package dev.grpca.server.access;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.proto.ProtoTime;
import dev.grpca.server.store.AccessStore;
import dev.grpca.server.store.AccessStore.StoredToken;
import dev.grpca.server.store.AuditChain;
import dev.grpca.server.store.ReadCache;
import dev.grpca.server.x509.SubjectFields;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * Principals and their bearer tokens: who a caller is (by token or by TLS client certificate) and
 * the management of both. Tokens are 256 random bits, shown once; only their SHA-256 is stored.
 */
public final class AccessControl {
  /** The principal the development admin token belongs to. */
  public static final String ADMIN = "admin";

  private static final String TOKEN_PREFIX = "grpca_";
  private static final int MAX_NAME = 512;

  private final AccessStore store;
  private final SecureRandom random;
  private final Clock clock;

  /**
   * Tokens (by SHA-256) and principals as recently read: every call looks both up. Changes made
   * here clear them; another replica's apply as they commit on PostgreSQL ({@link #forgetCached}),
   * and within {@link ReadCache#FRESH} otherwise.
   */
  private final ReadCache<String, Optional<StoredToken>> tokens =
      new ReadCache<>(ReadCache.FRESH, 10_000);

  private final ReadCache<String, Optional<Principal>> principals =
      new ReadCache<>(ReadCache.FRESH, 10_000);

  public AccessControl(AccessStore store, SecureRandom random, Clock clock) {
    this.store = store;
    this.random = random;
    this.clock = clock;
  }

  /** The caller holding {@code token}; UNAUTHENTICATED when it is unknown, expired or revoked. */
  public Caller byToken(String token) {
    Optional<StoredToken> found = tokens.get(sha256Hex(token), store::tokenBySha256);
    if (found.isEmpty()) {
      throw new CaException(ErrorKind.UNAUTHENTICATED, "the bearer token is not valid");
    }
    StoredToken t = found.get();
    Instant now = clock.instant();
    if (t.revokeTime() != null) {
      throw new CaException(
          ErrorKind.UNAUTHENTICATED, "the bearer token " + t.id() + " has been revoked");
    }
    if (t.expireTime() != null && !now.isBefore(t.expireTime())) {
      throw new CaException(
          ErrorKind.UNAUTHENTICATED,
          "the bearer token " + t.id() + " expired at " + t.expireTime());
    }
    return new Caller(t.principal(), principalOrNone(t.principal()), null);
  }

  /**
   * The caller a verified TLS client certificate names: its SPIFFE URI SAN, else its common name.
   */
  public Caller byCertificate(X509Certificate certificate, String serial) {
    String name = nameOf(certificate);
    return new Caller(name, principalOrNone(name), serial);
  }

  static String nameOf(X509Certificate certificate) {
    try {
      if (certificate.getSubjectAlternativeNames() != null) {
        for (List<?> san : certificate.getSubjectAlternativeNames()) {
          if (((Integer) san.get(0)) == 6 && san.get(1).toString().startsWith("spiffe://")) {
            return san.get(1).toString();
          }
        }
      }
    } catch (CertificateParsingException e) {
      // fall through to the common name
    }
    String cn =
        SubjectFields.of(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()))
            .commonName();
    return cn.isEmpty() ? "certificate:" + certificate.getSerialNumber().toString(16) : cn;
  }

  private Principal principalOrNone(String name) {
    return principals
        .get(name, n -> store.principal(n).map(AccessControl::parse))
        .orElse(Principal.newBuilder().setName(name).build());
  }

  public Optional<Principal> principal(String name) {
    return store.principal(name).map(AccessControl::parse);
  }

  public List<Principal> principals() {
    return store.principals().stream().map(AccessControl::parse).toList();
  }

  /** Creates or replaces a principal after checking it. */
  public Principal put(Principal principal) {
    String name = principal.getName();
    if (name.isBlank() || name.length() > MAX_NAME || !name.strip().equals(name)) {
      throw CaException.invalid("principal.name", "'" + name + "' (expected: 1..512 characters)");
    }
    for (int i = 0; i < principal.getGrantsCount(); i++) {
      Grant grant = principal.getGrants(i);
      if (grant.getOperationsCount() == 0
          || grant.getOperationsList().contains(Operation.OPERATION_UNSPECIFIED)
          || grant.getOperationsList().contains(Operation.UNRECOGNIZED)) {
        throw CaException.invalid(
            "principal.grants[" + i + "].operations", "empty or unknown (expected: OPERATION_*)");
      }
      boolean onlyAdmin =
          grant.getOperationsList().stream().allMatch(o -> o == Operation.OPERATION_ADMIN);
      if (!onlyAdmin && grant.getProfilesCount() == 0) {
        throw CaException.invalid(
            "principal.grants[" + i + "].profiles", "empty (expected: profile names or \"*\")");
      }
    }
    Principal stored = principal.toBuilder().clearCreateTime().clearUpdateTime().build();
    Principal saved = parse(store.putPrincipal(name, json(stored), clock.instant()));
    principals.clear();
    return saved;
  }

  /** A new token for {@code principal}: the record and the token itself, which is not kept. */
  public record NewToken(StoredToken info, String token) {}

  public NewToken createToken(String principal, String description, Duration lifetime) {
    if (store.principal(principal).isEmpty()) {
      throw CaException.field(ErrorKind.NOT_FOUND, "principal", "no principal '" + principal + "'");
    }
    if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
      throw CaException.invalid("lifetime", "must be positive");
    }
    if (description.length() > 256) {
      throw CaException.invalid("description", "longer than 256 characters");
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Instant now = clock.instant();
    StoredToken info =
        new StoredToken(
            newId(),
            principal,
            sha256Hex(token),
            description,
            now,
            lifetime == null ? null : now.plus(lifetime),
            null);
    store.insertToken(info);
    return new NewToken(info, token);
  }

  public StoredToken revokeToken(String id) {
    StoredToken revoked =
        store
            .revokeToken(id, clock.instant())
            .orElseThrow(
                () -> CaException.field(ErrorKind.NOT_FOUND, "id", "no token '" + id + "'"));
    tokens.clear();
    return revoked;
  }

  public List<StoredToken> tokens(String principal) {
    return store.tokens(principal);
  }

  /**
   * Makes sure the development admin exists: principal {@value #ADMIN} with every operation on
   * every profile, and the token whose SHA-256 is {@code tokenSha256} as one of its tokens.
   */
  public void ensureAdmin(byte[] tokenSha256) {
    if (store.principal(ADMIN).isEmpty()) {
      put(
          Principal.newBuilder()
              .setName(ADMIN)
              .setRevokeAny(true)
              .addGrants(
                  Grant.newBuilder()
                      .addAllOperations(
                          List.of(
                              Operation.OPERATION_ISSUE,
                              Operation.OPERATION_SIGN,
                              Operation.OPERATION_RENEW,
                              Operation.OPERATION_REVOKE,
                              Operation.OPERATION_READ,
                              Operation.OPERATION_ADMIN))
                      .addProfiles("*"))
              .build());
    }
    String hash = HexFormat.of().formatHex(tokenSha256);
    if (store.tokenBySha256(hash).isEmpty()) {
      try {
        store.insertToken(
            new StoredToken(
                newId(), ADMIN, hash, "development admin token file", clock.instant(), null, null));
      } catch (RuntimeException e) {
        // Replicas started together on one admin token file: another one stored it first (the
        // sha256 is unique). Anything else is still an error.
        if (store.tokenBySha256(hash).isEmpty()) {
          throw e;
        }
      }
    }
  }

  private String newId() {
    byte[] id = new byte[8];
    random.nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  /** Up to {@code limit} audit records after sequence number {@code after}, oldest first. */
  public List<dev.grpca.server.store.AuditRecord> auditRecords(long after, int limit) {
    return store.auditRecords(after, limit);
  }

  /** Checks the audit log's hash chain from its first record to its head. */
  public AuditChain.Verdict verifyAudit() {
    return store.verifyAudit();
  }

  /**
   * Forgets every cached token and principal: another replica changed them ({@link
   * dev.grpca.server.store.ChangeFeed}).
   */
  public void forgetCached() {
    tokens.clear();
    principals.clear();
  }

  /** Hex SHA-256 of a presented token, as tokens are stored. */
  public static String sha256Hex(String token) {
    return HexFormat.of().formatHex(sha256(token));
  }

  /** SHA-256 of a token's UTF-8 bytes: the one hash of bearer tokens, stored or configured. */
  public static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static Principal parse(AccessStore.StoredPrincipal p) {
    Principal.Builder b = Principal.newBuilder();
    try {
      JsonFormat.parser().merge(p.spec(), b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("principal " + p.name() + ": unreadable spec", e);
    }
    return b.setName(p.name())
        .setCreateTime(ProtoTime.timestamp(p.createTime()))
        .setUpdateTime(ProtoTime.timestamp(p.updateTime()))
        .build();
  }

  private static String json(Principal p) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(p);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
