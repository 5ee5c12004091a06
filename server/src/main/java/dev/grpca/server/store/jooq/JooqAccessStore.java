package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.API_TOKEN;
import static dev.grpca.server.store.jooq.generated.Tables.AUDIT_HEAD;
import static dev.grpca.server.store.jooq.generated.Tables.AUDIT_RECORD;
import static dev.grpca.server.store.jooq.generated.Tables.PRINCIPAL;
import static dev.grpca.server.store.jooq.generated.Tables.RATE_BUCKET;

import dev.grpca.server.store.AccessStore;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.AuditChain;
import dev.grpca.server.store.AuditRecord;
import dev.grpca.server.store.Change;
import dev.grpca.server.store.jooq.generated.tables.records.ApiTokenRecord;
import dev.grpca.server.store.jooq.generated.tables.records.AuditRecordRecord;
import dev.grpca.server.store.jooq.generated.tables.records.PrincipalRecord;
import dev.grpca.server.store.jooq.generated.tables.records.RateBucketRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Record2;

final class JooqAccessStore implements AccessStore {
  private final DSLContext dsl;
  private final Announcements announcements;
  private final Supplier<AuditCall> calls;

  JooqAccessStore(DSLContext dsl, Supplier<AuditCall> calls, Announcements announcements) {
    this.announcements = announcements;
    this.dsl = dsl;
    this.calls = calls;
  }

  @Override
  public Optional<StoredPrincipal> principal(String name) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(PRINCIPAL)
                .where(PRINCIPAL.NAME.eq(name))
                .fetchOptional()
                .map(JooqAccessStore::principalOf));
  }

  @Override
  public List<StoredPrincipal> principals() {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(PRINCIPAL)
                .orderBy(PRINCIPAL.NAME)
                .fetch()
                .map(JooqAccessStore::principalOf));
  }

  @Override
  public StoredPrincipal putPrincipal(String name, String spec, Instant at) {
    try {
      return putPrincipalOnce(name, spec, at);
    } catch (org.jooq.exception.IntegrityConstraintViolationException e) {
      // Two callers made the same new principal at once (replicas started together, each making
      // the admin): the row did not exist to lock, so both inserted. The loser's second try finds
      // it and updates it.
      return putPrincipalOnce(name, spec, at);
    }
  }

  private StoredPrincipal putPrincipalOnce(String name, String spec, Instant at) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  announcements.announce(db, Change.Kind.PRINCIPALS, name);
                  Optional<PrincipalRecord> existing =
                      db.selectFrom(PRINCIPAL)
                          .where(PRINCIPAL.NAME.eq(name))
                          .forUpdate()
                          .fetchOptional();
                  if (existing.isPresent()) {
                    db.update(PRINCIPAL)
                        .set(PRINCIPAL.SPEC, spec)
                        .set(PRINCIPAL.UPDATE_TIME, StoreErrors.utc(at))
                        .where(PRINCIPAL.NAME.eq(name))
                        .execute();
                  } else {
                    db.insertInto(PRINCIPAL)
                        .set(PRINCIPAL.NAME, name)
                        .set(PRINCIPAL.SPEC, spec)
                        .set(PRINCIPAL.CREATE_TIME, StoreErrors.utc(at))
                        .set(PRINCIPAL.UPDATE_TIME, StoreErrors.utc(at))
                        .execute();
                  }
                  JooqAudit.append(
                      db, calls.get(), at, "OK", "", "", "principal " + name + " set to " + spec);
                  return principalOf(
                      db.selectFrom(PRINCIPAL).where(PRINCIPAL.NAME.eq(name)).fetchSingle());
                }));
  }

  @Override
  public void insertToken(StoredToken t) {
    StoreErrors.run(
        () ->
            dsl.transaction(
                tx -> {
                  DSLContext db = tx.dsl();
                  announcements.announce(db, Change.Kind.TOKENS, t.id());
                  db.insertInto(API_TOKEN)
                      .set(API_TOKEN.ID, t.id())
                      .set(API_TOKEN.PRINCIPAL, t.principal())
                      .set(API_TOKEN.SHA256, t.sha256())
                      .set(API_TOKEN.DESCRIPTION, t.description())
                      .set(API_TOKEN.CREATE_TIME, StoreErrors.utc(t.createTime()))
                      .set(
                          API_TOKEN.EXPIRE_TIME,
                          t.expireTime() == null ? null : StoreErrors.utc(t.expireTime()))
                      .execute();
                  JooqAudit.append(
                      db,
                      calls.get(),
                      t.createTime(),
                      "OK",
                      "",
                      "",
                      "token " + t.id() + " made for " + t.principal());
                }));
  }

  @Override
  public Optional<StoredToken> tokenBySha256(String sha256) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(API_TOKEN)
                .where(API_TOKEN.SHA256.eq(sha256))
                .fetchOptional()
                .map(JooqAccessStore::tokenOf));
  }

  @Override
  public Optional<StoredToken> token(String id) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(API_TOKEN)
                .where(API_TOKEN.ID.eq(id))
                .fetchOptional()
                .map(JooqAccessStore::tokenOf));
  }

  @Override
  public List<StoredToken> tokens(String principal) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(API_TOKEN)
                .where(API_TOKEN.PRINCIPAL.eq(principal))
                .orderBy(API_TOKEN.CREATE_TIME, API_TOKEN.ID)
                .fetch()
                .map(JooqAccessStore::tokenOf));
  }

  @Override
  public Optional<StoredToken> revokeToken(String id, Instant at) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  announcements.announce(db, Change.Kind.TOKENS, id);
                  Optional<ApiTokenRecord> row =
                      db.selectFrom(API_TOKEN)
                          .where(API_TOKEN.ID.eq(id))
                          .forUpdate()
                          .fetchOptional();
                  if (row.isEmpty()) {
                    return Optional.<StoredToken>empty();
                  }
                  if (row.get().getRevokeTime() == null) {
                    db.update(API_TOKEN)
                        .set(API_TOKEN.REVOKE_TIME, StoreErrors.utc(at))
                        .where(API_TOKEN.ID.eq(id))
                        .execute();
                  }
                  JooqAudit.append(
                      db,
                      calls.get(),
                      at,
                      "OK",
                      "",
                      "",
                      "token " + id + " of " + row.get().getPrincipal() + " revoked");
                  return Optional.of(
                      tokenOf(db.selectFrom(API_TOKEN).where(API_TOKEN.ID.eq(id)).fetchSingle()));
                }));
  }

  @Override
  public AuditRecord audit(
      AuditCall call, Instant at, String outcome, String profile, String serial, String detail) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> JooqAudit.append(tx.dsl(), call, at, outcome, profile, serial, detail)));
  }

  @Override
  public List<AuditRecord> auditRecords(long after, int limit) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(AUDIT_RECORD)
                .where(AUDIT_RECORD.SEQ.gt(after))
                .orderBy(AUDIT_RECORD.SEQ)
                .limit(limit)
                .fetch()
                .map(JooqAccessStore::auditOf));
  }

  @Override
  public AuditChain.Verdict verifyAudit() {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  Record2<Long, String> head =
                      db.select(AUDIT_HEAD.SEQ, AUDIT_HEAD.HASH)
                          .from(AUDIT_HEAD)
                          .where(AUDIT_HEAD.ID.eq(1))
                          .fetchSingle();
                  try (Cursor<AuditRecordRecord> rows =
                      db.selectFrom(AUDIT_RECORD)
                          .where(AUDIT_RECORD.SEQ.le(head.value1()))
                          .orderBy(AUDIT_RECORD.SEQ)
                          .fetchSize(1000)
                          .fetchLazy()) {
                    Iterator<AuditRecord> records =
                        new Iterator<>() {
                          @Override
                          public boolean hasNext() {
                            return rows.hasNext();
                          }

                          @Override
                          public AuditRecord next() {
                            return auditOf(rows.fetchNext());
                          }
                        };
                    return AuditChain.verify(records, head.value1(), head.value2());
                  }
                }));
  }

  @Override
  public double take(List<Bucket> buckets, Instant now) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  double wait = 0;
                  double[] levels = new double[buckets.size()];
                  for (int i = 0; i < buckets.size(); i++) {
                    Bucket b = buckets.get(i);
                    Optional<RateBucketRecord> row = lockBucket(db, b.key());
                    if (row.isEmpty()) {
                      // A full bucket, unless another caller (here or on another replica) made it
                      // first: then this waits for that one's lock and reads its level.
                      db.insertInto(RATE_BUCKET)
                          .set(RATE_BUCKET.BUCKET_KEY, b.key())
                          .set(RATE_BUCKET.TOKENS, b.capacity())
                          .set(RATE_BUCKET.UPDATE_TIME, StoreErrors.utc(now))
                          .onDuplicateKeyIgnore()
                          .execute();
                      row = lockBucket(db, b.key());
                    }
                    double elapsed =
                        Math.max(
                            0,
                            Duration.between(StoreErrors.instant(row.get().getUpdateTime()), now)
                                    .toNanos()
                                / 1e9);
                    double level =
                        Math.min(b.capacity(), row.get().getTokens() + elapsed * b.perSecond());
                    // A hair under one (refill arithmetic in floating point) counts as one.
                    levels[i] = Math.max(level, Math.floor(level + 1e-9));
                    level = levels[i];
                    if (level < 1) {
                      wait = Math.max(wait, (1 - level) / b.perSecond());
                    }
                  }
                  for (int i = 0; i < buckets.size(); i++) {
                    db.update(RATE_BUCKET)
                        .set(RATE_BUCKET.TOKENS, wait > 0 ? levels[i] : levels[i] - 1)
                        .set(RATE_BUCKET.UPDATE_TIME, StoreErrors.utc(now))
                        .where(RATE_BUCKET.BUCKET_KEY.eq(buckets.get(i).key()))
                        .execute();
                  }
                  return wait;
                }));
  }

  private static Optional<RateBucketRecord> lockBucket(DSLContext db, String key) {
    return db.selectFrom(RATE_BUCKET)
        .where(RATE_BUCKET.BUCKET_KEY.eq(key))
        .forUpdate()
        .fetchOptional();
  }

  private static StoredPrincipal principalOf(PrincipalRecord r) {
    return new StoredPrincipal(
        r.getName(),
        r.getSpec(),
        StoreErrors.instant(r.getCreateTime()),
        StoreErrors.instant(r.getUpdateTime()));
  }

  private static StoredToken tokenOf(ApiTokenRecord r) {
    return new StoredToken(
        r.getId(),
        r.getPrincipal(),
        r.getSha256(),
        r.getDescription(),
        StoreErrors.instant(r.getCreateTime()),
        r.getExpireTime() == null ? null : StoreErrors.instant(r.getExpireTime()),
        r.getRevokeTime() == null ? null : StoreErrors.instant(r.getRevokeTime()));
  }

  private static AuditRecord auditOf(AuditRecordRecord r) {
    return new AuditRecord(
        r.getSeq(),
        StoreErrors.instant(r.getRecordTime()),
        r.getPrincipal(),
        r.getSource(),
        r.getRpc(),
        r.getProfile(),
        r.getSerial(),
        r.getRequestId(),
        r.getOutcome(),
        r.getDetail(),
        r.getPrevHash(),
        r.getHash());
  }
}
