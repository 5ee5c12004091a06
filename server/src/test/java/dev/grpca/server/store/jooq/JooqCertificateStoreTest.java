package dev.grpca.server.store.jooq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.store.StoredCertificate;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificate store on a real H2 file database, migrated by Flyway. */
class JooqCertificateStoreTest {
  private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

  @TempDir Path dir;
  private Database database;

  @BeforeEach
  void open() {
    database = Database.open(url(), "grpca", "");
    database
        .authorities()
        .insert(new StoredAuthority("issuing", null, "grpca-issuing", "PEM", true, T0));
  }

  @AfterEach
  void close() {
    database.close();
  }

  private String url() {
    return ServerConfigs.defaultJdbcUrl(dir);
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
  void whatWasStoredIsThereAfterTheDatabaseIsClosedAndReopened() {
    database.certificates().recordPending(pending("cafe"));
    database.certificates().markIssued("cafe", "PEM", "00", T0);
    database.close();

    database = Database.open(url(), "grpca", "");
    assertThat(database.certificates().find("cafe").orElseThrow().state())
        .isEqualTo(CertificateState.ISSUED);
    assertThat(database.authorities().find("issuing").orElseThrow().keyLabel())
        .isEqualTo("grpca-issuing");
  }

  @Test
  void anUnknownSerialIsEmpty() {
    assertThat(database.certificates().find("123")).isEmpty();
  }

  private static PendingCertificate pending(String serial) {
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
        T0,
        null);
  }
}
