package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_KEY;
import static dev.grpca.server.store.jooq.generated.Tables.DOWNLOAD_TOKEN;

import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.DownloadStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jooq.DSLContext;

/** Download tokens in the {@code download_token} table (V16). */
final class JooqDownloadStore implements DownloadStore {
  private final DSLContext dsl;
  private final Supplier<AuditCall> calls;

  JooqDownloadStore(DSLContext dsl, Supplier<AuditCall> calls) {
    this.dsl = dsl;
    this.calls = calls;
  }

  @Override
  public void create(
      String tokenHash,
      String serialNumber,
      String profile,
      String createdBy,
      Instant now,
      Instant expireTime) {
    AuditCall call = calls.get();
    StoreErrors.run(
        () ->
            dsl.transaction(
                tx -> {
                  DSLContext db = tx.dsl();
                  db.insertInto(DOWNLOAD_TOKEN)
                      .set(DOWNLOAD_TOKEN.TOKEN_HASH, tokenHash)
                      .set(DOWNLOAD_TOKEN.SERIAL_NUMBER, serialNumber)
                      .set(DOWNLOAD_TOKEN.CREATED_BY, createdBy)
                      .set(DOWNLOAD_TOKEN.CREATE_TIME, StoreErrors.utc(now))
                      .set(DOWNLOAD_TOKEN.EXPIRE_TIME, StoreErrors.utc(expireTime))
                      .execute();
                  JooqAudit.append(
                      db,
                      call,
                      now,
                      "OK",
                      profile,
                      serialNumber,
                      "download token made, good until " + expireTime);
                }));
  }

  @Override
  public Optional<Usable> usable(String tokenHash, Instant now) {
    return StoreErrors.guard(
        () ->
            dsl.select(DOWNLOAD_TOKEN.SERIAL_NUMBER, DOWNLOAD_TOKEN.CREATED_BY)
                .from(DOWNLOAD_TOKEN)
                .where(DOWNLOAD_TOKEN.TOKEN_HASH.eq(tokenHash))
                .and(DOWNLOAD_TOKEN.FETCH_TIME.isNull())
                .and(DOWNLOAD_TOKEN.EXPIRE_TIME.gt(StoreErrors.utc(now)))
                .fetchOptional(r -> new Usable(r.value1(), r.value2())));
  }

  @Override
  public boolean use(
      String tokenHash, String serialNumber, String profile, Instant now, AuditCall call) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  // The conditions are the claim: of two fetches at once, one updates the row.
                  int used =
                      db.update(DOWNLOAD_TOKEN)
                          .set(DOWNLOAD_TOKEN.FETCH_TIME, StoreErrors.utc(now))
                          .where(DOWNLOAD_TOKEN.TOKEN_HASH.eq(tokenHash))
                          .and(DOWNLOAD_TOKEN.SERIAL_NUMBER.eq(serialNumber))
                          .and(DOWNLOAD_TOKEN.FETCH_TIME.isNull())
                          .and(DOWNLOAD_TOKEN.EXPIRE_TIME.gt(StoreErrors.utc(now)))
                          .execute();
                  if (used == 0) {
                    return false;
                  }
                  int keys =
                      db.deleteFrom(CERTIFICATE_KEY)
                          .where(CERTIFICATE_KEY.SERIAL_NUMBER.eq(serialNumber))
                          .and(CERTIFICATE_KEY.HOLD_UNTIL.isNotNull())
                          .execute();
                  JooqAudit.append(
                      db,
                      call,
                      now,
                      "OK",
                      profile,
                      serialNumber,
                      keys == 1
                          ? "bundle downloaded; the key held for it deleted"
                          : "bundle downloaded");
                  return true;
                }));
  }

  @Override
  public int sweep(Instant before, Instant now, int limit) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  List<String> tokens =
                      db.select(DOWNLOAD_TOKEN.TOKEN_HASH)
                          .from(DOWNLOAD_TOKEN)
                          .where(DOWNLOAD_TOKEN.EXPIRE_TIME.lt(StoreErrors.utc(before)))
                          .limit(limit)
                          .fetch(DOWNLOAD_TOKEN.TOKEN_HASH);
                  int gone =
                      tokens.isEmpty()
                          ? 0
                          : db.deleteFrom(DOWNLOAD_TOKEN)
                              .where(DOWNLOAD_TOKEN.TOKEN_HASH.in(tokens))
                              .execute();
                  List<String> keys =
                      db.select(CERTIFICATE_KEY.SERIAL_NUMBER)
                          .from(CERTIFICATE_KEY)
                          .where(CERTIFICATE_KEY.HOLD_UNTIL.lt(StoreErrors.utc(now)))
                          .limit(limit)
                          .fetch(CERTIFICATE_KEY.SERIAL_NUMBER);
                  if (!keys.isEmpty()) {
                    gone +=
                        db.deleteFrom(CERTIFICATE_KEY)
                            .where(CERTIFICATE_KEY.SERIAL_NUMBER.in(keys))
                            .and(CERTIFICATE_KEY.HOLD_UNTIL.lt(StoreErrors.utc(now)))
                            .execute();
                  }
                  return gone;
                }));
  }
}
