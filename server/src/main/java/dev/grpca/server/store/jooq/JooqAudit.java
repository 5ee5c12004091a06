package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.AUDIT_HEAD;
import static dev.grpca.server.store.jooq.generated.Tables.AUDIT_RECORD;

import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.AuditChain;
import dev.grpca.server.store.AuditRecord;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jooq.DSLContext;
import org.jooq.Record2;

/**
 * Appends to the audit log inside the caller's transaction, so a record exists exactly when the
 * change it records does. The head row is locked first: appends happen one at a time, in order.
 */
final class JooqAudit {
  private JooqAudit() {}

  static AuditRecord append(
      DSLContext tx,
      AuditCall call,
      Instant time,
      String outcome,
      String profile,
      String serial,
      String detail) {
    Record2<Long, String> head =
        tx.select(AUDIT_HEAD.SEQ, AUDIT_HEAD.HASH)
            .from(AUDIT_HEAD)
            .where(AUDIT_HEAD.ID.eq(1))
            .forUpdate()
            .fetchSingle();
    long sequence = head.value1() + 1;
    AuditRecord unsigned =
        new AuditRecord(
            sequence,
            time.truncatedTo(ChronoUnit.MICROS),
            cut(call.principal(), 512),
            cut(call.source(), 128),
            cut(call.rpc(), 128),
            cut(profile, 64),
            cut(serial, 40),
            cut(call.requestId(), 64),
            cut(outcome, 32),
            cut(detail, 1024),
            head.value2(),
            "");
    String hash = AuditChain.hash(unsigned);
    tx.insertInto(AUDIT_RECORD)
        .set(AUDIT_RECORD.SEQ, sequence)
        .set(AUDIT_RECORD.RECORD_TIME, StoreErrors.utc(unsigned.time()))
        .set(AUDIT_RECORD.PRINCIPAL, unsigned.principal())
        .set(AUDIT_RECORD.SOURCE, unsigned.source())
        .set(AUDIT_RECORD.RPC, unsigned.rpc())
        .set(AUDIT_RECORD.PROFILE, unsigned.profile())
        .set(AUDIT_RECORD.SERIAL, unsigned.serial())
        .set(AUDIT_RECORD.REQUEST_ID, unsigned.requestId())
        .set(AUDIT_RECORD.OUTCOME, unsigned.outcome())
        .set(AUDIT_RECORD.DETAIL, unsigned.detail())
        .set(AUDIT_RECORD.PREV_HASH, unsigned.previousHash())
        .set(AUDIT_RECORD.HASH, hash)
        .execute();
    tx.update(AUDIT_HEAD)
        .set(AUDIT_HEAD.SEQ, sequence)
        .set(AUDIT_HEAD.HASH, hash)
        .where(AUDIT_HEAD.ID.eq(1))
        .execute();
    return unsigned;
  }

  private static String cut(String value, int max) {
    String v = value == null || value.isEmpty() ? "-" : value;
    return v.length() <= max ? v : v.substring(0, max);
  }
}
