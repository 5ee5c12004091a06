package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.REQUEST_RECORD;

import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.StoredRequest;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.jooq.DSLContext;

/** The request-id records, written inside the transactions of the changes they stand for. */
final class JooqRequests {
  private JooqRequests() {}

  /** Records {@code key} in the transaction of {@code db}; nothing when it is null. */
  static void insert(
      DSLContext db, RequestKey key, String serial, byte[] response, Instant createTime) {
    if (key == null) {
      return;
    }
    db.insertInto(REQUEST_RECORD)
        .set(REQUEST_RECORD.PRINCIPAL, key.principal())
        .set(REQUEST_RECORD.REQUEST_ID, key.requestId())
        .set(REQUEST_RECORD.METHOD, key.method())
        .set(REQUEST_RECORD.FINGERPRINT, key.fingerprint())
        .set(REQUEST_RECORD.SERIAL_NUMBER, serial)
        .set(
            REQUEST_RECORD.RESPONSE,
            response == null ? null : Base64.getEncoder().encodeToString(response))
        .set(REQUEST_RECORD.CREATE_TIME, StoreErrors.utc(createTime))
        .execute();
  }

  static Optional<StoredRequest> find(DSLContext db, String principal, String requestId) {
    return db.selectFrom(REQUEST_RECORD)
        .where(REQUEST_RECORD.PRINCIPAL.eq(principal))
        .and(REQUEST_RECORD.REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(
            r ->
                new StoredRequest(
                    r.getMethod(),
                    r.getFingerprint(),
                    r.getSerialNumber(),
                    r.getResponse() == null ? null : Base64.getDecoder().decode(r.getResponse()),
                    StoreErrors.instant(r.getCreateTime())));
  }

  static void forget(DSLContext db, String principal, String requestId, Instant createTime) {
    db.deleteFrom(REQUEST_RECORD)
        .where(REQUEST_RECORD.PRINCIPAL.eq(principal))
        .and(REQUEST_RECORD.REQUEST_ID.eq(requestId))
        .and(REQUEST_RECORD.CREATE_TIME.eq(StoreErrors.utc(createTime)))
        .execute();
  }

  /** Deletes up to {@code limit} of the oldest records from before {@code before}. */
  static int forgetBefore(DSLContext db, Instant before, int limit) {
    var oldest =
        db.select(REQUEST_RECORD.PRINCIPAL, REQUEST_RECORD.REQUEST_ID)
            .from(REQUEST_RECORD)
            .where(REQUEST_RECORD.CREATE_TIME.lt(StoreErrors.utc(before)))
            .orderBy(REQUEST_RECORD.CREATE_TIME)
            .limit(limit)
            .fetch();
    int deleted = 0;
    for (var row : oldest) {
      deleted +=
          db.deleteFrom(REQUEST_RECORD)
              .where(REQUEST_RECORD.PRINCIPAL.eq(row.value1()))
              .and(REQUEST_RECORD.REQUEST_ID.eq(row.value2()))
              .execute();
    }
    return deleted;
  }
}
