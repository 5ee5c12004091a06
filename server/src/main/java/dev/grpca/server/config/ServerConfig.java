package dev.grpca.server.config;

import dev.grpca.server.authority.AuthoritySpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The server's configuration, defaults filled in and validated ({@link ServerConfigs#load}). */
public record ServerConfig(
    Path dataDir,
    Grpc grpc,
    Hsm hsm,
    Database database,
    Path adminTokenFile,
    AuthoritySpec root,
    AuthoritySpec intermediate,
    List<dev.grpca.proto.v1.Profile> profiles,
    Http http,
    Crl crl,
    Ocsp ocsp,
    List<RateLimit> rateLimits,
    Metrics metrics,
    String logFormat,
    Duration requestIdWindow,
    Tidy tidy,
    Download download,
    Duration eventRetention) {

  /**
   * The one-time download: how long a token is good for, and how long the CA holds the key of a
   * certificate issued for download while nobody fetches it.
   */
  public record Download(Duration tokenLifetime, Duration keyHold) {}

  /**
   * Tidy: expired certificates kept for {@code buffer} past notAfter, removed every {@code
   * interval}.
   */
  public record Tidy(boolean enabled, Duration buffer, Duration interval) {}

  /**
   * Certificates per interval for a principal ("*": each on its own; null: anyone) and a profile
   * (likewise).
   */
  public record RateLimit(String principal, String profile, int certificates, Duration per) {}

  /**
   * OCSP responses. {@code signerLifetime} is the lifetime of each delegated signing certificate
   * ({@code delegated}); without delegation the CA key signs.
   */
  public record Ocsp(
      Duration validity,
      Duration cacheMaxAge,
      boolean delegated,
      Duration signerLifetime,
      boolean echoNonce,
      int perRequestAnswersPerMinute) {}

  /**
   * Metrics. {@code port} 0: /metrics is on the sidecar; otherwise on its own listener at {@code
   * host}:{@code port}.
   */
  public record Metrics(boolean enabled, String host, int port, boolean jmx) {
    /** Whether /metrics has a listener of its own. */
    public boolean ownListener() {
      return port != 0;
    }
  }

  /** CRL publishing. */
  public record Crl(Duration validity, Duration debounce) {}

  /** The plain-HTTP sidecar for TLS stacks and probes. */
  public record Http(String host, int port, String publicBaseUrl) {}

  /** The gRPC listener. */
  public record Grpc(
      String host,
      int port,
      List<String> tlsHostNames,
      int maxInboundMessageBytes,
      Duration tlsCertificateLifetime,
      boolean plaintext,
      List<Path> clientCaFiles) {
    public Grpc {
      tlsHostNames = List.copyOf(tlsHostNames);
      clientCaFiles = List.copyOf(clientCaFiles);
    }
  }

  /** The PKCS#11 token. The PIN itself is never part of the configuration. */
  public record Hsm(Path pkcs11Config, Path pinFile) {}

  /**
   * The database. The password itself is never part of the configuration: it comes from {@link
   * #PASSWORD_VARIABLE} or the password file.
   */
  public record Database(String jdbcUrl, String user, Path passwordFile) {
    /** The environment variable that holds the database password (before the file). */
    public static final String PASSWORD_VARIABLE = "GRPCA_DB_PASSWORD";
  }

  public ServerConfig {
    profiles = List.copyOf(profiles);
    rateLimits = List.copyOf(rateLimits);
  }

  /** The same configuration listening elsewhere; port 0 lets the OS choose (tests, bench). */
  public ServerConfig withListener(String host, int port) {
    Grpc listener =
        new Grpc(
            host,
            port,
            grpc.tlsHostNames(),
            grpc.maxInboundMessageBytes(),
            grpc.tlsCertificateLifetime(),
            grpc.plaintext(),
            grpc.clientCaFiles());
    return new ServerConfig(
        dataDir,
        listener,
        hsm,
        database,
        adminTokenFile,
        root,
        intermediate,
        profiles,
        http,
        crl,
        ocsp,
        rateLimits,
        metrics,
        logFormat,
        requestIdWindow,
        tidy,
        download,
        eventRetention);
  }

  /** The same configuration with the HTTP sidecar elsewhere; port 0 lets the OS choose. */
  public ServerConfig withHttp(String host, int port) {
    return new ServerConfig(
        dataDir,
        grpc,
        hsm,
        database,
        adminTokenFile,
        root,
        intermediate,
        profiles,
        new Http(host, port, "http://" + host + ":" + port),
        crl,
        ocsp,
        rateLimits,
        metrics,
        logFormat,
        requestIdWindow,
        tidy,
        download,
        eventRetention);
  }

  /** Where the server writes the files a developer needs: the root, the chain. */
  public Path devDir() {
    return dataDir.resolve("dev");
  }
}
