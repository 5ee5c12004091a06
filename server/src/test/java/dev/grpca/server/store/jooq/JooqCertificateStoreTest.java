package dev.grpca.server.store.jooq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.store.CertificateQuery;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.NameTakenException;
import dev.grpca.server.store.OcspStanding;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.store.Revocation;
import dev.grpca.server.store.Standing;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.testing.Engine;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The certificate store on each real engine (an H2 file, PostgreSQL), migrated by Flyway. */
@ParameterizedClass(name = "on {0}")
@EnumSource(Engine.class)
class JooqCertificateStoreTest {
  @Parameter Engine engine;
  private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

  @TempDir Path dir;
  private String url;
  private Database database;

  @BeforeEach
  void open() {
    url = engine.freshUrl(dir);
    database = reopen();
    database
        .authorities()
        .insert(new StoredAuthority("issuing", null, "grpca-issuing", "PEM", true, T0));
  }

  @AfterEach
  void close() {
    database.close();
  }

  private Database reopen() {
    return Database.open(url, engine.user(), engine.password());
  }

  @Test
  void aPendingRowIsCompletedAndReadBackWithItsNamesAndLabels() {
    var certificates = database.certificates();
    certificates.recordPending(pending("0a1b"));

    StoredCertificate pending = certificates.find("0a1b").orElseThrow();
    assertThat(pending.state()).isEqualTo(CertificateState.PENDING);
    assertThat(pending.certificatePem()).isNull();
    assertThat(pending.dnsNames()).containsExactly("b.example.com", "a.example.com");
    assertThat(pending.ipAddresses()).containsExactly("10.0.0.1", "::1");
    assertThat(pending.emailAddresses()).containsExactly("ops@example.com");
    assertThat(pending.uris()).containsExactly("spiffe://example.org/ns/a/sa/b");
    assertThat(pending.labels()).containsExactly(Map.entry("entity", "backend/1"));
    assertThat(pending.notAfter()).isEqualTo(T0.plusSeconds(86400));

    certificates.markIssued("0a1b", "CERT PEM", "ab".repeat(32), T0.plusSeconds(1));
    StoredCertificate issued = certificates.find("0a1b").orElseThrow();
    assertThat(issued.state()).isEqualTo(CertificateState.ISSUED);
    assertThat(issued.certificatePem()).isEqualTo("CERT PEM");
    assertThat(issued.sha256Fingerprint()).isEqualTo("ab".repeat(32));
  }

  @Test
  void ocspStandingReadsTheIssuerStateAndRevocationOfARow() {
    var certificates = database.certificates();
    assertThat(certificates.ocspStanding("0c5b")).isEmpty();
    certificates.recordPending(pending("0c5b"));
    assertThat(certificates.ocspStanding("0c5b"))
        .contains(new OcspStanding("issuing", CertificateState.PENDING, null));
    certificates.markIssued("0c5b", "PEM", "00", T0);
    assertThat(certificates.ocspStanding("0c5b"))
        .contains(new OcspStanding("issuing", CertificateState.ISSUED, null));
    Revocation revoked =
        certificates.revoke("0c5b", new Revocation(T0.plusSeconds(5), 1)).orElseThrow();
    assertThat(certificates.ocspStanding("0c5b"))
        .contains(new OcspStanding("issuing", CertificateState.ISSUED, revoked));
  }

  @Test
  void aSerialCannotBeRecordedTwiceNorCompletedTwice() {
    var certificates = database.certificates();
    certificates.recordPending(pending("beef"));
    assertThatThrownBy(() -> certificates.recordPending(pending("beef")))
        .isInstanceOf(DataAccessException.class);
    certificates.markIssued("beef", "PEM", "00", T0);
    assertThatThrownBy(() -> certificates.markIssued("beef", "OTHER", "00", T0))
        .isInstanceOf(IllegalStateException.class);
    assertThat(certificates.find("beef").orElseThrow().certificatePem()).isEqualTo("PEM");
    assertThat(certificates.count()).isEqualTo(1);
  }

  @Test
  void aFailedSigningIsMarkedAndNeverBecomesIssued() {
    var certificates = database.certificates();
    certificates.recordPending(pending("f00d"));
    certificates.markFailed("f00d");
    assertThat(certificates.find("f00d").orElseThrow().state()).isEqualTo(CertificateState.FAILED);
    assertThatThrownBy(() -> certificates.markIssued("f00d", "PEM", "00", T0))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void rowsLeftPendingBeforeTheCutOffAreMarkedFailedAndTheOthersAreLeftAlone() {
    var certificates = database.certificates();
    certificates.recordPending(pending("01d1", T0));
    certificates.recordPending(pending("0e11", T0.plusSeconds(3600)));
    certificates.recordPending(pending("0d0e", T0));
    certificates.markIssued("0d0e", "PEM", "00", T0);

    assertThat(certificates.failAbandoned(T0.plusSeconds(60))).isEqualTo(1);
    assertThat(certificates.find("01d1").orElseThrow().state()).isEqualTo(CertificateState.FAILED);
    assertThat(certificates.find("0e11").orElseThrow().state()).isEqualTo(CertificateState.PENDING);
    assertThat(certificates.find("0d0e").orElseThrow().state()).isEqualTo(CertificateState.ISSUED);
    // The process that recorded it cannot complete it now, and its serial stays taken.
    assertThatThrownBy(() -> certificates.markIssued("01d1", "PEM", "00", T0))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> certificates.recordPending(pending("01d1", T0)))
        .isInstanceOf(DataAccessException.class);
    assertThat(certificates.failAbandoned(T0.plusSeconds(60))).isZero();
  }

  @Test
  void theSweepForAbandonedRowsFindsThemThroughAnIndexNotByReadingTheTable() {
    String plan = ((JooqCertificateStore) database.certificates()).abandonedPlan();
    assertThat(plan.toLowerCase(java.util.Locale.ROOT)).contains("certificate_issue_order");
  }

  @Test
  void thePendingCountForItsGaugeUsesTheIndexToo() {
    JooqCertificateStore store = (JooqCertificateStore) database.certificates();
    assertThat(store.pendingPlan().toLowerCase(java.util.Locale.ROOT))
        .contains("certificate_issue_order");
    store.recordPending(pending("c0ffee"));
    assertThat(store.countPending()).isEqualTo(1);
    store.markIssued("c0ffee", "PEM", "00", T0);
    assertThat(store.countPending()).isZero();
  }

  @Test
  void whatWasStoredIsThereAfterTheDatabaseIsClosedAndReopened() {
    database.certificates().recordPending(pending("cafe"));
    database.certificates().markIssued("cafe", "PEM", "00", T0);
    database.close();

    database = reopen();
    assertThat(database.certificates().find("cafe").orElseThrow().state())
        .isEqualTo(CertificateState.ISSUED);
    assertThat(database.authorities().find("issuing").orElseThrow().keyLabel())
        .isEqualTo("grpca-issuing");
  }

  @Test
  void concurrentIssuancesShareCommitsYetEachFailsOrSucceedsOnItsOwn() throws Exception {
    var certificates = database.certificates();
    certificates.recordPending(pending("dup0"));
    int threads = 8;
    int perThread = 40;
    var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    var outcomes = new java.util.ArrayList<java.util.concurrent.Future<int[]>>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      outcomes.add(
          pool.submit(
              () -> {
                int refused = 0;
                for (int i = 0; i < perThread; i++) {
                  String serial = String.format("%02x%04x", id + 1, i);
                  certificates.recordPending(pending(serial));
                  // Writes bound to fail, mixed in with the good ones: a serial already recorded,
                  // and completing one that was completed already.
                  try {
                    certificates.recordPending(pending("dup0"));
                  } catch (DataAccessException expected) {
                    refused++;
                  }
                  certificates.markIssued(serial, "PEM " + serial, "00", T0);
                  try {
                    certificates.markIssued(serial, "AGAIN", "00", T0);
                  } catch (IllegalStateException expected) {
                    refused++;
                  }
                }
                return new int[] {refused};
              }));
    }
    int refused = 0;
    for (var outcome : outcomes) {
      refused += outcome.get()[0];
    }
    pool.shutdown();

    assertThat(refused).isEqualTo(2 * threads * perThread);
    assertThat(certificates.count()).isEqualTo(threads * perThread + 1);
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        String serial = String.format("%02x%04x", t + 1, i);
        StoredCertificate c = certificates.find(serial).orElseThrow();
        assertThat(c.state()).isEqualTo(CertificateState.ISSUED);
        assertThat(c.certificatePem()).isEqualTo("PEM " + serial);
        assertThat(c.dnsNames()).containsExactly("b.example.com", "a.example.com");
      }
    }
    // One audit record per issuance, chained without a gap.
    var verdict = database.access().verifyAudit();
    assertThat(verdict.ok()).as(verdict.toString()).isTrue();
    assertThat(verdict.records()).isEqualTo(threads * perThread);
  }

  @Test
  void anUnknownSerialIsEmpty() {
    assertThat(database.certificates().find("123")).isEmpty();
  }

  @Test
  void aNameIsHeldFromRecordingGivenUpOnFailureAndMovedByRenewal() {
    var certificates = database.certificates();
    certificates.recordPending(pending("0a01").withName("web"));
    assertThat(certificates.findByName("web").orElseThrow().serialNumber()).isEqualTo("0a01");
    // Held while pending: nobody else can be promised it.
    assertThatThrownBy(() -> certificates.recordPending(pending("0a02").withName("web")))
        .isInstanceOfSatisfying(
            NameTakenException.class, e -> assertThat(e.name()).isEqualTo("web"));
    assertThat(certificates.find("0a02")).isEmpty();
    certificates.markFailed("0a01");
    assertThat(certificates.findByName("web")).isEmpty();

    certificates.recordPending(pending("0a03").withName("web"));
    assertThat(certificates.markIssued("0a03", "PEM", "00", T0).name()).isEqualTo("web");
    PendingCertificate renewal =
        new PendingCertificate(
            "0a04",
            "issuing",
            "default",
            "CN=b.example.com",
            "b.example.com",
            "EC P-256",
            T0,
            T0.plusSeconds(86400),
            List.of("b.example.com"),
            List.of(),
            List.of(),
            List.of(),
            Map.of(),
            new byte[] {0x30, 0x00},
            "admin",
            T0,
            "0a03");
    certificates.recordPending(renewal);
    // Until the renewal is stored, the name stays where it was.
    assertThat(certificates.findByName("web").orElseThrow().serialNumber()).isEqualTo("0a03");
    assertThat(certificates.markIssued("0a04", "PEM", "01", T0).name()).isEqualTo("web");
    assertThat(certificates.findByName("web").orElseThrow().serialNumber()).isEqualTo("0a04");
    assertThat(certificates.find("0a03").orElseThrow().name()).isNull();
    assertThat(certificates.findAllByName(List.of("web", "nope")))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0a04");

    certificates.recordPending(pending("0a05").withName("webmail"));
    certificates.markIssued("0a05", "PEM", "02", T0.plusSeconds(1));
    certificates.recordPending(pending("0a06").withName("api"));
    certificates.markIssued("0a06", "PEM", "03", T0.plusSeconds(2));
    assertThat(certificates.list(query("web"), 10))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0a04", "0a05");
    assertThat(certificates.count(query("web"))).isEqualTo(2);
  }

  @Test
  void labelsAreReplacedDeletedRowsLeaveTheInventoryAndTidyRemovesExpiredOnes() {
    var certificates = database.certificates();
    certificates.recordPending(pending("0b01").withName("kept"));
    certificates.markIssued("0b01", "PEM", "00", T0);
    certificates.recordPending(pending("0b02").withName("deleted"));
    certificates.markIssued("0b02", "PEM", "01", T0);
    certificates.revoke("0b02", new Revocation(T0.plusSeconds(5), 1));

    assertThat(certificates.updateLabels("0b01", Map.of("entity", "backend/2"), T0, null, null))
        .isTrue();
    assertThat(certificates.find("0b01").orElseThrow().labels())
        .containsExactly(Map.entry("entity", "backend/2"));
    assertThat(certificates.updateLabels("0fff", Map.of(), T0, null, null)).isFalse();

    assertThat(certificates.delete(List.of("0b02", "0fff"), T0.plusSeconds(9), null, null))
        .isEqualTo(1);
    StoredCertificate deleted = certificates.find("0b02").orElseThrow();
    assertThat(deleted.deleteTime()).isNotNull();
    assertThat(deleted.name()).isNull();
    assertThat(deleted.inInventory()).isFalse();
    assertThat(certificates.findAll(List.of("0b01", "0b02")))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0b01");
    assertThat(certificates.count(query(null))).isEqualTo(1);
    // OCSP still answers revoked for it.
    assertThat(certificates.ocspStanding("0b02").orElseThrow().revocation()).isNotNull();

    // Both expire at T0 + 1 day: a tidy before that removes nothing, after it both.
    assertThat(certificates.tidy(T0.plusSeconds(86400), 500, T0)).isZero();
    assertThat(certificates.tidy(T0.plusSeconds(86401), 1, T0)).isEqualTo(1);
    assertThat(certificates.tidy(T0.plusSeconds(86401), 500, T0)).isEqualTo(1);
    assertThat(certificates.find("0b01")).isEmpty();
    assertThat(certificates.find("0b02")).isEmpty();
  }

  @Test
  void listByLabelSeesOnlyIssuedUndeletedRowsInIssueOrderPageByPage() {
    var certificates = database.certificates();
    for (int i = 1; i <= 5; i++) {
      certificates.recordPending(pending("0c0" + i));
      certificates.markIssued("0c0" + i, "PEM", "0" + i, T0.plusSeconds(i));
    }
    certificates.recordPending(pending("0c06"));
    Map<String, String> prod = new java.util.LinkedHashMap<>();
    prod.put("entity", "backend/1");
    prod.put("env", "prod");
    certificates.updateLabels("0c02", prod, T0, null, null);
    certificates.updateLabels("0c04", prod, T0, null, null);
    Map<String, String> entity = Map.of("entity", "backend/1");

    assertThat(certificates.count(labelled(entity, null, null))).isEqualTo(5);
    List<StoredCertificate> first = certificates.list(labelled(entity, null, null), 2);
    assertThat(first).extracting(StoredCertificate::serialNumber).containsExactly("0c01", "0c02");
    StoredCertificate last = first.get(1);
    var after = new CertificateQuery.Cursor(last.issueTime(), last.serialNumber());
    assertThat(certificates.list(labelled(entity, null, after), 2))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0c03", "0c04");
    assertThat(certificates.list(labelled(prod, null, null), 10))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0c02", "0c04");
    assertThat(certificates.count(labelled(prod, null, null))).isEqualTo(2);
    // Written entity first, but env=prod has 2 rows against 5: the page walks env's range.
    assertThat(((JooqCertificateStore) certificates).labelOrder(labelled(prod, null, null)))
        .containsExactly("env", "entity");

    certificates.revoke("0c03", new Revocation(T0.plusSeconds(9), 1));
    assertThat(certificates.list(labelled(entity, Standing.REVOKED, null), 10))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0c03");
    assertThat(certificates.count(labelled(entity, Standing.REVOKED, null))).isEqualTo(1);

    certificates.delete(List.of("0c01", "0c04"), T0.plusSeconds(10), null, null);
    assertThat(certificates.list(labelled(entity, null, null), 10))
        .extracting(StoredCertificate::serialNumber)
        .containsExactly("0c02", "0c03", "0c05");
    assertThat(certificates.count(labelled(prod, null, null))).isEqualTo(1);
  }

  @Test
  void aDownloadTokenIsUsedOnceAndTakesTheKeyHeldForItAlong() {
    var certificates = database.certificates();
    var key =
        new dev.grpca.server.store.HeldKey(
            new dev.grpca.server.store.ImportedCertificate.SealedKey("k", new byte[] {1, 2, 3}),
            T0.plusSeconds(3600));
    certificates.recordPending(
        pending("0d01"), null, new dev.grpca.server.store.Upkeep(key, null, null, null));
    certificates.markIssued("0d01", "PEM", "0d", T0.plusSeconds(1));
    assertThat(certificates.heldKey("0d01", T0).orElseThrow().forDownload()).isTrue();
    // Its hold ends: void from then on, though still in the row until a sweep.
    assertThat(certificates.heldKey("0d01", T0.plusSeconds(3600))).isEmpty();

    var tokens = database.downloads();
    tokens.create("aa", "0d01", "default", "admin", T0, T0.plusSeconds(300));
    tokens.create("bb", "0d01", "default", "admin", T0, T0.plusSeconds(300));
    var fetcher = new dev.grpca.server.store.AuditCall("bearer", "10.0.0.9", "GET", "-");
    assertThat(tokens.usable("aa", T0.plusSeconds(300))).isEmpty();
    assertThat(tokens.usable("aa", T0).orElseThrow().createdBy()).isEqualTo("admin");
    assertThat(tokens.use("aa", "0d01", "default", T0.plusSeconds(300), fetcher)).isFalse();
    assertThat(tokens.use("aa", "0e01", "default", T0, fetcher)).isFalse();
    assertThat(tokens.use("aa", "0d01", "default", T0, fetcher)).isTrue();
    assertThat(tokens.use("aa", "0d01", "default", T0, fetcher)).isFalse();
    assertThat(tokens.usable("aa", T0)).isEmpty();
    assertThat(certificates.heldKey("0d01", T0)).isEmpty();

    // The sweep: expired tokens, and keys whose hold ended.
    certificates.recordPending(
        pending("0d02"), null, new dev.grpca.server.store.Upkeep(key, null, null, null));
    assertThat(tokens.sweep(T0.plusSeconds(301), T0.plusSeconds(3601), 500)).isEqualTo(3);
    assertThat(tokens.usable("bb", T0)).isEmpty();
    assertThat(certificates.heldKey("0d02", T0)).isEmpty();
  }

  @Test
  void aPageByLabelIsReadFromTheLabelIndexAlone() {
    String plan =
        ((JooqCertificateStore) database.certificates())
            .labelPagePlan(labelled(Map.of("team", "payments"), null, null))
            .toLowerCase(java.util.Locale.ROOT);
    assertThat(plan).contains("certificate_label_listed");
    // No certificate row is read for the page: only the label table appears in the plan.
    assertThat(plan).doesNotContainPattern("\\bcertificate\\b");
  }

  private static CertificateQuery labelled(
      Map<String, String> labels, Standing standing, CertificateQuery.Cursor after) {
    return new CertificateQuery(
        null, null, null, labels, null, null, standing, null, null, T0, after);
  }

  private static CertificateQuery query(String namePrefix) {
    return new CertificateQuery(
        namePrefix, null, null, null, null, null, null, null, null, T0, null);
  }

  private static PendingCertificate pending(String serial) {
    return pending(serial, T0);
  }

  private static PendingCertificate pending(String serial, Instant recordedAt) {
    return new PendingCertificate(
        serial,
        "issuing",
        "default",
        "CN=b.example.com",
        "b.example.com",
        "EC P-256",
        T0,
        T0.plusSeconds(86400),
        List.of("b.example.com", "a.example.com"),
        List.of("10.0.0.1", "::1"),
        List.of("ops@example.com"),
        List.of("spiffe://example.org/ns/a/sa/b"),
        Map.of("entity", "backend/1"),
        new byte[] {0x30, 0x00},
        "admin",
        recordedAt,
        null);
  }
}
