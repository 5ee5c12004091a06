package dev.grpca.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Fills the server's database (server stopped) with revoked certificates, as a CA that has issued
 * and revoked that many would have them: rows of state ISSUED with a revocation time and reason,
 * unexpired, under the default issuing authority, each carrying a real certificate's PEM and TBS
 * (the bench's own leaf, so rows have the real size), each named after its common name ({@code
 * host-N.bench.example}) as a resource. Signing a million certificates through the token would take
 * the better part of an hour; the CRL and start-up only read these rows.
 *
 * <p>The rows are made by H2 itself ({@code INSERT ... SELECT} over {@code SYSTEM_RANGE}, 20k rows
 * per statement), against 3k/s for batched JDBC inserts. They are issued in order, as a CA issues
 * them, so the time indexes grow at their end: 12k rows/s, against 5.6k/s with random times (300k
 * rows). The serial numbers stay random. Then the file is compacted ({@code SHUTDOWN COMPACT}): H2
 * leaves a bulk load's file about seven times larger than its data (2.1 GB for 300k rows, 330 MB
 * compacted), which is the loader's doing, not the server's.
 */
final class RevokedRows {
  private static final int CHUNK = 20_000;

  /** The columns both engines fill, and the first of the values each one's SELECT gives. */
  private static final String INSERT_SELECT =
      "INSERT INTO certificate (serial_number, authority_id, profile, state, subject,"
          + " common_name, public_key_algorithm, not_before, not_after, tbs_certificate,"
          + " certificate_pem, sha256_fingerprint, requested_by, create_time, issue_time,"
          + " name, revocation_time, revocation_reason)"
          + " SELECT s, ?, 'default', 'ISSUED', 'CN=' || n, n, 'EC P-256', t,";

  /**
   * The reason from a random {@code r}: unspecified (no reason extension) 40%; keyCompromise,
   * superseded and cessationOfOperation 20% each.
   */
  private static final String REASON =
      " CASE WHEN r < 0.4 THEN 0 WHEN r < 0.6 THEN 1 WHEN r < 0.8 THEN 4 ELSE 5 END";

  private RevokedRows() {}

  /**
   * Runs {@code insert} (parameters: authority, TBS, PEM, first and last row number) over rows
   * {@code first} to {@code first + count - 1}, {@code chunk} rows a statement.
   */
  private static void inChunks(
      PreparedStatement insert,
      int chunk,
      String authority,
      String tbsBase64,
      String pem,
      long first,
      long count)
      throws SQLException {
    for (long from = first; from < first + count; from += chunk) {
      insert.setString(1, authority);
      insert.setString(2, tbsBase64);
      insert.setString(3, pem);
      insert.setLong(4, from);
      insert.setLong(5, Math.min(first + count, from + chunk) - 1);
      insert.executeUpdate();
    }
  }

  /** Adds {@code count} rows numbered from {@code first}. */
  static void add(String jdbcUrl, long count, long first, String pem, String tbsBase64)
      throws SQLException {
    // Loading test data needs no commit-by-commit durability: H2's default write delay is faster.
    String bulkUrl = jdbcUrl.replace(";WRITE_DELAY=0", "");
    try (Connection db = DriverManager.getConnection(bulkUrl, "grpca", "")) {
      String authority = defaultAuthority(db);
      try (PreparedStatement insert =
          db.prepareStatement(
              INSERT_SELECT
                  + " DATEADD(DAY, 90, t), ?, ?, s || s, 'bench', t, t, n,"
                  + " DATEADD(SECOND, 1 + RAND() * 86400, t),"
                  + REASON
                  // 122 random bits (a version 4 UUID) as 32 hex digits: unique in practice
                  + " FROM (SELECT REPLACE(CAST(RANDOM_UUID() AS VARCHAR), '-', '') s,"
                  + " 'host-' || X || '.bench.example' n, RAND() r,"
                  // issued in order, one every 5 s from 60 days ago (row 1M: 2 days ago)
                  + " DATEADD(SECOND, X * 5 - 86400 * 60, CURRENT_TIMESTAMP(0)) t"
                  + " FROM SYSTEM_RANGE(?, ?))")) {
        inChunks(insert, CHUNK, authority, tbsBase64, pem, first, count);
      }
      try (Statement compact = db.createStatement()) {
        compact.execute("SHUTDOWN COMPACT");
      }
    }
  }

  /**
   * The same rows on PostgreSQL, made by the server itself over {@code generate_series} (50k rows
   * per statement, each committed); {@link BenchPostgres#settle} then does what autovacuum and the
   * checkpointer would do soon after.
   */
  static void addPostgres(
      String jdbcUrl,
      String user,
      String password,
      long count,
      long first,
      String pem,
      String tbsBase64)
      throws SQLException {
    try (Connection db = DriverManager.getConnection(jdbcUrl, user, password)) {
      String authority = defaultAuthority(db);
      try (PreparedStatement insert =
          db.prepareStatement(
              INSERT_SELECT
                  + " t + INTERVAL '90 days', ?, ?, s || s, 'bench', t, t, n,"
                  + " t + (1 + random() * 86400) * INTERVAL '1 second',"
                  + REASON
                  + " FROM (SELECT replace(gen_random_uuid()::text, '-', '') s,"
                  + " 'host-' || x || '.bench.example' n, random() r,"
                  + " date_trunc('second', now()) + (x * 5 - 86400 * 60) * INTERVAL '1 second' t"
                  + " FROM generate_series(?::bigint, ?::bigint) x) g")) {
        inChunks(insert, 2 * CHUNK, authority, tbsBase64, pem, first, count);
      }
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
