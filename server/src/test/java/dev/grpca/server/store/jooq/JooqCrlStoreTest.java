package dev.grpca.server.store.jooq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.testing.Engine;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CRLs stored in parts on each real engine (an H2 file, PostgreSQL), and the migration that
 * introduced the parts.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Engine.class)
class JooqCrlStoreTest {
  private static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");

  @Parameter Engine engine;
  @TempDir Path dir;
  private String url;

  @BeforeEach
  void fresh() {
    url = engine.freshUrl(dir);
  }

  private String url() {
    return url;
  }

  @Test
  void aCrlLargerThanOnePartIsStoredAndReadBackWhole() {
    try (Database database = opened()) {
      CrlStore crls = database.crls();
      byte[] der = new byte[2 * JooqCrlStore.PART_SIZE + 12345];
      new Random(7).nextBytes(der);
      assertThat(crls.save(crl(1, der, 1000))).isTrue();

      CrlInfo info = crls.latestInfo("issuing").orElseThrow();
      assertThat(info)
          .isEqualTo(new CrlInfo("issuing", 1, T0, T0.plusSeconds(86400), 1000, der.length));
      assertThat(crls.load(info).orElseThrow().der()).isEqualTo(der);
      assertThat(parts(1)).isEqualTo(3);
    }
  }

  @Test
  void aNumberTakenByAnotherProcessLeavesNothingBehind() {
    try (Database database = opened()) {
      CrlStore crls = database.crls();
      assertThat(crls.save(crl(1, new byte[] {1, 2, 3}, 1))).isTrue();
      byte[] other = new byte[JooqCrlStore.PART_SIZE + 1];
      assertThat(crls.save(crl(1, other, 5))).isFalse();
      assertThat(newest(crls).der()).containsExactly(1, 2, 3);
      assertThat(parts(1)).isEqualTo(1);
      assertThat(crls.nextNumber("issuing")).isEqualTo(2);
    }
  }

  @Test
  void droppedCrlsLoseTheirPartsButKeepTheNumbersGoingUp() {
    try (Database database = opened()) {
      CrlStore crls = database.crls();
      for (long n = 1; n <= 4; n++) {
        assertThat(crls.save(crl(n, new byte[] {(byte) n}, 0))).isTrue();
      }
      // Several transactions' worth of parts (a few are deleted per transaction).
      byte[] large = new byte[9 * JooqCrlStore.PART_SIZE + 1];
      assertThat(crls.save(crl(5, large, 0))).isTrue();
      assertThat(crls.save(crl(6, new byte[] {6}, 0))).isTrue();
      assertThat(parts(5)).isEqualTo(10);
      CrlInfo second = new CrlInfo("issuing", 2, T0, T0.plusSeconds(86400), 0, 1);
      crls.dropBelow("issuing", 4);
      assertThat(crls.load(second)).isEmpty();
      assertThat(parts(1) + parts(2) + parts(3)).isZero();
      assertThat(parts(4) + parts(5) + parts(6)).isEqualTo(12);
      crls.dropBelow("issuing", 6);
      assertThat(parts(4) + parts(5)).isZero();
      assertThat(newest(crls).der()).containsExactly(6);
      assertThat(crls.nextNumber("issuing")).isEqualTo(7);
    }
  }

  @Test
  void crlsStoredBeforeTheMigrationKeepTheirNumbersButCountAsNone() throws Exception {
    Flyway.configure()
        .dataSource(url(), engine.user(), engine.password())
        .locations("classpath:db/migration")
        .target("6")
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection(url(), engine.user(), engine.password())) {
      c.createStatement()
          .execute(
              "INSERT INTO authority (id, parent_id, key_label, certificate_pem, is_default,"
                  + " create_time) VALUES ('issuing', NULL, 'k', 'PEM', TRUE, CURRENT_TIMESTAMP)");
      c.createStatement()
          .execute(
              "INSERT INTO crl (authority_id, crl_number, this_update, next_update, der) VALUES"
                  + " ('issuing', 41, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '"
                  + Base64.getEncoder().encodeToString(new byte[] {9, 9})
                  + "')");
    }
    try (Database database = Database.open(url(), engine.user(), engine.password())) {
      CrlStore crls = database.crls();
      assertThat(crls.latestInfo("issuing")).isEmpty();
      assertThat(crls.nextNumber("issuing")).isEqualTo(42);
      assertThat(crls.save(crl(42, new byte[] {4, 2}, 0))).isTrue();
      crls.dropBelow("issuing", 42);
      assertThat(newest(crls).number()).isEqualTo(42);
    }
  }

  private static StoredCrl newest(CrlStore crls) {
    return crls.latestInfo("issuing").flatMap(crls::load).orElseThrow();
  }

  private Database opened() {
    Database database = Database.open(url(), engine.user(), engine.password());
    database
        .authorities()
        .insert(new StoredAuthority("issuing", null, "grpca-issuing", "PEM", true, T0));
    return database;
  }

  private static StoredCrl crl(long number, byte[] der, long entries) {
    return new StoredCrl(
        new CrlInfo("issuing", number, T0, T0.plusSeconds(86400), entries, der.length), der);
  }

  private long parts(long number) {
    try (Connection c = DriverManager.getConnection(url(), engine.user(), engine.password())) {
      var rows =
          c.createStatement()
              .executeQuery("SELECT COUNT(*) FROM crl_part WHERE crl_number = " + number);
      rows.next();
      return rows.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
