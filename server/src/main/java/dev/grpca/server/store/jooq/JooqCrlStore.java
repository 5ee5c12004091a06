package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE;
import static dev.grpca.server.store.jooq.generated.Tables.CRL;

import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Consumer;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Record3;
import org.jooq.exception.IntegrityConstraintViolationException;
import org.jooq.impl.DSL;

final class JooqCrlStore implements CrlStore {
  private static final int FETCH_SIZE = 1000;
  private final DSLContext dsl;

  JooqCrlStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public Optional<StoredCrl> latest(String authorityId) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(CRL)
                .where(CRL.AUTHORITY_ID.eq(authorityId))
                .orderBy(CRL.CRL_NUMBER.desc())
                .limit(1)
                .fetchOptional()
                .map(
                    r ->
                        new StoredCrl(
                            r.getAuthorityId(),
                            r.getCrlNumber(),
                            StoreErrors.instant(r.getThisUpdate()),
                            StoreErrors.instant(r.getNextUpdate()),
                            Base64.getDecoder().decode(r.getDer()))));
  }

  @Override
  public long nextNumber(String authorityId) {
    Long max =
        StoreErrors.guard(
            () ->
                dsl.select(DSL.max(CRL.CRL_NUMBER))
                    .from(CRL)
                    .where(CRL.AUTHORITY_ID.eq(authorityId))
                    .fetchOne(0, Long.class));
    return max == null ? 1 : max + 1;
  }

  @Override
  public boolean save(StoredCrl crl) {
    try {
      StoreErrors.run(
          () ->
              dsl.insertInto(CRL)
                  .set(CRL.AUTHORITY_ID, crl.authorityId())
                  .set(CRL.CRL_NUMBER, crl.number())
                  .set(CRL.THIS_UPDATE, StoreErrors.utc(crl.thisUpdate()))
                  .set(CRL.NEXT_UPDATE, StoreErrors.utc(crl.nextUpdate()))
                  .set(CRL.DER, Base64.getEncoder().encodeToString(crl.der()))
                  .execute());
      return true;
    } catch (IntegrityConstraintViolationException e) {
      return false;
    }
  }

  @Override
  public void forEachRevoked(String authorityId, Instant now, Consumer<Revoked> entry) {
    StoreErrors.run(
        () -> {
          try (Cursor<Record3<String, java.time.OffsetDateTime, Integer>> rows =
              dsl.select(
                      CERTIFICATE.SERIAL_NUMBER,
                      CERTIFICATE.REVOCATION_TIME,
                      CERTIFICATE.REVOCATION_REASON)
                  .from(CERTIFICATE)
                  .where(CERTIFICATE.AUTHORITY_ID.eq(authorityId))
                  .and(CERTIFICATE.STATE.eq(CertificateState.ISSUED.name()))
                  .and(CERTIFICATE.REVOCATION_TIME.isNotNull())
                  .and(CERTIFICATE.NOT_AFTER.ge(StoreErrors.utc(now)))
                  .fetchSize(FETCH_SIZE)
                  .fetchLazy()) {
            for (Record3<String, java.time.OffsetDateTime, Integer> r : rows) {
              entry.accept(new Revoked(r.value1(), r.value2().toInstant(), r.value3()));
            }
          }
        });
  }
}
