package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE;
import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_KEY;
import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_LABEL;
import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_NAME;
import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_RENEWAL;
import static java.time.ZoneOffset.UTC;

import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.AuditRecord;
import dev.grpca.server.store.CertificateQuery;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.Change;
import dev.grpca.server.store.DuplicateCertificateException;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.store.HeldKey;
import dev.grpca.server.store.ImportedCertificate;
import dev.grpca.server.store.NameTakenException;
import dev.grpca.server.store.OcspStanding;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.RequestTakenException;
import dev.grpca.server.store.Revocation;
import dev.grpca.server.store.Standing;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.StoredRequest;
import dev.grpca.server.store.Upkeep;
import dev.grpca.server.store.jooq.generated.tables.CertificateLabel;
import dev.grpca.server.store.jooq.generated.tables.records.CertificateRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.jooq.Record1;
import org.jooq.Record4;
import org.jooq.SQLDialect;
import org.jooq.Select;
import org.jooq.exception.DataAccessException;
import org.jooq.exception.SQLStateClass;
import org.jooq.impl.DSL;

final class JooqCertificateStore implements CertificateStore {
  static final String DNS = "DNS";
  static final String IP = "IP";
  static final String EMAIL = "EMAIL";
  static final String URI = "URI";

  private final DSLContext dsl;
  private final Announcements announcements;
  private final Supplier<AuditCall> calls;
  private final GroupCommit writes;

  JooqCertificateStore(
      DSLContext dsl, Supplier<AuditCall> calls, Announcements announcements, Metrics metrics) {
    this.announcements = announcements;
    this.dsl = dsl;
    this.calls = calls;
    this.writes = new GroupCommit(dsl, metrics);
  }

  @Override
  public void recordPending(PendingCertificate p, RequestKey request, Upkeep upkeep) {
    try {
      insertPending(p, request, upkeep);
    } catch (DataAccessException e) {
      // Unique keys are what keep two callers from one request id or one name; a read after the
      // failed insert says which it was (a serial is 128 random bits: never a repeat).
      if (e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION) {
        if (request != null && findRequest(request.principal(), request.requestId()).isPresent()) {
          throw new RequestTakenException(request);
        }
        if (p.name() != null && nameHeld(p.name())) {
          throw new NameTakenException(p.name());
        }
      }
      throw e;
    }
  }

  @Override
  public Optional<StoredRequest> findRequest(String principal, String requestId) {
    return StoreErrors.guard(() -> JooqRequests.find(dsl, principal, requestId));
  }

  @Override
  public void forgetRequest(String principal, String requestId, Instant createTime) {
    StoreErrors.run(() -> JooqRequests.forget(dsl, principal, requestId, createTime));
  }

  @Override
  public int forgetRequestsBefore(Instant before, int limit) {
    return StoreErrors.guard(
        () -> dsl.transactionResult(tx -> JooqRequests.forgetBefore(tx.dsl(), before, limit)));
  }

  private boolean nameHeld(String name) {
    return StoreErrors.guard(() -> dsl.fetchExists(CERTIFICATE, CERTIFICATE.NAME.eq(name)));
  }

  private void insertPending(PendingCertificate p, RequestKey request, Upkeep upkeep) {
    StoreErrors.run(
        () ->
            writes.run(
                db -> {
                  db.insertInto(CERTIFICATE)
                      .set(CERTIFICATE.SERIAL_NUMBER, p.serialNumber())
                      .set(CERTIFICATE.AUTHORITY_ID, p.authorityId())
                      .set(CERTIFICATE.PROFILE, p.profile())
                      .set(CERTIFICATE.STATE, CertificateState.PENDING.name())
                      .set(CERTIFICATE.SUBJECT, p.subject())
                      .set(CERTIFICATE.COMMON_NAME, p.commonName())
                      .set(CERTIFICATE.PUBLIC_KEY_ALGORITHM, p.publicKeyAlgorithm())
                      .set(CERTIFICATE.NOT_BEFORE, StoreErrors.utc(p.notBefore()))
                      .set(CERTIFICATE.NOT_AFTER, StoreErrors.utc(p.notAfter()))
                      .set(
                          CERTIFICATE.TBS_CERTIFICATE,
                          Base64.getEncoder().encodeToString(p.tbsCertificate()))
                      .set(CERTIFICATE.REQUESTED_BY, p.requestedBy())
                      .set(CERTIFICATE.CREATE_TIME, StoreErrors.utc(p.createTime()))
                      .set(CERTIFICATE.RENEWED_FROM, p.renewedFrom())
                      .set(CERTIFICATE.NAME, p.name())
                      .set(
                          CERTIFICATE.NOTICE_AT,
                          upkeep.noticeAt() == null ? null : StoreErrors.utc(upkeep.noticeAt()))
                      .execute();
                  insertNames(db, p);
                  insertLabels(db, p);
                  if (upkeep.heldKey() != null) {
                    insertKey(db, p.serialNumber(), upkeep.heldKey(), p.createTime());
                  }
                  if (upkeep.renewal()) {
                    db.insertInto(CERTIFICATE_RENEWAL)
                        .set(CERTIFICATE_RENEWAL.SERIAL_NUMBER, p.serialNumber())
                        .set(CERTIFICATE_RENEWAL.CHOICE, upkeep.renewChoice())
                        .set(
                            CERTIFICATE_RENEWAL.RENEW_AT,
                            upkeep.renewAt() == null ? null : StoreErrors.utc(upkeep.renewAt()))
                        .execute();
                  }
                  JooqRequests.insert(db, request, p.serialNumber(), null, p.createTime());
                  return null;
                }));
  }

  /** Every name of {@code p} in one statement. */
  private static void insertNames(DSLContext db, PendingCertificate p) {
    insertNames(db, p.serialNumber(), p.dnsNames(), p.ipAddresses(), p.emailAddresses(), p.uris());
  }

  private static void insertNames(
      DSLContext db,
      String serial,
      List<String> dnsNames,
      List<String> ipAddresses,
      List<String> emailAddresses,
      List<String> uris) {
    var insert =
        db.insertInto(
            CERTIFICATE_NAME,
            CERTIFICATE_NAME.SERIAL_NUMBER,
            CERTIFICATE_NAME.POSITION,
            CERTIFICATE_NAME.KIND,
            CERTIFICATE_NAME.NAME);
    int position = 0;
    for (String dns : dnsNames) {
      insert = insert.values(serial, position++, DNS, dns);
    }
    for (String ip : ipAddresses) {
      insert = insert.values(serial, position++, IP, ip);
    }
    for (String email : emailAddresses) {
      insert = insert.values(serial, position++, EMAIL, email);
    }
    for (String uri : uris) {
      insert = insert.values(serial, position++, URI, uri);
    }
    if (position > 0) {
      insert.execute();
    }
  }

  /** Every label of {@code p} in one statement. */
  private static void insertLabels(DSLContext db, PendingCertificate p) {
    insertLabels(db, p.serialNumber(), p.labels(), null);
  }

  /**
   * Every label in one statement; {@code listed} is the certificate's issue time if List shows it
   * (issued, not deleted), else null (V15).
   */
  private static void insertLabels(
      DSLContext db, String serial, Map<String, String> labels, OffsetDateTime listed) {
    if (labels.isEmpty()) {
      return;
    }
    var insert =
        db.insertInto(
            CERTIFICATE_LABEL,
            CERTIFICATE_LABEL.SERIAL_NUMBER,
            CERTIFICATE_LABEL.LABEL_KEY,
            CERTIFICATE_LABEL.LABEL_VALUE,
            CERTIFICATE_LABEL.LISTED_TIME);
    for (Map.Entry<String, String> label : labels.entrySet()) {
      insert = insert.values(serial, label.getKey(), label.getValue(), listed);
    }
    insert.execute();
  }

  /** Shows or hides a certificate's labels to List by label (V15). */
  private static void listLabels(DSLContext db, String serial, OffsetDateTime listed) {
    db.update(CERTIFICATE_LABEL)
        .set(CERTIFICATE_LABEL.LISTED_TIME, listed)
        .where(CERTIFICATE_LABEL.SERIAL_NUMBER.eq(serial))
        .execute();
  }

  @Override
  public Issued markIssued(String serial, String pem, String sha256, Instant issueTime) {
    Instant stored = issueTime.truncatedTo(ChronoUnit.MICROS);
    AuditCall call = calls.get();
    String name =
        StoreErrors.guard(
            () ->
                writes.run(
                    db -> {
                      // One statement completes the row and hands back what the audit and the
                      // name's move need.
                      Record4<String, String, String, String> row =
                          db.update(CERTIFICATE)
                              .set(CERTIFICATE.STATE, CertificateState.ISSUED.name())
                              .set(CERTIFICATE.CERTIFICATE_PEM, pem)
                              .set(CERTIFICATE.SHA256_FINGERPRINT, sha256)
                              .set(CERTIFICATE.ISSUE_TIME, StoreErrors.utc(stored))
                              .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                              .and(CERTIFICATE.STATE.eq(CertificateState.PENDING.name()))
                              .returningResult(
                                  CERTIFICATE.PROFILE,
                                  CERTIFICATE.RENEWED_FROM,
                                  CERTIFICATE.NAME,
                                  CERTIFICATE.AUTHORITY_ID)
                              .fetchOptional()
                              .orElseThrow(
                                  () ->
                                      new IllegalStateException(
                                          "no pending certificate " + serial + " to complete"));
                      listLabels(db, serial, StoreErrors.utc(stored));
                      String held = row.value3();
                      if (row.value2() != null && held == null) {
                        held = moveName(db, row.value2(), serial);
                      }
                      AuditRecord audited =
                          JooqAudit.append(db, call, stored, "OK", row.value1(), serial, "issued");
                      if (row.value2() != null) {
                        JooqEventStore.append(
                            db,
                            new EventStore.Event(
                                audited.sequence(),
                                EventStore.Event.RENEWED,
                                row.value4(),
                                serial,
                                stored,
                                null,
                                row.value2()));
                      }
                      return held;
                    }));
    return new Issued(stored, name);
  }

  /**
   * A renewal takes the resource name of the certificate it renewed, in the transaction that stores
   * it. The old row is locked first, so that of two renewals of one certificate only the first
   * moves the name.
   */
  private static String moveName(DSLContext db, String from, String to) {
    String name =
        db.select(CERTIFICATE.NAME)
            .from(CERTIFICATE)
            .where(CERTIFICATE.SERIAL_NUMBER.eq(from))
            .forUpdate()
            .fetchOptional(CERTIFICATE.NAME)
            .orElse(null);
    if (name == null) {
      return null;
    }
    db.update(CERTIFICATE)
        .setNull(CERTIFICATE.NAME)
        .where(CERTIFICATE.SERIAL_NUMBER.eq(from))
        .execute();
    db.update(CERTIFICATE)
        .set(CERTIFICATE.NAME, name)
        .where(CERTIFICATE.SERIAL_NUMBER.eq(to))
        .execute();
    return name;
  }

  @Override
  public void markFailed(String serial) {
    StoreErrors.guard(
        () ->
            dsl.update(CERTIFICATE)
                .set(CERTIFICATE.STATE, CertificateState.FAILED.name())
                .setNull(CERTIFICATE.NAME)
                .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                .and(CERTIFICATE.STATE.eq(CertificateState.PENDING.name()))
                .execute());
  }

  @Override
  public int failAbandoned(Instant recordedBefore) {
    return StoreErrors.guard(() -> abandoned(dsl, recordedBefore).execute());
  }

  @Override
  public int countPending() {
    return StoreErrors.guard(() -> pending(dsl).fetchOne(0, int.class));
  }

  /** Like the sweep, through the issue-order index: rows never issued have no issue time. */
  private static Select<Record1<Integer>> pending(DSLContext db) {
    return db.selectCount()
        .from(CERTIFICATE)
        .where(CERTIFICATE.ISSUE_TIME.isNull())
        .and(CERTIFICATE.STATE.eq(CertificateState.PENDING.name()));
  }

  /**
   * Every replica runs this once a minute, so it must not read the table: a row never issued has no
   * issue time, and the issue-order index finds those (pending and failed ones, few) directly.
   */
  private static Query abandoned(DSLContext db, Instant recordedBefore) {
    return db.update(CERTIFICATE)
        .set(CERTIFICATE.STATE, CertificateState.FAILED.name())
        .setNull(CERTIFICATE.NAME)
        .where(CERTIFICATE.ISSUE_TIME.isNull())
        .and(CERTIFICATE.STATE.eq(CertificateState.PENDING.name()))
        .and(CERTIFICATE.CREATE_TIME.lt(StoreErrors.utc(recordedBefore)));
  }

  /**
   * The engine's plan for {@link #failAbandoned} (for the test that it uses an index). On
   * PostgreSQL sequential scans are turned off for it: on a small table the planner would rightly
   * prefer one, and what matters is that an index can serve the query at all.
   */
  String abandonedPlan() {
    return plan(db -> abandoned(db, Instant.EPOCH));
  }

  /** The engine's plan for {@link #countPending}, likewise. */
  String pendingPlan() {
    return plan(JooqCertificateStore::pending);
  }

  private String plan(java.util.function.Function<DSLContext, Query> query) {
    boolean postgres = dsl.dialect().family() == SQLDialect.POSTGRES;
    return dsl.connectionResult(
        connection -> {
          DSLContext db = dsl.configuration().derive(connection).dsl();
          if (postgres) {
            db.execute("SET enable_seqscan = off");
          }
          try {
            return db.explain(query.apply(db)).plan();
          } finally {
            if (postgres) {
              db.execute("RESET enable_seqscan");
            }
          }
        });
  }

  @Override
  public Optional<StoredCertificate> find(String serial) {
    return toDomain(
            StoreErrors.guard(
                () ->
                    dsl.selectFrom(CERTIFICATE)
                        .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                        .fetch()))
        .stream()
        .findFirst();
  }

  @Override
  public Optional<StoredCertificate> findByName(String name) {
    return toDomain(
            StoreErrors.guard(
                () -> dsl.selectFrom(CERTIFICATE).where(CERTIFICATE.NAME.eq(name)).fetch()))
        .stream()
        .findFirst();
  }

  /**
   * Plain JDBC with a fixed SQL text: on this path jOOQ's rendering and H2's parsing of a rendered
   * query took 70% of the sidecar's CPU under a flood of unknown serials.
   */
  private static final String OCSP_STANDING =
      "SELECT authority_id, state, revocation_time, revocation_reason FROM certificate"
          + " WHERE serial_number = ?";

  @Override
  public Optional<OcspStanding> ocspStanding(String serial) {
    return StoreErrors.guard(
        () ->
            dsl.connectionResult(
                connection -> {
                  try (PreparedStatement select = connection.prepareStatement(OCSP_STANDING)) {
                    select.setString(1, serial);
                    try (ResultSet row = select.executeQuery()) {
                      if (!row.next()) {
                        return Optional.empty();
                      }
                      OffsetDateTime revoked = row.getObject(3, OffsetDateTime.class);
                      return Optional.of(
                          new OcspStanding(
                              row.getString(1),
                              CertificateState.valueOf(row.getString(2)),
                              revoked == null
                                  ? null
                                  : new Revocation(revoked.toInstant(), row.getInt(4))));
                    }
                  }
                }));
  }

  @Override
  public List<StoredCertificate> findAll(Collection<String> serials) {
    return inInventory(CERTIFICATE.SERIAL_NUMBER, serials);
  }

  @Override
  public List<StoredCertificate> findAllByName(Collection<String> names) {
    return inInventory(CERTIFICATE.NAME, names);
  }

  /**
   * The certificates in the inventory (issued, not deleted) whose {@code key} is one of {@code
   * values}.
   */
  private List<StoredCertificate> inInventory(
      org.jooq.Field<String> key, Collection<String> values) {
    if (values.isEmpty()) {
      return List.of();
    }
    return toDomain(
        StoreErrors.guard(
            () -> dsl.selectFrom(CERTIFICATE).where(key.in(values)).and(LIVE).fetch()));
  }

  @Override
  public Optional<Revocation> revoke(String serial, Revocation revocation, RequestKey request) {
    try {
      return revokeRow(serial, revocation, request);
    } catch (DataAccessException e) {
      if (request != null
          && e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION
          && findRequest(request.principal(), request.requestId()).isPresent()) {
        throw new RequestTakenException(request);
      }
      throw e;
    }
  }

  private Optional<Revocation> revokeRow(String serial, Revocation revocation, RequestKey request) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  Optional<CertificateRecord> row =
                      db.selectFrom(CERTIFICATE)
                          .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                          .and(LIVE)
                          .forUpdate()
                          .fetchOptional();
                  if (row.isEmpty()) {
                    return Optional.<Revocation>empty();
                  }
                  JooqRequests.insert(db, request, serial, null, revocation.time());
                  if (row.get().getRevocationTime() != null) {
                    JooqAudit.append(
                        db,
                        calls.get(),
                        revocation.time(),
                        "OK",
                        row.get().getProfile(),
                        serial,
                        "already revoked");
                    return Optional.of(revocationOf(row.get()));
                  }
                  Instant time = revocation.time().truncatedTo(ChronoUnit.MICROS);
                  AuditRecord audited =
                      JooqAudit.append(
                          db,
                          calls.get(),
                          time,
                          "OK",
                          row.get().getProfile(),
                          serial,
                          "revoked, reason " + revocation.reason());
                  JooqEventStore.append(
                      db,
                      new EventStore.Event(
                          audited.sequence(),
                          EventStore.Event.REVOKED,
                          row.get().getAuthorityId(),
                          serial,
                          time,
                          revocation.reason()));
                  db.update(CERTIFICATE)
                      .set(CERTIFICATE.REVOCATION_TIME, StoreErrors.utc(time))
                      .set(CERTIFICATE.REVOCATION_REASON, revocation.reason())
                      .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                      .execute();
                  announcements.announce(
                      db, Change.Kind.REVOKED, row.get().getAuthorityId() + ":" + serial);
                  return Optional.of(new Revocation(time, revocation.reason()));
                }));
  }

  @Override
  public boolean updateLabels(
      String serial, Map<String, String> labels, Instant time, RequestKey request, byte[] answer) {
    AuditCall call = calls.get();
    return inTransaction(
        request,
        db -> {
          Optional<CertificateRecord> row =
              db.selectFrom(CERTIFICATE)
                  .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                  .and(LIVE)
                  .forUpdate()
                  .fetchOptional();
          if (row.isEmpty()) {
            return false;
          }
          db.deleteFrom(CERTIFICATE_LABEL)
              .where(CERTIFICATE_LABEL.SERIAL_NUMBER.eq(serial))
              .execute();
          insertLabels(db, serial, labels, row.get().getIssueTime());
          JooqRequests.insert(db, request, serial, answer, time);
          JooqAudit.append(
              db,
              call,
              time,
              "OK",
              row.get().getProfile(),
              serial,
              "labels set: " + new TreeMap<>(labels));
          return true;
        });
  }

  @Override
  public int delete(Collection<String> serials, Instant time, RequestKey request, byte[] answer) {
    AuditCall call = calls.get();
    return inTransaction(
        request,
        db -> {
          int deleted = 0;
          for (String serial : serials) {
            String profile =
                db.update(CERTIFICATE)
                    .set(CERTIFICATE.DELETE_TIME, StoreErrors.utc(time))
                    .setNull(CERTIFICATE.NAME)
                    .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                    .and(LIVE)
                    .returningResult(CERTIFICATE.PROFILE)
                    .fetchOptional()
                    .map(Record1::value1)
                    .orElse(null);
            if (profile != null) {
              deleted++;
              listLabels(db, serial, null);
              db.deleteFrom(CERTIFICATE_KEY)
                  .where(CERTIFICATE_KEY.SERIAL_NUMBER.eq(serial))
                  .execute();
              JooqAudit.append(db, call, time, "OK", profile, serial, "deleted");
            }
          }
          JooqRequests.insert(db, request, null, answer, time);
          return deleted;
        });
  }

  @Override
  public int tidy(Instant expiredBefore, int limit, Instant time) {
    AuditCall call = calls.get();
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  List<String> serials =
                      db.select(CERTIFICATE.SERIAL_NUMBER)
                          .from(CERTIFICATE)
                          .where(CERTIFICATE.NOT_AFTER.lt(StoreErrors.utc(expiredBefore)))
                          .and(CERTIFICATE.STATE.ne(CertificateState.PENDING.name()))
                          .and(CERTIFICATE.PROFILE.ne(CA_PROFILE))
                          .orderBy(CERTIFICATE.NOT_AFTER)
                          .limit(limit)
                          .fetch(CERTIFICATE.SERIAL_NUMBER);
                  if (serials.isEmpty()) {
                    return 0;
                  }
                  db.deleteFrom(CERTIFICATE_KEY)
                      .where(CERTIFICATE_KEY.SERIAL_NUMBER.in(serials))
                      .execute();
                  db.deleteFrom(CERTIFICATE_RENEWAL)
                      .where(CERTIFICATE_RENEWAL.SERIAL_NUMBER.in(serials))
                      .execute();
                  db.deleteFrom(CERTIFICATE_NAME)
                      .where(CERTIFICATE_NAME.SERIAL_NUMBER.in(serials))
                      .execute();
                  db.deleteFrom(CERTIFICATE_LABEL)
                      .where(CERTIFICATE_LABEL.SERIAL_NUMBER.in(serials))
                      .execute();
                  int removed =
                      db.deleteFrom(CERTIFICATE)
                          .where(CERTIFICATE.SERIAL_NUMBER.in(serials))
                          .execute();
                  // Last: the audit head's lock, which every issuance takes too, is held only
                  // for the commit.
                  JooqAudit.append(
                      db,
                      call,
                      time,
                      "OK",
                      "-",
                      "-",
                      "tidy: removed " + removed + " certificates expired before " + expiredBefore);
                  return removed;
                }));
  }

  @Override
  public void insertImported(ImportedCertificate imported, RequestKey request) {
    StoredCertificate r = imported.row();
    AuditCall call = calls.get();
    try {
      inTransaction(
          request,
          db -> {
            // Already here, imported or issued by us (whose rows are keyed by serial).
            db.select(CERTIFICATE.SERIAL_NUMBER)
                .from(CERTIFICATE)
                .where(CERTIFICATE.SHA256_FINGERPRINT.eq(r.sha256Fingerprint()))
                .fetchOptional(CERTIFICATE.SERIAL_NUMBER)
                .ifPresent(
                    serial -> {
                      throw new DuplicateCertificateException(serial);
                    });
            db.insertInto(CERTIFICATE)
                .set(CERTIFICATE.SERIAL_NUMBER, r.serialNumber())
                .set(CERTIFICATE.PROFILE, r.profile())
                .set(CERTIFICATE.STATE, CertificateState.ISSUED.name())
                .set(CERTIFICATE.SUBJECT, r.subject())
                .set(CERTIFICATE.COMMON_NAME, r.commonName())
                .set(CERTIFICATE.PUBLIC_KEY_ALGORITHM, r.publicKeyAlgorithm())
                .set(CERTIFICATE.NOT_BEFORE, StoreErrors.utc(r.notBefore()))
                .set(CERTIFICATE.NOT_AFTER, StoreErrors.utc(r.notAfter()))
                .set(
                    CERTIFICATE.TBS_CERTIFICATE,
                    Base64.getEncoder().encodeToString(imported.tbsCertificate()))
                .set(CERTIFICATE.CERTIFICATE_PEM, r.certificatePem())
                .set(CERTIFICATE.SHA256_FINGERPRINT, r.sha256Fingerprint())
                .set(CERTIFICATE.REQUESTED_BY, r.requestedBy())
                .set(CERTIFICATE.CREATE_TIME, StoreErrors.utc(r.createTime()))
                .set(CERTIFICATE.ISSUE_TIME, StoreErrors.utc(r.issueTime()))
                .set(CERTIFICATE.RENEWED_FROM, imported.replaces())
                .set(CERTIFICATE.SOURCE, IMPORTED)
                .set(CERTIFICATE.ISSUER, r.imported().issuer())
                .set(CERTIFICATE.ISSUER_SERIAL, r.imported().issuerSerial())
                .set(CERTIFICATE.CHAIN_PEM, r.imported().chainPem())
                .execute();
            insertNames(
                db, r.serialNumber(), r.dnsNames(), r.ipAddresses(), r.emailAddresses(), r.uris());
            insertLabels(db, r.serialNumber(), r.labels(), StoreErrors.utc(r.issueTime()));
            if (imported.key() != null) {
              insertKey(db, r.serialNumber(), new HeldKey(imported.key(), null), r.createTime());
            }
            if (imported.replaces() != null) {
              // The old certificate gives its name up first: the index is unique.
              db.update(CERTIFICATE)
                  .setNull(CERTIFICATE.NAME)
                  .where(CERTIFICATE.SERIAL_NUMBER.eq(imported.replaces()))
                  .execute();
              db.deleteFrom(CERTIFICATE_KEY)
                  .where(CERTIFICATE_KEY.SERIAL_NUMBER.eq(imported.replaces()))
                  .execute();
            }
            db.update(CERTIFICATE)
                .set(CERTIFICATE.NAME, r.name())
                .where(CERTIFICATE.SERIAL_NUMBER.eq(r.serialNumber()))
                .execute();
            JooqRequests.insert(db, request, r.serialNumber(), null, r.createTime());
            JooqAudit.append(
                db,
                call,
                r.createTime(),
                "OK",
                r.profile(),
                r.serialNumber(),
                (imported.replaces() == null ? "imported" : "replaced " + imported.replaces())
                    + (imported.key() == null ? "" : ", with its key (sealed)"));
            return null;
          });
    } catch (DataAccessException e) {
      if (e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION) {
        if (dsl.fetchExists(CERTIFICATE, CERTIFICATE.SERIAL_NUMBER.eq(r.serialNumber()))) {
          throw new DuplicateCertificateException(r.serialNumber());
        }
        if (r.name() != null && nameHeld(r.name())) {
          throw new NameTakenException(r.name());
        }
      }
      throw e;
    }
  }

  @Override
  public Optional<String> renewChoice(String serial) {
    return StoreErrors.guard(
        () ->
            dsl.select(CERTIFICATE_RENEWAL.CHOICE)
                .from(CERTIFICATE_RENEWAL)
                .where(CERTIFICATE_RENEWAL.SERIAL_NUMBER.eq(serial))
                .fetchOptional(CERTIFICATE_RENEWAL.CHOICE));
  }

  @Override
  public List<DueRenewal> dueRenewals(Instant now, int limit) {
    return StoreErrors.guard(
        () ->
            dsl.select(
                    CERTIFICATE_RENEWAL.SERIAL_NUMBER,
                    CERTIFICATE.PROFILE,
                    CERTIFICATE.REQUESTED_BY,
                    CERTIFICATE_RENEWAL.RENEW_AT)
                .from(CERTIFICATE_RENEWAL)
                .join(CERTIFICATE)
                .on(CERTIFICATE.SERIAL_NUMBER.eq(CERTIFICATE_RENEWAL.SERIAL_NUMBER))
                .where(CERTIFICATE_RENEWAL.RENEW_AT.le(StoreErrors.utc(now)))
                .and(LIVE)
                .orderBy(CERTIFICATE_RENEWAL.RENEW_AT)
                .limit(limit)
                .fetch(
                    r ->
                        new DueRenewal(
                            r.value1(), r.value2(), r.value3(), StoreErrors.instant(r.value4()))));
  }

  @Override
  public boolean claimRenewal(DueRenewal due, Instant retryAt) {
    return StoreErrors.guard(
        () ->
            dsl.update(CERTIFICATE_RENEWAL)
                    .set(CERTIFICATE_RENEWAL.RENEW_AT, StoreErrors.utc(retryAt))
                    .where(CERTIFICATE_RENEWAL.SERIAL_NUMBER.eq(due.serialNumber()))
                    .and(CERTIFICATE_RENEWAL.RENEW_AT.eq(StoreErrors.utc(due.renewAt())))
                    .execute()
                == 1);
  }

  @Override
  public void renewalDone(String serial) {
    StoreErrors.run(
        () ->
            dsl.update(CERTIFICATE_RENEWAL)
                .setNull(CERTIFICATE_RENEWAL.RENEW_AT)
                .where(CERTIFICATE_RENEWAL.SERIAL_NUMBER.eq(serial))
                .execute());
  }

  @Override
  public void stopRenewal(String serial, String profile, String reason, Instant now) {
    AuditCall call = calls.get();
    StoreErrors.run(
        () ->
            dsl.transaction(
                tx -> {
                  tx.dsl()
                      .update(CERTIFICATE_RENEWAL)
                      .setNull(CERTIFICATE_RENEWAL.RENEW_AT)
                      .where(CERTIFICATE_RENEWAL.SERIAL_NUMBER.eq(serial))
                      .execute();
                  tx.dsl()
                      .update(CERTIFICATE)
                      .set(CERTIFICATE.NOTICE_AT, StoreErrors.utc(now))
                      .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                      .execute();
                  JooqAudit.append(
                      tx.dsl(),
                      call,
                      now,
                      "STOPPED",
                      profile,
                      serial,
                      "auto-renewal stopped: " + reason);
                }));
  }

  @Override
  public Notices noticeExpiring(Instant now, int limit) {
    AuditCall call = calls.get();
    return StoreErrors.guard(
        () -> {
          List<String> due =
              dsl.select(CERTIFICATE.SERIAL_NUMBER)
                  .from(CERTIFICATE)
                  .where(CERTIFICATE.NOTICE_AT.le(StoreErrors.utc(now)))
                  .orderBy(CERTIFICATE.NOTICE_AT)
                  .limit(limit)
                  .fetch(CERTIFICATE.SERIAL_NUMBER);
          int told = 0;
          for (String serial : due) {
            if (dsl.transactionResult(tx -> notice(tx.dsl(), call, serial, now))) {
              told++;
            }
          }
          return new Notices(due.size(), told);
        });
  }

  /**
   * One certificate's notice, taken by clearing its notice time (a replica that clears it second
   * changes nothing and tells nothing): an EXPIRING event unless it is no longer live, revoked,
   * expired, or renewed.
   */
  private static boolean notice(DSLContext db, AuditCall call, String serial, Instant now) {
    var row =
        db.update(CERTIFICATE)
            .setNull(CERTIFICATE.NOTICE_AT)
            .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
            .and(CERTIFICATE.NOTICE_AT.isNotNull())
            .returningResult(
                CERTIFICATE.PROFILE,
                CERTIFICATE.AUTHORITY_ID,
                CERTIFICATE.STATE,
                CERTIFICATE.DELETE_TIME,
                CERTIFICATE.REVOCATION_TIME,
                CERTIFICATE.NOT_AFTER)
            .fetchOptional();
    if (row.isEmpty()
        || !CertificateState.ISSUED.name().equals(row.get().value3())
        || row.get().value4() != null
        || row.get().value5() != null
        || !StoreErrors.instant(row.get().value6()).isAfter(now)
        || db.fetchExists(
            db.selectOne()
                .from(CERTIFICATE)
                .where(CERTIFICATE.RENEWED_FROM.eq(serial))
                .and(CERTIFICATE.STATE.eq(CertificateState.ISSUED.name())))) {
      return false;
    }
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    AuditRecord audited =
        JooqAudit.append(
            db,
            call,
            time,
            "OK",
            row.get().value1(),
            serial,
            "about to expire, at "
                + StoreErrors.instant(row.get().value6())
                + ", with no renewal made or due (renew_before reached)");
    JooqEventStore.append(
        db,
        new EventStore.Event(
            audited.sequence(), EventStore.Event.EXPIRING, row.get().value2(), serial, time, null));
    return true;
  }

  private static void insertKey(DSLContext db, String serial, HeldKey key, Instant now) {
    db.insertInto(CERTIFICATE_KEY)
        .set(CERTIFICATE_KEY.SERIAL_NUMBER, serial)
        .set(CERTIFICATE_KEY.KEY_LABEL, key.key().label())
        .set(CERTIFICATE_KEY.SEALED, Base64.getEncoder().encodeToString(key.key().sealed()))
        .set(CERTIFICATE_KEY.CREATE_TIME, StoreErrors.utc(now))
        .set(
            CERTIFICATE_KEY.HOLD_UNTIL,
            key.holdUntil() == null ? null : StoreErrors.utc(key.holdUntil()))
        .execute();
  }

  @Override
  public Optional<HeldKey> heldKey(String serial, Instant now) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(CERTIFICATE_KEY)
                .where(CERTIFICATE_KEY.SERIAL_NUMBER.eq(serial))
                .and(
                    CERTIFICATE_KEY
                        .HOLD_UNTIL
                        .isNull()
                        .or(CERTIFICATE_KEY.HOLD_UNTIL.gt(StoreErrors.utc(now))))
                .fetchOptional()
                .map(
                    k ->
                        new HeldKey(
                            new ImportedCertificate.SealedKey(
                                k.getKeyLabel(), Base64.getDecoder().decode(k.getSealed())),
                            k.getHoldUntil() == null
                                ? null
                                : StoreErrors.instant(k.getHoldUntil()))));
  }

  @Override
  public Optional<ImportedCertificate.SealedKey> heldKey(String serial) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(CERTIFICATE_KEY)
                .where(CERTIFICATE_KEY.SERIAL_NUMBER.eq(serial))
                .fetchOptional()
                .map(
                    k ->
                        new ImportedCertificate.SealedKey(
                            k.getKeyLabel(), Base64.getDecoder().decode(k.getSealed()))));
  }

  static final String IMPORTED = "IMPORTED";

  /** The profile CA certificates are recorded under: kept by tidy, as the record of each CA. */
  private static final String CA_PROFILE = "grpca-ca";

  /**
   * Runs {@code work} in a transaction; a request id another call recorded first (its primary key
   * refused ours, and the whole transaction with it) is {@link RequestTakenException}.
   */
  private <T> T inTransaction(RequestKey request, java.util.function.Function<DSLContext, T> work) {
    try {
      return StoreErrors.guard(() -> dsl.transactionResult(tx -> work.apply(tx.dsl())));
    } catch (DataAccessException e) {
      if (request != null
          && e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION
          && findRequest(request.principal(), request.requestId()).isPresent()) {
        throw new RequestTakenException(request);
      }
      throw e;
    }
  }

  @Override
  public List<StoredCertificate> list(CertificateQuery query, int limit) {
    if (!query.labels().isEmpty()) {
      return listByLabel(query, limit);
    }
    Condition where = LIVE.and(filters(query));
    if (query.after() != null) {
      OffsetDateTime t = StoreErrors.utc(query.after().issueTime());
      where =
          where.and(
              CERTIFICATE
                  .ISSUE_TIME
                  .gt(t)
                  .or(
                      CERTIFICATE
                          .ISSUE_TIME
                          .eq(t)
                          .and(CERTIFICATE.SERIAL_NUMBER.gt(query.after().serialNumber()))));
    }
    Condition condition = where;
    return toDomain(
        StoreErrors.guard(
            () ->
                dsl.selectFrom(CERTIFICATE)
                    .where(condition)
                    .orderBy(CERTIFICATE.ISSUE_TIME, CERTIFICATE.SERIAL_NUMBER)
                    .limit(limit)
                    .fetch()));
  }

  /**
   * A page by label: the page's serials are a range of the label index (V15), in issue order, and
   * only those rows of the certificate table are read.
   */
  private List<StoredCertificate> listByLabel(CertificateQuery query, int limit) {
    List<String> serials =
        StoreErrors.guard(
            () -> labelPage(dsl, query, limit).fetch(CERTIFICATE_LABEL.SERIAL_NUMBER));
    List<StoredCertificate> page = new ArrayList<>(inInventory(CERTIFICATE.SERIAL_NUMBER, serials));
    page.sort(
        java.util.Comparator.comparing(StoredCertificate::issueTime)
            .thenComparing(StoredCertificate::serialNumber));
    return page;
  }

  /** The serials of a page by label, in issue order, from the label index (V15). */
  private static org.jooq.Select<Record1<String>> labelPage(
      DSLContext db, CertificateQuery query, int limit) {
    Condition where = labelled(db, query);
    if (query.after() != null) {
      OffsetDateTime t = StoreErrors.utc(query.after().issueTime());
      // The first comparison bounds the index range; the second is the exact place in it.
      where =
          where
              .and(CERTIFICATE_LABEL.LISTED_TIME.ge(t))
              .and(
                  CERTIFICATE_LABEL
                      .LISTED_TIME
                      .gt(t)
                      .or(
                          CERTIFICATE_LABEL
                              .LISTED_TIME
                              .eq(t)
                              .and(
                                  CERTIFICATE_LABEL.SERIAL_NUMBER.gt(
                                      query.after().serialNumber()))));
    }
    return db.select(CERTIFICATE_LABEL.SERIAL_NUMBER)
        .from(labelRows(query))
        .where(where)
        // The key and value are fixed: ordering by them too lets H2 see the page in the index's
        // own order and stop after it.
        .orderBy(
            CERTIFICATE_LABEL.LABEL_KEY,
            CERTIFICATE_LABEL.LABEL_VALUE,
            CERTIFICATE_LABEL.LISTED_TIME,
            CERTIFICATE_LABEL.SERIAL_NUMBER)
        .limit(limit);
  }

  /** The engine's plan for a page by label (for the test that it reads the label index only). */
  String labelPagePlan(CertificateQuery query) {
    return plan(db -> labelPage(db, query, 100));
  }

  /** The keys of the query's labels in the order a page by label joins them (for a test). */
  List<String> labelOrder(CertificateQuery query) {
    return rarestFirst(dsl, query.labels()).stream().map(Map.Entry::getKey).toList();
  }

  @Override
  public long count(CertificateQuery query) {
    if (!query.labels().isEmpty()) {
      return StoreErrors.guard(
          () ->
              dsl.selectCount()
                  .from(labelRows(query))
                  .where(labelled(dsl, query))
                  .fetchOne(0, long.class));
    }
    Condition where = LIVE.and(filters(query));
    return StoreErrors.guard(
        () -> dsl.selectCount().from(CERTIFICATE).where(where).fetchOne(0, long.class));
  }

  /** What List shows: issued and not deleted. */
  private static final Condition LIVE =
      CERTIFICATE.STATE.eq(CertificateState.ISSUED.name()).and(CERTIFICATE.DELETE_TIME.isNull());

  /** Before any issue time: "listed" as a range H2 reads off the index, not IS NOT NULL. */
  private static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, UTC);

  /**
   * The label rows a label query starts from: the first label's, alone when no other filter needs
   * the certificate row (then the page and the count read the label index only), else joined to it.
   */
  private static org.jooq.Table<?> labelRows(CertificateQuery q) {
    return hasFilters(q)
        ? CERTIFICATE_LABEL
            .join(CERTIFICATE)
            .on(CERTIFICATE.SERIAL_NUMBER.eq(CERTIFICATE_LABEL.SERIAL_NUMBER))
        : CERTIFICATE_LABEL;
  }

  /**
   * The listed rows of the query's rarest label (the one its range is walked in), carrying the
   * other labels too, matching the other filters.
   */
  private static Condition labelled(DSLContext db, CertificateQuery q) {
    List<Map.Entry<String, String>> labels = rarestFirst(db, q.labels());
    Condition c = listed(CERTIFICATE_LABEL, labels.get(0));
    var other = CERTIFICATE_LABEL.as("other_label");
    for (Map.Entry<String, String> label : labels.subList(1, labels.size())) {
      // A point in the other label's index range: the whole key of certificate_label_listed is
      // bound, so the engine can only read it there. (Bound by serial and key alone, H2 looked it
      // up through the (key, value) prefix instead, scanning env=prod's 500k rows for each
      // candidate: 38 s for one page at 1M. By primary key and comparing the value, a count of
      // 3.9k candidates took 40 ms against 25 ms this way.)
      c =
          c.and(
              DSL.exists(
                  DSL.selectOne()
                      .from(other)
                      .where(listed(other, label))
                      .and(other.LISTED_TIME.eq(CERTIFICATE_LABEL.LISTED_TIME))
                      .and(other.SERIAL_NUMBER.eq(CERTIFICATE_LABEL.SERIAL_NUMBER))));
    }
    return hasFilters(q) ? c.and(filters(q)) : c;
  }

  /** The listed rows of one label: a range of certificate_label_listed. */
  private static Condition listed(CertificateLabel t, Map.Entry<String, String> label) {
    return t.LABEL_KEY
        .eq(label.getKey())
        .and(t.LABEL_VALUE.eq(label.getValue()))
        .and(t.LISTED_TIME.ge(EPOCH));
  }

  /** How far {@link #rarestFirst} counts a label's rows: enough to tell a rare label apart. */
  static final int RARITY_PROBE = 1000;

  /**
   * The labels, rarest first, each counted up to {@link #RARITY_PROBE} rows of its index range: the
   * page and the count walk the first label's range and look each of its rows up in the others, so
   * walking env=prod (500k rows) to find team=payments (4k) would cost 100x more than the other way
   * round, whichever order the caller wrote them in.
   */
  private static List<Map.Entry<String, String>> rarestFirst(
      DSLContext db, Map<String, String> labels) {
    List<Map.Entry<String, String>> out = new ArrayList<>(labels.entrySet());
    if (out.size() > 1) {
      Map<Map.Entry<String, String>, Integer> seen = new HashMap<>();
      for (Map.Entry<String, String> label : out) {
        seen.put(
            label,
            db.fetchCount(
                DSL.selectOne()
                    .from(CERTIFICATE_LABEL)
                    .where(listed(CERTIFICATE_LABEL, label))
                    .limit(RARITY_PROBE)));
      }
      out.sort(java.util.Comparator.comparing(seen::get));
    }
    return out;
  }

  private static boolean hasFilters(CertificateQuery q) {
    return q.namePrefix() != null
        || q.commonName() != null
        || q.dnsName() != null
        || q.profile() != null
        || q.authorityId() != null
        || q.standing() != null
        || q.expireBefore() != null
        || q.expireAfter() != null;
  }

  @Override
  public long count() {
    return StoreErrors.guard(() -> (long) dsl.fetchCount(CERTIFICATE));
  }

  /** The filters of {@code q} other than labels, on the certificate row. */
  private static Condition filters(CertificateQuery q) {
    Condition c = DSL.noCondition();
    if (q.namePrefix() != null) {
      c = c.and(CERTIFICATE.NAME.startsWith(q.namePrefix()));
    }
    if (q.commonName() != null) {
      c = c.and(DSL.lower(CERTIFICATE.COMMON_NAME).eq(q.commonName().toLowerCase(Locale.ROOT)));
    }
    if (q.dnsName() != null) {
      c =
          c.and(
              DSL.exists(
                  DSL.selectOne()
                      .from(CERTIFICATE_NAME)
                      .where(CERTIFICATE_NAME.SERIAL_NUMBER.eq(CERTIFICATE.SERIAL_NUMBER))
                      .and(CERTIFICATE_NAME.KIND.eq(DNS))
                      .and(CERTIFICATE_NAME.NAME.eq(q.dnsName().toLowerCase(Locale.ROOT)))));
    }
    if (q.profile() != null) {
      c = c.and(CERTIFICATE.PROFILE.eq(q.profile()));
    }
    if (q.authorityId() != null) {
      c = c.and(CERTIFICATE.AUTHORITY_ID.eq(q.authorityId()));
    }
    OffsetDateTime now = StoreErrors.utc(q.now());
    if (q.standing() == Standing.REVOKED) {
      c = c.and(CERTIFICATE.REVOCATION_TIME.isNotNull());
    } else if (q.standing() == Standing.EXPIRED) {
      c = c.and(CERTIFICATE.REVOCATION_TIME.isNull()).and(CERTIFICATE.NOT_AFTER.lt(now));
    } else if (q.standing() == Standing.VALID) {
      c = c.and(CERTIFICATE.REVOCATION_TIME.isNull()).and(CERTIFICATE.NOT_AFTER.ge(now));
    }
    if (q.expireBefore() != null) {
      c = c.and(CERTIFICATE.NOT_AFTER.lt(StoreErrors.utc(q.expireBefore())));
    }
    if (q.expireAfter() != null) {
      c = c.and(CERTIFICATE.NOT_AFTER.gt(StoreErrors.utc(q.expireAfter())));
    }
    return c;
  }

  /** Rows to domain objects, with their names and labels read in one query each. */
  private List<StoredCertificate> toDomain(List<CertificateRecord> rows) {
    if (rows.isEmpty()) {
      return List.of();
    }
    List<String> serials = rows.stream().map(CertificateRecord::getSerialNumber).toList();
    Map<String, Map<String, List<String>>> names = new HashMap<>();
    StoreErrors.guard(
            () ->
                dsl.select(
                        CERTIFICATE_NAME.SERIAL_NUMBER,
                        CERTIFICATE_NAME.KIND,
                        CERTIFICATE_NAME.NAME)
                    .from(CERTIFICATE_NAME)
                    .where(CERTIFICATE_NAME.SERIAL_NUMBER.in(serials))
                    .orderBy(CERTIFICATE_NAME.SERIAL_NUMBER, CERTIFICATE_NAME.POSITION)
                    .fetch())
        .forEach(
            n ->
                names
                    .computeIfAbsent(n.value1(), k -> new HashMap<>())
                    .computeIfAbsent(n.value2(), k -> new ArrayList<>())
                    .add(n.value3()));
    Map<String, Map<String, String>> labels = new HashMap<>();
    StoreErrors.guard(
            () ->
                dsl.select(
                        CERTIFICATE_LABEL.SERIAL_NUMBER,
                        CERTIFICATE_LABEL.LABEL_KEY,
                        CERTIFICATE_LABEL.LABEL_VALUE)
                    .from(CERTIFICATE_LABEL)
                    .where(CERTIFICATE_LABEL.SERIAL_NUMBER.in(serials))
                    .fetch())
        .forEach(
            l ->
                labels
                    .computeIfAbsent(l.value1(), k -> new TreeMap<>())
                    .put(l.value2(), l.value3()));
    Map<String, String> renewedBy = new HashMap<>();
    StoreErrors.guard(
            () ->
                dsl.select(CERTIFICATE.RENEWED_FROM, CERTIFICATE.SERIAL_NUMBER)
                    .from(CERTIFICATE)
                    .where(CERTIFICATE.RENEWED_FROM.in(serials))
                    .and(CERTIFICATE.STATE.eq(CertificateState.ISSUED.name()))
                    .fetch())
        .forEach(r -> renewedBy.put(r.value1(), r.value2()));
    List<StoredCertificate> out = new ArrayList<>();
    for (CertificateRecord r : rows) {
      Map<String, List<String>> n = names.getOrDefault(r.getSerialNumber(), Map.of());
      out.add(
          new StoredCertificate(
              r.getSerialNumber(),
              r.getAuthorityId(),
              r.getProfile(),
              CertificateState.valueOf(r.getState()),
              r.getSubject(),
              r.getCommonName(),
              r.getPublicKeyAlgorithm(),
              StoreErrors.instant(r.getNotBefore()),
              StoreErrors.instant(r.getNotAfter()),
              n.getOrDefault(DNS, List.of()),
              n.getOrDefault(IP, List.of()),
              n.getOrDefault(EMAIL, List.of()),
              n.getOrDefault(URI, List.of()),
              labels.getOrDefault(r.getSerialNumber(), Map.of()),
              r.getCertificatePem(),
              r.getSha256Fingerprint(),
              r.getRequestedBy(),
              StoreErrors.instant(r.getCreateTime()),
              StoreErrors.instant(r.getIssueTime()),
              r.getRevocationTime() == null ? null : revocationOf(r),
              r.getRenewedFrom(),
              renewedBy.get(r.getSerialNumber()),
              r.getName(),
              StoreErrors.instant(r.getDeleteTime()),
              IMPORTED.equals(r.getSource())
                  ? new StoredCertificate.Imported(
                      r.getIssuer(), r.getIssuerSerial(), r.getChainPem())
                  : null));
    }
    return out;
  }

  private static Revocation revocationOf(CertificateRecord r) {
    return new Revocation(StoreErrors.instant(r.getRevocationTime()), r.getRevocationReason());
  }
}
