package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.LEASE;

import dev.grpca.server.store.LeaseStore;
import dev.grpca.server.store.jooq.generated.tables.records.LeaseRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.IntegrityConstraintViolationException;

/** Leases in the {@code lease} table, taken under a row lock. */
final class JooqLeaseStore implements LeaseStore {
  private final DSLContext dsl;

  JooqLeaseStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public boolean hold(String name, String holder, Instant now, Duration ttl) {
    try {
      return StoreErrors.guard(
          () ->
              dsl.transactionResult(
                  tx -> {
                    DSLContext db = tx.dsl();
                    Optional<LeaseRecord> lease =
                        db.selectFrom(LEASE).where(LEASE.NAME.eq(name)).forUpdate().fetchOptional();
                    var until = StoreErrors.utc(now.plus(ttl));
                    if (lease.isEmpty()) {
                      db.insertInto(LEASE)
                          .set(LEASE.NAME, name)
                          .set(LEASE.HOLDER, holder)
                          .set(LEASE.EXPIRES_AT, until)
                          .execute();
                      return true;
                    }
                    boolean mine = lease.get().getHolder().equals(holder);
                    boolean expired = !now.isBefore(lease.get().getExpiresAt().toInstant());
                    if (!mine && !expired) {
                      return false;
                    }
                    db.update(LEASE)
                        .set(LEASE.HOLDER, holder)
                        .set(LEASE.EXPIRES_AT, until)
                        .where(LEASE.NAME.eq(name))
                        .execute();
                    return true;
                  }));
    } catch (IntegrityConstraintViolationException takenMeanwhile) {
      // Another replica inserted the first lease between our look and our insert: it holds it.
      return false;
    }
  }

  @Override
  public void release(String name, String holder) {
    StoreErrors.run(
        () ->
            dsl.deleteFrom(LEASE)
                .where(LEASE.NAME.eq(name))
                .and(LEASE.HOLDER.eq(holder))
                .execute());
  }
}
