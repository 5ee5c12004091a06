package dev.grpca.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.SplittableRandom;

/**
 * Fills the server's database (server stopped) with revoked certificates, as a CA that has issued
 * and revoked that many would have them: rows of state ISSUED with a revocation time and reason,
 * unexpired, under the default issuing authority, each carrying a real certificate's PEM and TBS
 * (the bench's own leaf, so rows have the real size). Signing a million certificates through the
 * token would take the better part of an hour; the CRL and start-up only read these rows.
 */
final class RevokedRows {
  private static final int[] REASONS = {0, 0, 1, 4, 5};

  private RevokedRows() {}

  /** Adds {@code count} rows; returns the authority they belong to. */
  static String add(String jdbcUrl, long count, long seed, String pem, String tbsBase64)
      throws SQLException {
    // Loading test data needs no commit-by-commit durability: H2's default write delay is faster.
    String bulkUrl = jdbcUrl.replace(";WRITE_DELAY=0", "");
    try (Connection db = DriverManager.getConnection(bulkUrl, "grpca", "")) {
      db.setAutoCommit(false);
      String authority = defaultAuthority(db);
      SplittableRandom random = new SplittableRandom(seed);
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
      try (PreparedStatement insert =
          db.prepareStatement(
              "INSERT INTO certificate (serial_number, authority_id, profile, state, subject,"
                  + " common_name, public_key_algorithm, not_before, not_after, tbs_certificate,"
                  + " certificate_pem, sha256_fingerprint, requested_by, create_time, issue_time,"
                  + " revocation_time, revocation_reason)"
                  + " VALUES (?, ?, 'default', 'ISSUED', ?, ?, 'EC P-256', ?, ?, ?, ?, ?,"
                  + " 'bench', ?, ?, ?, ?)")) {
        for (long i = 0; i < count; i++) {
          // 127 random bits: unique in practice, and a positive INTEGER as RFC 5280 wants.
          String serial = String.format("%016x%016x", random.nextLong() >>> 1, random.nextLong());
          String name = "host-" + seed + "-" + i + ".bench.example";
          OffsetDateTime issued = now.minusDays(1 + random.nextInt(60));
          insert.setString(1, serial);
          insert.setString(2, authority);
          insert.setString(3, "CN=" + name);
          insert.setString(4, name);
          insert.setObject(5, issued);
          insert.setObject(6, issued.plusDays(90));
          insert.setString(7, tbsBase64);
          insert.setString(8, pem);
          insert.setString(9, serial + serial);
          insert.setObject(10, issued);
          insert.setObject(11, issued);
          insert.setObject(12, issued.plusSeconds(1 + random.nextInt(86_400)));
          insert.setInt(13, REASONS[random.nextInt(REASONS.length)]);
          insert.addBatch();
          if (i % 1000 == 999 || i == count - 1) {
            insert.executeBatch();
          }
          if (i % 20_000 == 19_999 || i == count - 1) {
            db.commit();
          }
        }
      }
      return authority;
    }
  }

  static String defaultAuthority(Connection db) throws SQLException {
    try (PreparedStatement query =
            db.prepareStatement("SELECT id FROM authority WHERE is_default = TRUE");
        ResultSet rows = query.executeQuery()) {
      if (!rows.next()) {
        throw new IllegalStateException("no default authority in the database");
      }
      return rows.getString(1);
    }
  }

  /** The revoked rows a CRL of {@code authority} lists now (what the server's query selects). */
  static void forEach(Connection db, String authority, Entry entry) throws SQLException {
    try (PreparedStatement query =
        db.prepareStatement(
            "SELECT serial_number, revocation_time, revocation_reason FROM certificate"
                + " WHERE authority_id = ? AND state = 'ISSUED' AND revocation_time IS NOT NULL"
                + " AND not_after >= ?")) {
      query.setString(1, authority);
      query.setObject(2, OffsetDateTime.now(ZoneOffset.UTC));
      query.setFetchSize(1000);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          entry.accept(
              rows.getString(1),
              rows.getObject(2, OffsetDateTime.class).toInstant(),
              rows.getInt(3));
        }
      }
    }
  }

  @FunctionalInterface
  interface Entry {
    void accept(String serialHex, Instant revoked, int reason) throws SQLException;
  }
}
