package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE;
import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_LABEL;
import static dev.grpca.server.store.jooq.generated.Tables.CERTIFICATE_NAME;

import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.jooq.generated.tables.records.CertificateRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jooq.DSLContext;

final class JooqCertificateStore implements CertificateStore {
  static final String DNS = "DNS";
  static final String IP = "IP";
  static final String EMAIL = "EMAIL";
  static final String URI = "URI";

  private final DSLContext dsl;

  JooqCertificateStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public void recordPending(PendingCertificate p) {
    StoreErrors.run(
        () ->
            dsl.transaction(
                tx -> {
                  DSLContext db = tx.dsl();
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
                      .execute();
                  int position = 0;
                  for (String dns : p.dnsNames()) {
                    insertName(db, p.serialNumber(), position++, DNS, dns);
                  }
                  for (String ip : p.ipAddresses()) {
                    insertName(db, p.serialNumber(), position++, IP, ip);
                  }
                  for (String email : p.emailAddresses()) {
                    insertName(db, p.serialNumber(), position++, EMAIL, email);
                  }
                  for (String uri : p.uris()) {
                    insertName(db, p.serialNumber(), position++, URI, uri);
                  }
                  for (Map.Entry<String, String> label : p.labels().entrySet()) {
                    db.insertInto(CERTIFICATE_LABEL)
                        .set(CERTIFICATE_LABEL.SERIAL_NUMBER, p.serialNumber())
                        .set(CERTIFICATE_LABEL.LABEL_KEY, label.getKey())
                        .set(CERTIFICATE_LABEL.LABEL_VALUE, label.getValue())
                        .execute();
                  }
                }));
  }

  private static void insertName(
      DSLContext db, String serial, int position, String kind, String name) {
    db.insertInto(CERTIFICATE_NAME)
        .set(CERTIFICATE_NAME.SERIAL_NUMBER, serial)
        .set(CERTIFICATE_NAME.POSITION, position)
        .set(CERTIFICATE_NAME.KIND, kind)
        .set(CERTIFICATE_NAME.NAME, name)
        .execute();
  }

  @Override
  public void markIssued(String serial, String pem, String sha256, Instant issueTime) {
    int updated =
        StoreErrors.guard(
            () ->
                dsl.update(CERTIFICATE)
                    .set(CERTIFICATE.STATE, CertificateState.ISSUED.name())
                    .set(CERTIFICATE.CERTIFICATE_PEM, pem)
                    .set(CERTIFICATE.SHA256_FINGERPRINT, sha256)
                    .set(CERTIFICATE.ISSUE_TIME, StoreErrors.utc(issueTime))
                    .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                    .and(CERTIFICATE.STATE.eq(CertificateState.PENDING.name()))
                    .execute());
    if (updated != 1) {
      throw new IllegalStateException("no pending certificate " + serial + " to complete");
    }
  }

  @Override
  public void markFailed(String serial) {
    StoreErrors.guard(
        () ->
            dsl.update(CERTIFICATE)
                .set(CERTIFICATE.STATE, CertificateState.FAILED.name())
                .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                .and(CERTIFICATE.STATE.eq(CertificateState.PENDING.name()))
                .execute());
  }

  @Override
  public Optional<StoredCertificate> find(String serial) {
    return StoreErrors.guard(
            () ->
                dsl.selectFrom(CERTIFICATE)
                    .where(CERTIFICATE.SERIAL_NUMBER.eq(serial))
                    .fetchOptional())
        .map(this::toDomain);
  }

  @Override
  public long count() {
    return StoreErrors.guard(() -> (long) dsl.fetchCount(CERTIFICATE));
  }

  private StoredCertificate toDomain(CertificateRecord r) {
    Map<String, List<String>> names =
        Map.of(
            DNS,
            new ArrayList<>(),
            IP,
            new ArrayList<>(),
            EMAIL,
            new ArrayList<>(),
            URI,
            new ArrayList<>());
    StoreErrors.guard(
            () ->
                dsl.select(CERTIFICATE_NAME.KIND, CERTIFICATE_NAME.NAME)
                    .from(CERTIFICATE_NAME)
                    .where(CERTIFICATE_NAME.SERIAL_NUMBER.eq(r.getSerialNumber()))
                    .orderBy(CERTIFICATE_NAME.POSITION)
                    .fetch())
        .forEach(n -> names.get(n.value1()).add(n.value2()));
    Map<String, String> labels = new TreeMap<>();
    StoreErrors.guard(
            () ->
                dsl.select(CERTIFICATE_LABEL.LABEL_KEY, CERTIFICATE_LABEL.LABEL_VALUE)
                    .from(CERTIFICATE_LABEL)
                    .where(CERTIFICATE_LABEL.SERIAL_NUMBER.eq(r.getSerialNumber()))
                    .fetch())
        .forEach(l -> labels.put(l.value1(), l.value2()));
    return new StoredCertificate(
        r.getSerialNumber(),
        r.getAuthorityId(),
        r.getProfile(),
        CertificateState.valueOf(r.getState()),
        r.getSubject(),
        r.getCommonName(),
        r.getPublicKeyAlgorithm(),
        StoreErrors.instant(r.getNotBefore()),
        StoreErrors.instant(r.getNotAfter()),
        names.get(DNS),
        names.get(IP),
        names.get(EMAIL),
        names.get(URI),
        labels,
        r.getCertificatePem(),
        r.getSha256Fingerprint(),
        r.getRequestedBy(),
        StoreErrors.instant(r.getCreateTime()));
  }
}
