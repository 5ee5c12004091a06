package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_EVENT;
import static dev.grpca.server.store.jooq.generated.Tables.EVENT_HORIZON;

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

  /**
   * Records {@code e} inside the transaction that makes the change, after its audit record (whose
   * sequence {@code e} carries).
   */
  static void append(DSLContext tx, Event e) {
    tx.insertInto(CERTIFICATE_EVENT)
        .set(CERTIFICATE_EVENT.SEQ, e.seq())
        .set(CERTIFICATE_EVENT.KIND, e.kind())
        .set(CERTIFICATE_EVENT.AUTHORITY_ID, e.authorityId())
        .set(CERTIFICATE_EVENT.SERIAL_NUMBER, e.serialNumber())
        .set(CERTIFICATE_EVENT.EVENT_TIME, StoreErrors.utc(e.time()))
        .set(CERTIFICATE_EVENT.REASON, e.reason())
        .set(CERTIFICATE_EVENT.PREVIOUS, e.previous())
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

  @Override
  public long horizon() {
    return StoreErrors.guard(
        () ->
            dsl.select(EVENT_HORIZON.SEQ)
                .from(EVENT_HORIZON)
                .where(EVENT_HORIZON.ID.eq(1))
                .fetchOptional(EVENT_HORIZON.SEQ)
                .orElse(0L));
  }

  @Override
  public int forget(Instant before, int limit) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  // The oldest by seq (its index, no scan): events are made in seq order, so their
                  // times rise with it, and the ones to go are a prefix.
                  List<Long> old =
                      db
                          .select(CERTIFICATE_EVENT.SEQ, CERTIFICATE_EVENT.EVENT_TIME)
                          .from(CERTIFICATE_EVENT)
                          .orderBy(CERTIFICATE_EVENT.SEQ)
                          .limit(limit)
                          .fetch()
                          .stream()
                          .takeWhile(r -> StoreErrors.instant(r.value2()).isBefore(before))
                          .map(r -> r.value1())
                          .toList();
                  if (old.isEmpty()) {
                    return 0;
                  }
                  long upTo = old.get(old.size() - 1);
                  // The horizon moves first, in the same transaction: no stream can resume into a
                  // gap it cannot see.
                  db.update(EVENT_HORIZON)
                      .set(EVENT_HORIZON.SEQ, DSL.greatest(EVENT_HORIZON.SEQ, DSL.val(upTo)))
                      .where(EVENT_HORIZON.ID.eq(1))
                      .execute();
                  return db.deleteFrom(CERTIFICATE_EVENT)
                      .where(CERTIFICATE_EVENT.SEQ.le(upTo))
                      .execute();
                }));
  }
}
