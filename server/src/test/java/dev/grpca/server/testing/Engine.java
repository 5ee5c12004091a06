package dev.grpca.server.testing;

import dev.grpca.server.config.ServerConfigs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The database engines grpca runs on, for tests that run on each
 * ({@code @ParameterizedClass @EnumSource(Engine.class)}): the embedded H2 file of {@code make
 * run}, and a real PostgreSQL.
 */
public enum Engine {
  H2("H2") {
    @Override
    public String freshUrl(Path dir) {
      return ServerConfigs.defaultJdbcUrl(dir);
    }

    @Override
    public String user() {
      return "grpca";
    }

    @Override
    public String password() {
      return "";
    }
  },
  POSTGRES("PostgreSQL") {
    @Override
    public String freshUrl(Path dir) {
      return Postgres.freshDatabase();
    }

    @Override
    public String user() {
      return Postgres.USER;
    }

    @Override
    public String password() {
      return Postgres.PASSWORD;
    }
  };

  /** What JDBC's DatabaseMetaData calls the engine. */
  public final String productName;

  Engine(String productName) {
    this.productName = productName;
  }

  /**
   * The engine the servers and cores of this test run use: H2 unless the run says otherwise ({@code
   * -Dgrpca.test.engine=POSTGRES}, the second Surefire execution, which runs the suites that touch
   * storage again on PostgreSQL).
   */
  public static Engine current() {
    return valueOf(System.getProperty("grpca.test.engine", "H2"));
  }

  /** A connection of the test's own to the database at {@code url}. */
  public Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, user(), password());
  }

  /** The URL of a new, empty database (an H2 file under {@code dir}). */
  public abstract String freshUrl(Path dir);

  public abstract String user();

  public abstract String password();
}
