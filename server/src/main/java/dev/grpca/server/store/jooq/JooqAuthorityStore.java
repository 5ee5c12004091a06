package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.AUTHORITY;
import static dev.grpca.server.store.jooq.generated.Tables.AUTHORITY_SETTINGS;

import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.AuditRecord;
import dev.grpca.server.store.AuthorityStore;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.store.jooq.generated.tables.records.AuthorityRecord;
import dev.grpca.server.x509.IssuerSettings;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.exception.IntegrityConstraintViolationException;

final class JooqAuthorityStore implements AuthorityStore {
  /** The profile column of a CA's audit records, as for its certificate's. */
  private static final String PROFILE = "grpca-ca";

  private final DSLContext dsl;
  private final Supplier<AuditCall> calls;

  JooqAuthorityStore(DSLContext dsl, Supplier<AuditCall> calls) {
    this.dsl = dsl;
    this.calls = calls;
  }

  @Override
  public Optional<StoredAuthority> find(String id) {
    return StoreErrors.guard(
        () -> dsl.selectFrom(AUTHORITY).where(AUTHORITY.ID.eq(id)).fetchOptional().map(this::of));
  }

  @Override
  public List<StoredAuthority> list() {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(AUTHORITY)
                .orderBy(AUTHORITY.CREATE_TIME, AUTHORITY.ID)
                .fetch()
                .map(this::of));
  }

  private StoredAuthority of(AuthorityRecord r) {
    return new StoredAuthority(
        r.getId(),
        r.getParentId(),
        r.getKeyLabel(),
        r.getCertificatePem(),
        r.getIsDefault(),
        r.getCreateTime().toInstant(),
        r.getState(),
        r.getCsrPem(),
        r.getChainPem());
  }

  @Override
  public void insert(StoredAuthority a) {
    try {
      StoreErrors.guard(
          () ->
              dsl.insertInto(AUTHORITY)
                  .set(AUTHORITY.ID, a.id())
                  .set(AUTHORITY.PARENT_ID, a.parentId())
                  .set(AUTHORITY.KEY_LABEL, a.keyLabel())
                  .set(AUTHORITY.CERTIFICATE_PEM, a.certificatePem())
                  .set(AUTHORITY.IS_DEFAULT, a.isDefault())
                  .set(AUTHORITY.CREATE_TIME, StoreErrors.utc(a.createTime()))
                  .set(AUTHORITY.STATE, a.state())
                  .set(AUTHORITY.CSR_PEM, a.csrPem())
                  .set(AUTHORITY.CHAIN_PEM, a.chainPem())
                  .execute());
    } catch (IntegrityConstraintViolationException e) {
      throw new DuplicateAuthorityException(a.id(), e);
    }
  }

  @Override
  public void complete(String id, String certificatePem, String subject, Instant now) {
    if (!store(id, certificatePem, null, StoredAuthority.ACTIVE, subject, now)) {
      throw new IllegalStateException("authority " + id + " has a certificate already or no row");
    }
  }

  @Override
  public boolean disable(String id, String newDefault, String detail, Instant now) {
    AuditCall call = calls.get();
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  if (db.update(AUTHORITY)
                          .set(AUTHORITY.STATE, StoredAuthority.DISABLED)
                          .where(AUTHORITY.ID.eq(id))
                          .and(AUTHORITY.STATE.eq(StoredAuthority.ACTIVE))
                          .execute()
                      != 1) {
                    return false;
                  }
                  if (newDefault != null) {
                    db.update(AUTHORITY)
                        .set(
                            AUTHORITY.IS_DEFAULT,
                            org.jooq.impl.DSL.field(AUTHORITY.ID.eq(newDefault)))
                        .execute();
                  }
                  trusted(db, call, id, time, detail);
                  return true;
                }));
  }

  @Override
  public String claimDefault(String id) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  // Replicas starting together claim the same id: the second finds it marked.
                  db.update(AUTHORITY)
                      .set(AUTHORITY.IS_DEFAULT, true)
                      .where(AUTHORITY.ID.eq(id))
                      .andNotExists(
                          db.selectOne()
                              .from(AUTHORITY.as("marked"))
                              .where(AUTHORITY.as("marked").IS_DEFAULT.isTrue()))
                      .execute();
                  return db.select(AUTHORITY.ID)
                      .from(AUTHORITY)
                      .where(AUTHORITY.IS_DEFAULT.isTrue())
                      .orderBy(AUTHORITY.CREATE_TIME, AUTHORITY.ID)
                      .limit(1)
                      .fetchOne(AUTHORITY.ID);
                }));
  }

  /** The audit record of a change to CA {@code id} and the TRUST event that tells watchers. */
  private static void trusted(
      DSLContext db, AuditCall call, String id, Instant time, String detail) {
    AuditRecord audited = JooqAudit.append(db, call, time, "OK", PROFILE, "-", detail);
    JooqEventStore.append(
        db, new EventStore.Event(audited.sequence(), EventStore.Event.TRUST, id, "-", time, null));
  }

  @Override
  public java.util.Map<String, IssuerSettings> settings() {
    return StoreErrors.guard(
        () -> {
          java.util.Map<String, IssuerSettings> settings = new java.util.LinkedHashMap<>();
          for (var r : dsl.selectFrom(AUTHORITY_SETTINGS).fetch()) {
            settings.put(
                r.getAuthorityId(),
                new IssuerSettings(
                    lines(r.getCaIssuersUrls()),
                    lines(r.getCrlUrls()),
                    lines(r.getOcspUrls()),
                    r.getCrlValiditySeconds() == null
                        ? null
                        : java.time.Duration.ofSeconds(r.getCrlValiditySeconds())));
          }
          return settings;
        });
  }

  private static List<String> lines(String joined) {
    return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split("\n"));
  }

  private static String joined(List<String> urls) {
    return urls.isEmpty() ? null : String.join("\n", urls);
  }

  @Override
  public void updateSettings(String id, IssuerSettings settings, String detail, Instant now) {
    AuditCall call = calls.get();
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    Long validity = settings.crlValidity() == null ? null : settings.crlValidity().toSeconds();
    StoreErrors.run(
        () ->
            dsl.transaction(
                tx -> {
                  DSLContext db = tx.dsl();
                  db.deleteFrom(AUTHORITY_SETTINGS)
                      .where(AUTHORITY_SETTINGS.AUTHORITY_ID.eq(id))
                      .execute();
                  db.insertInto(AUTHORITY_SETTINGS)
                      .set(AUTHORITY_SETTINGS.AUTHORITY_ID, id)
                      .set(AUTHORITY_SETTINGS.CA_ISSUERS_URLS, joined(settings.caIssuers()))
                      .set(AUTHORITY_SETTINGS.CRL_URLS, joined(settings.crl()))
                      .set(AUTHORITY_SETTINGS.OCSP_URLS, joined(settings.ocsp()))
                      .set(AUTHORITY_SETTINGS.CRL_VALIDITY_SECONDS, validity)
                      .set(AUTHORITY_SETTINGS.UPDATE_TIME, StoreErrors.utc(time))
                      .execute();
                  AuditRecord audited =
                      JooqAudit.append(db, call, time, "OK", PROFILE, "-", detail);
                  JooqEventStore.append(
                      db,
                      new EventStore.Event(
                          audited.sequence(), EventStore.Event.AUTHORITY, id, "-", time, null));
                }));
  }

  @Override
  public void pendingCsr(String id, String csrPem) {
    StoreErrors.run(
        () ->
            dsl.update(AUTHORITY)
                .set(AUTHORITY.CSR_PEM, csrPem)
                .where(AUTHORITY.ID.eq(id))
                .and(AUTHORITY.STATE.eq(StoredAuthority.PENDING_CSR))
                .execute());
  }

  @Override
  public boolean activate(
      String id, String certificatePem, String chainPem, String subject, Instant now) {
    return store(id, certificatePem, chainPem, StoredAuthority.PENDING_CSR, subject, now);
  }

  /**
   * The certificate (and the chain above it) of a row in state {@code from} that has none, with the
   * audit record and the TRUST event, in one transaction; false if no such row.
   */
  private boolean store(
      String id, String certificatePem, String chainPem, String from, String subject, Instant now) {
    AuditCall call = calls.get();
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  int updated =
                      db.update(AUTHORITY)
                          .set(AUTHORITY.CERTIFICATE_PEM, certificatePem)
                          .set(AUTHORITY.CHAIN_PEM, chainPem)
                          .set(AUTHORITY.STATE, StoredAuthority.ACTIVE)
                          .where(AUTHORITY.ID.eq(id))
                          .and(AUTHORITY.CERTIFICATE_PEM.isNull())
                          .and(AUTHORITY.STATE.eq(from))
                          .execute();
                  if (updated != 1) {
                    return false;
                  }
                  trusted(db, call, id, time, "authority " + id + " active: " + subject);
                  return true;
                }));
  }
}
