package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE;
import static dev.grpca.server.store.jooq.generated.Tables.CRL;
import static dev.grpca.server.store.jooq.generated.Tables.CRL_PART;

import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Record1;
import org.jooq.Record2;
import org.jooq.Record3;
import org.jooq.SQLDialect;
import org.jooq.exception.IntegrityConstraintViolationException;
import org.jooq.impl.DSL;

final class JooqCrlStore implements CrlStore {
  private static final int FETCH_SIZE = 1000;

  /** CRL parts deleted per transaction: 2 MiB of undo log. */
  private static final int PARTS_PER_DELETE = 4;

  /** The most DER bytes one crl_part row holds. */
  static final int PART_SIZE = 512 * 1024;

  private static final OffsetDateTime EPOCH = OffsetDateTime.parse("1970-01-01T00:00:00Z");

  private final DSLContext dsl;

  JooqCrlStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public Optional<CrlInfo> latestInfo(String authorityId) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(CRL)
                .where(CRL.AUTHORITY_ID.eq(authorityId))
                .and(CRL.DER_SIZE.isNotNull())
                .orderBy(CRL.CRL_NUMBER.desc())
                .limit(1)
                .fetchOptional()
                .map(
                    r ->
                        new CrlInfo(
                            r.getAuthorityId(),
                            r.getCrlNumber(),
                            StoreErrors.instant(r.getThisUpdate()),
                            StoreErrors.instant(r.getNextUpdate()),
                            r.getEntries(),
                            r.getDerSize())));
  }

  @Override
  public Optional<StoredCrl> load(CrlInfo info) {
    if (info.size() > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("CRL " + info.number() + " is too large to load");
    }
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                c -> {
                  byte[] der = new byte[(int) info.size()];
                  int at = 0;
                  try (Cursor<Record1<byte[]>> parts =
                      c.dsl()
                          .select(CRL_PART.BYTES)
                          .from(CRL_PART)
                          .where(CRL_PART.AUTHORITY_ID.eq(info.authorityId()))
                          .and(CRL_PART.CRL_NUMBER.eq(info.number()))
                          .orderBy(CRL_PART.PART)
                          .fetchSize(4)
                          .fetchLazy()) {
                    for (Record1<byte[]> part : parts) {
                      byte[] bytes = part.value1();
                      if (at + bytes.length > der.length) {
                        throw new IllegalStateException(
                            "CRL " + info.number() + " has more bytes stored than its size");
                      }
                      System.arraycopy(bytes, 0, der, at, bytes.length);
                      at += bytes.length;
                    }
                  }
                  if (at == 0 && der.length > 0) {
                    return Optional.<StoredCrl>empty(); // dropped meanwhile
                  }
                  if (at != der.length) {
                    throw new IllegalStateException(
                        "CRL " + info.number() + " has " + at + " of its " + der.length + " bytes");
                  }
                  return Optional.of(new StoredCrl(info, der));
                }));
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
    CrlInfo info = crl.info();
    try {
      StoreErrors.run(
          () ->
              dsl.transaction(
                  c -> {
                    c.dsl()
                        .insertInto(CRL)
                        .set(CRL.AUTHORITY_ID, info.authorityId())
                        .set(CRL.CRL_NUMBER, info.number())
                        .set(CRL.THIS_UPDATE, StoreErrors.utc(info.thisUpdate()))
                        .set(CRL.NEXT_UPDATE, StoreErrors.utc(info.nextUpdate()))
                        .set(CRL.DER_SIZE, info.size())
                        .set(CRL.ENTRIES, info.entries())
                        .execute();
                    ByteBuffer der = crl.derView();
                    for (int part = 0; der.hasRemaining(); part++) {
                      byte[] bytes = new byte[Math.min(der.remaining(), PART_SIZE)];
                      der.get(bytes);
                      c.dsl()
                          .insertInto(CRL_PART)
                          .set(CRL_PART.AUTHORITY_ID, info.authorityId())
                          .set(CRL_PART.CRL_NUMBER, info.number())
                          .set(CRL_PART.PART, part)
                          .set(CRL_PART.BYTES, bytes)
                          .execute();
                    }
                  }));
      return true;
    } catch (IntegrityConstraintViolationException e) {
      return false;
    }
  }

  @Override
  public void dropBelow(String authorityId, long number) {
    StoreErrors.run(
        () -> {
          // Parts first, a few per transaction, then the rows. H2 keeps the deleted values of a
          // transaction in its undo log and writes them out at the commit: deleting a 1M-entry
          // CRL's 84 parts in one transaction needed an 80 MB write buffer, failed with
          // OutOfMemoryError at -Xmx512m, and H2 then closed the database.
          List<Record2<Long, Integer>> parts =
              dsl.select(CRL_PART.CRL_NUMBER, CRL_PART.PART)
                  .from(CRL_PART)
                  .where(CRL_PART.AUTHORITY_ID.eq(authorityId))
                  .and(CRL_PART.CRL_NUMBER.lt(number))
                  .fetch();
          for (int from = 0; from < parts.size(); from += PARTS_PER_DELETE) {
            List<Record2<Long, Integer>> batch =
                parts.subList(from, Math.min(parts.size(), from + PARTS_PER_DELETE));
            dsl.transaction(
                c -> {
                  for (Record2<Long, Integer> part : batch) {
                    c.dsl()
                        .deleteFrom(CRL_PART)
                        .where(CRL_PART.AUTHORITY_ID.eq(authorityId))
                        .and(CRL_PART.CRL_NUMBER.eq(part.value1()))
                        .and(CRL_PART.PART.eq(part.value2()))
                        .execute();
                  }
                });
          }
          dsl.deleteFrom(CRL)
              .where(CRL.AUTHORITY_ID.eq(authorityId))
              .and(CRL.CRL_NUMBER.lt(number))
              .execute();
        });
  }

  @Override
  public void forEachRevoked(String authorityId, Instant now, Consumer<Revoked> entry) {
    StoreErrors.run(
        () -> {
          if (dsl.dialect().family() == SQLDialect.H2) {
            dsl.connection(
                connection -> {
                  // H2 keeps a whole result before the first row is read, spilling it to a
                  // temporary file past MAX_MEMORY_ROWS (about 20k rows at -Xmx512m): lazy
                  // execution streams it instead (1M rows: 0.9 s against 1.7 s).
                  DSLContext db = dsl.configuration().derive(connection).dsl();
                  db.execute("SET LAZY_QUERY_EXECUTION TRUE");
                  try {
                    readRevoked(db, authorityId, now, entry);
                  } finally {
                    db.execute("SET LAZY_QUERY_EXECUTION FALSE");
                  }
                });
          } else {
            // PostgreSQL's driver reads FETCH_SIZE rows at a time only inside a transaction; in
            // autocommit it holds the whole result in the heap before the first row.
            dsl.transaction(tx -> readRevoked(tx.dsl(), authorityId, now, entry));
          }
        });
  }

  private static void readRevoked(
      DSLContext db, String authorityId, Instant now, Consumer<Revoked> entry) {
    try (Cursor<Record3<String, OffsetDateTime, Integer>> rows =
        db.select(
                CERTIFICATE.SERIAL_NUMBER,
                CERTIFICATE.REVOCATION_TIME,
                CERTIFICATE.REVOCATION_REASON)
            .from(CERTIFICATE)
            .where(CERTIFICATE.AUTHORITY_ID.eq(authorityId))
            .and(CERTIFICATE.STATE.eq(CertificateState.ISSUED.name()))
            // Revoked: a range on the index's second column, which H2 uses to skip the
            // authority's unrevoked rows (it does not for IS NOT NULL).
            .and(CERTIFICATE.REVOCATION_TIME.gt(EPOCH))
            .and(CERTIFICATE.NOT_AFTER.ge(StoreErrors.utc(now)))
            .fetchSize(FETCH_SIZE)
            .fetchLazy()) {
      for (Record3<String, OffsetDateTime, Integer> r : rows) {
        entry.accept(new Revoked(r.value1(), r.value2().toInstant(), r.value3()));
      }
    }
  }
}
