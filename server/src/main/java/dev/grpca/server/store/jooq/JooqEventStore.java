package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_EVENT;

import dev.grpca.server.store.EventStore;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** Events in the {@code certificate_event} table (V18). */
final class JooqEventStore implements EventStore {
  private final DSLContext dsl;

  JooqEventStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Records a revocation, inside the revoking transaction, after its audit record. */
  static void revoked(
      DSLContext tx, long seq, String authorityId, String serial, Instant time, int reason) {
    tx.insertInto(CERTIFICATE_EVENT)
        .set(CERTIFICATE_EVENT.SEQ, seq)
        .set(CERTIFICATE_EVENT.KIND, Event.REVOKED)
        .set(CERTIFICATE_EVENT.AUTHORITY_ID, authorityId)
        .set(CERTIFICATE_EVENT.SERIAL_NUMBER, serial)
        .set(CERTIFICATE_EVENT.EVENT_TIME, StoreErrors.utc(time))
        .set(CERTIFICATE_EVENT.REASON, reason)
        .execute();
  }

  /** Records a renewal, inside the transaction that stores it, after its audit record. */
  static void renewed(
      DSLContext tx, long seq, String authorityId, String serial, Instant time, String previous) {
    tx.insertInto(CERTIFICATE_EVENT)
        .set(CERTIFICATE_EVENT.SEQ, seq)
        .set(CERTIFICATE_EVENT.KIND, Event.RENEWED)
        .set(CERTIFICATE_EVENT.AUTHORITY_ID, authorityId)
        .set(CERTIFICATE_EVENT.SERIAL_NUMBER, serial)
        .set(CERTIFICATE_EVENT.EVENT_TIME, StoreErrors.utc(time))
        .set(CERTIFICATE_EVENT.PREVIOUS, previous)
        .execute();
  }

  @Override
  public List<Event> eventsAfter(long seq, int limit) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(CERTIFICATE_EVENT)
                .where(CERTIFICATE_EVENT.SEQ.gt(seq))
                .orderBy(CERTIFICATE_EVENT.SEQ)
                .limit(limit)
                .fetch(
                    r ->
                        new Event(
                            r.getSeq(),
                            r.getKind(),
                            r.getAuthorityId(),
                            r.getSerialNumber(),
                            StoreErrors.instant(r.getEventTime()),
                            r.getReason(),
                            r.getPrevious())));
  }

  @Override
  public long lastEvent() {
    return StoreErrors.guard(
        () -> {
          Long last =
              dsl.select(DSL.max(CERTIFICATE_EVENT.SEQ))
                  .from(CERTIFICATE_EVENT)
                  .fetchOne(0, Long.class);
          return last == null ? 0L : last;
        });
  }
}
