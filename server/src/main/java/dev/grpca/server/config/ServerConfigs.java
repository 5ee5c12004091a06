package dev.grpca.server.config;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.server.authority.AuthoritySpec;
import dev.grpca.server.config.proto.AuthoritySection;
import dev.grpca.server.config.proto.CrlSection;
import dev.grpca.server.config.proto.GrpcSection;
import dev.grpca.server.config.proto.HttpSection;
import dev.grpca.server.config.proto.MetricsSection;
import dev.grpca.server.config.proto.OcspSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.error.CaException;
import dev.grpca.server.policy.BuiltInProfiles;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.policy.Profile;
import dev.grpca.server.proto.ProtoTime;
import dev.grpca.server.x509.KeyAlgorithm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.RFC4519Style;

/**
 * Reads the JSON configuration file (protobuf's JSON mapping of {@code ServerConfigFile}: unknown
 * keys are refused by name), fills in defaults and validates. Every failure is an {@link
 * IllegalArgumentException} whose message names the key, the value and what was expected.
 */
public final class ServerConfigs {
  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "::1", "localhost");

  private ServerConfigs() {}

  /** Reads {@code file}; {@code null} means "no file": all defaults. */
  public static ServerConfig load(Path file) {
    ServerConfigFile.Builder builder = ServerConfigFile.newBuilder();
    if (file != null) {
      try {
        JsonFormat.parser().merge(Files.readString(file), builder);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")", e);
      }
    }
    return from(builder.build());
  }

  /** Fills in defaults and validates. */
  public static ServerConfig from(ServerConfigFile f) {
    Path dataDir = Path.of(or(f.getDataDir(), "var")).toAbsolutePath().normalize();
    Path dev = dataDir.resolve("dev");
    ServerConfig.Hsm hsm =
        new ServerConfig.Hsm(
            path(f.getHsm().getPkcs11Config(), dev.resolve("hsm/pkcs11.cfg")),
            path(f.getHsm().getPinFile(), dev.resolve("hsm/user.pin")));
    ServerConfig.Database database =
        new ServerConfig.Database(
            or(f.getDatabase().getJdbcUrl(), defaultJdbcUrl(dataDir)),
            or(f.getDatabase().getUser(), "grpca"),
            f.getDatabase().getPasswordFile().isEmpty()
                ? null
                : Path.of(f.getDatabase().getPasswordFile()));
    AuthoritySpec root =
        authority(
            "root",
            f.getRoot(),
            "root-ca",
            "CN=grpca Development Root CA,O=grpca",
            KeyAlgorithm.EC_P384,
            Duration.ofDays(3652));
    AuthoritySpec intermediate =
        authority(
            "intermediate",
            f.getIntermediate(),
            "issuing-ca",
            "CN=grpca Development Issuing CA,O=grpca",
            KeyAlgorithm.EC_P256,
            Duration.ofDays(1826));
    if (root.id().equals(intermediate.id())) {
      throw new IllegalArgumentException(
          "intermediate.id: '" + intermediate.id() + "' (expected: different from root.id)");
    }
    return new ServerConfig(
        dataDir,
        grpc(f.getGrpc()),
        hsm,
        database,
        path(f.getAuth().getAdminTokenFile(), dev.resolve("admin.token")),
        root,
        intermediate,
        profiles(f.getProfilesList()),
        http(f.getHttp()),
        crl(f.getCrl()),
        ocsp(f.getOcsp()),
        rateLimits(f.getRateLimitsList()),
        metrics(f.getMetrics()),
        logFormat(f.getLog().getFormat()),
        bounded(
            "idempotency.window",
            f.getIdempotency().hasWindow() ? f.getIdempotency().getWindow() : null,
            Duration.ofHours(24),
            Duration.ofMinutes(1),
            Duration.ofDays(30)),
        new ServerConfig.Tidy(
            !f.getTidy().getDisabled(),
            bounded(
                "tidy.buffer",
                f.getTidy().hasBuffer() ? f.getTidy().getBuffer() : null,
                Duration.ofHours(72),
                Duration.ofHours(1),
                Duration.ofDays(3650)),
            bounded(
                "tidy.interval",
                f.getTidy().hasInterval() ? f.getTidy().getInterval() : null,
                Duration.ofHours(12),
                Duration.ofMinutes(1),
                Duration.ofDays(30))),
        new ServerConfig.Download(
            bounded(
                "download.token_lifetime",
                f.getDownload().hasTokenLifetime() ? f.getDownload().getTokenLifetime() : null,
                Duration.ofMinutes(5),
                Duration.ofSeconds(10),
                Duration.ofHours(24)),
            bounded(
                "download.key_hold",
                f.getDownload().hasKeyHold() ? f.getDownload().getKeyHold() : null,
                Duration.ofHours(24),
                Duration.ofMinutes(1),
                Duration.ofDays(30))),
        bounded(
            "watch.retention",
            f.getWatch().hasRetention() ? f.getWatch().getRetention() : null,
            Duration.ofDays(7),
            Duration.ofHours(1),
            Duration.ofDays(365)));
  }

  /**
   * The embedded H2 database under {@code dataDir}. WRITE_DELAY=0 writes each commit to the file
   * before the commit returns (H2's default waits up to 500 ms), so a certificate that was returned
   * survives a crash of the process.
   */
  public static String defaultJdbcUrl(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.resolve("db/grpca") + ";WRITE_DELAY=0";
  }

  private static List<ServerConfig.RateLimit> rateLimits(
      List<dev.grpca.server.config.proto.RateLimit> limits) {
    java.util.ArrayList<ServerConfig.RateLimit> out = new java.util.ArrayList<>();
    for (int i = 0; i < limits.size(); i++) {
      var l = limits.get(i);
      String key = "rate_limits[" + i + "]";
      if (l.getCertificates() <= 0) {
        throw new IllegalArgumentException(
            key + ".certificates: " + l.getCertificates() + " (expected: >= 1)");
      }
      Duration per = l.hasPer() ? duration(key + ".per", l.getPer()) : Duration.ofHours(1);
      if (per.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            key + ".per: " + DurationText.human(per) + " (expected: >= 1s)");
      }
      if (l.getPrincipal().isEmpty() && l.getProfile().isEmpty()) {
        throw new IllegalArgumentException(
            key + ": neither principal nor profile (expected: one or both, \"*\" for each)");
      }
      out.add(
          new ServerConfig.RateLimit(
              l.getPrincipal().isEmpty() ? null : l.getPrincipal(),
              l.getProfile().isEmpty() ? null : l.getProfile(),
              l.getCertificates(),
              per));
    }
    return out;
  }

  private static ServerConfig.Ocsp ocsp(OcspSection o) {
    Duration validity =
        o.hasValidity() ? duration("ocsp.validity", o.getValidity()) : Duration.ofHours(1);
    Duration maxAge =
        o.hasCacheMaxAge()
            ? duration("ocsp.cache_max_age", o.getCacheMaxAge())
            : Duration.ofSeconds(60);
    if (validity.compareTo(Duration.ofMinutes(1)) < 0
        || validity.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException(
          "ocsp.validity: " + DurationText.human(validity) + " (expected: 1m..7d)");
    }
    if (maxAge.compareTo(validity.dividedBy(2)) > 0) {
      throw new IllegalArgumentException(
          "ocsp.cache_max_age: "
              + DurationText.human(maxAge)
              + " (expected: at most half of ocsp.validity, "
              + DurationText.human(validity.dividedBy(2))
              + ")");
    }
    Duration signerLifetime =
        o.hasSignerLifetime()
            ? duration("ocsp.signer_lifetime", o.getSignerLifetime())
            : Duration.ofDays(2);
    if (signerLifetime.compareTo(validity.multipliedBy(3)) < 0
        || signerLifetime.compareTo(Duration.ofDays(90)) > 0) {
      throw new IllegalArgumentException(
          "ocsp.signer_lifetime: "
              + DurationText.human(signerLifetime)
              + " (expected: 3x ocsp.validity ("
              + DurationText.human(validity.multipliedBy(3))
              + ") .. 90d)");
    }
    boolean delegated =
        switch (o.getSigner()) {
          case OCSP_SIGNER_UNSPECIFIED, OCSP_SIGNER_DELEGATED -> true;
          case OCSP_SIGNER_CA_KEY -> false;
          case UNRECOGNIZED ->
              throw new IllegalArgumentException(
                  "ocsp.signer: "
                      + o.getSignerValue()
                      + " (expected: OCSP_SIGNER_DELEGATED or"
                      + " OCSP_SIGNER_CA_KEY)");
        };
    int perRequest =
        o.getPerRequestAnswersPerMinute() == 0 ? 60 : o.getPerRequestAnswersPerMinute();
    if (perRequest < 0 || perRequest > 1_000_000) {
      throw new IllegalArgumentException(
          "ocsp.per_request_answers_per_minute: "
              + Integer.toUnsignedString(perRequest)
              + " (expected: 1..1000000)");
    }
    return new ServerConfig.Ocsp(
        validity, maxAge, delegated, signerLifetime, o.getEchoNonce(), perRequest);
  }

  /** {@code given} (null: {@code fallback}), refused outside {@code min..max}. */
  private static Duration bounded(
      String field,
      com.google.protobuf.Duration given,
      Duration fallback,
      Duration min,
      Duration max) {
    Duration d = given == null ? fallback : duration(field, given);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          field
              + ": "
              + DurationText.human(d)
              + " (expected: "
              + DurationText.human(min)
              + ".."
              + DurationText.human(max)
              + ")");
    }
    return d;
  }

  private static ServerConfig.Crl crl(CrlSection c) {
    Duration validity =
        c.hasValidity() ? duration("crl.validity", c.getValidity()) : Duration.ofHours(24);
    Duration debounce =
        c.hasDebounce() ? duration("crl.debounce", c.getDebounce()) : Duration.ofSeconds(5);
    if (validity.compareTo(Duration.ofMinutes(10)) < 0
        || validity.compareTo(Duration.ofDays(30)) > 0) {
      throw new IllegalArgumentException(
          "crl.validity: " + DurationText.human(validity) + " (expected: 10m..30d)");
    }
    if (debounce.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException(
          "crl.debounce: " + DurationText.human(debounce) + " (expected: <= 5m)");
    }
    return new ServerConfig.Crl(validity, debounce);
  }

  private static ServerConfig.Metrics metrics(MetricsSection m) {
    int port = m.getPort();
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "metrics.port: " + port + " (expected: 1..65535, or unset for the sidecar)");
    }
    if (port == 0 && !m.getHost().isEmpty()) {
      throw new IllegalArgumentException(
          "metrics.host: '" + m.getHost() + "' without metrics.port (expected: both, or neither)");
    }
    return new ServerConfig.Metrics(
        !m.getDisabled(), or(m.getHost(), "127.0.0.1"), port, !m.getJmxDisabled());
  }

  private static String logFormat(String format) {
    String f = or(format, "text");
    if (!f.equals("text") && !f.equals("json")) {
      throw new IllegalArgumentException("log.format: '" + format + "' (expected: text or json)");
    }
    return f;
  }

  private static ServerConfig.Http http(HttpSection h) {
    int port = h.getPort() == 0 ? 8080 : h.getPort();
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("http.port: " + port + " (expected: 1..65535)");
    }
    String host = or(h.getHost(), "127.0.0.1");
    String base = or(h.getPublicBaseUrl(), "http://" + host + ":" + port);
    if (!base.matches("http://[^/?#\\s]+(/[^?#\\s]*)?") || base.endsWith("/")) {
      throw new IllegalArgumentException(
          "http.public_base_url: '"
              + base
              + "' (expected: an http:// URL without a trailing '/', e.g. http://ca.example.com)");
    }
    return new ServerConfig.Http(host, port, base);
  }

  private static ServerConfig.Grpc grpc(GrpcSection g) {
    int port = g.getPort() == 0 ? 8443 : g.getPort();
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("grpc.port: " + port + " (expected: 1..65535)");
    }
    int maxMessage = g.getMaxInboundMessageBytes() == 0 ? 1 << 20 : g.getMaxInboundMessageBytes();
    if (maxMessage < 4096 || maxMessage > 64 << 20) {
      throw new IllegalArgumentException(
          "grpc.max_inbound_message_bytes: " + maxMessage + " (expected: 4096..67108864)");
    }
    Duration tlsLifetime =
        g.hasTlsCertificateLifetime()
            ? duration("grpc.tls_certificate_lifetime", g.getTlsCertificateLifetime())
            : Duration.ofDays(7);
    if (tlsLifetime.compareTo(Duration.ofMinutes(5)) < 0
        || tlsLifetime.compareTo(Duration.ofDays(90)) > 0) {
      throw new IllegalArgumentException(
          "grpc.tls_certificate_lifetime: "
              + DurationText.human(tlsLifetime)
              + " (expected: 5m..90d)");
    }
    String host = or(g.getHost(), "127.0.0.1");
    if (g.getPlaintext() && !LOOPBACK.contains(host)) {
      throw new IllegalArgumentException(
          "grpc.plaintext: true with grpc.host '"
              + host
              + "' (expected: plaintext only on a loopback host: 127.0.0.1, ::1 or localhost)");
    }
    List<Path> clientCas = new java.util.ArrayList<>();
    for (int i = 0; i < g.getClientCaFilesCount(); i++) {
      Path file = Path.of(g.getClientCaFiles(i));
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException(
            "grpc.client_ca_files[" + i + "]: " + file + " (expected: a readable PEM file)");
      }
      clientCas.add(file);
    }
    return new ServerConfig.Grpc(
        host, port, g.getTlsHostNamesList(), maxMessage, tlsLifetime, g.getPlaintext(), clientCas);
  }

  private static AuthoritySpec authority(
      String key,
      AuthoritySection a,
      String defaultId,
      String defaultSubject,
      KeyAlgorithm defaultKey,
      Duration defaultLifetime) {
    String id = or(a.getId(), defaultId);
    if (!id.matches("[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")) {
      throw new IllegalArgumentException(
          key + ".id: '" + id + "' (expected: lower-case letters, digits and '-', <= 64)");
    }
    String subject = or(a.getSubject(), defaultSubject);
    try {
      if (new X500Name(RFC4519Style.INSTANCE, subject).getRDNs().length == 0) {
        throw new IllegalArgumentException("empty");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          key + ".subject: '" + subject + "' (expected: an RFC 4514 DN such as CN=My CA,O=Acme)");
    }
    KeyAlgorithm algorithm =
        a.getKeyType() == KeyType.KEY_TYPE_UNSPECIFIED
            ? defaultKey
            : keyAlgorithm(key, a.getKeyType());
    if (!algorithm.isTokenSupported()) {
      throw new IllegalArgumentException(
          key + ".key_type: " + a.getKeyType() + " (expected: an RSA or EC P-256/P-384 key type)");
    }
    Duration lifetime =
        a.hasLifetime() ? duration(key + ".lifetime", a.getLifetime()) : defaultLifetime;
    if (lifetime.compareTo(Duration.ofDays(1)) < 0) {
      throw new IllegalArgumentException(
          key + ".lifetime: " + DurationText.human(lifetime) + " (expected: >= 1d)");
    }
    return new AuthoritySpec(id, subject, algorithm, lifetime);
  }

  private static List<dev.grpca.proto.v1.Profile> profiles(
      List<dev.grpca.proto.v1.Profile> declared) {
    if (declared.isEmpty()) {
      return BuiltInProfiles.all();
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < declared.size(); i++) {
      try {
        new Profile(declared.get(i));
      } catch (CaException e) {
        throw new IllegalArgumentException("profiles[" + i + "]: " + e.getMessage(), e);
      }
      if (!names.add(declared.get(i).getName())) {
        throw new IllegalArgumentException(
            "profiles[" + i + "].name: '" + declared.get(i).getName() + "' is declared twice");
      }
    }
    return declared;
  }

  /** Maps an API key type to the key algorithm; rejects unknown values. */
  public static KeyAlgorithm keyAlgorithm(String key, KeyType type) {
    switch (type) {
      case KEY_TYPE_EC_P256:
        return KeyAlgorithm.EC_P256;
      case KEY_TYPE_EC_P384:
        return KeyAlgorithm.EC_P384;
      case KEY_TYPE_RSA_2048:
        return KeyAlgorithm.RSA_2048;
      case KEY_TYPE_RSA_3072:
        return KeyAlgorithm.RSA_3072;
      case KEY_TYPE_RSA_4096:
        return KeyAlgorithm.RSA_4096;
      case KEY_TYPE_ED25519:
        return KeyAlgorithm.ED25519;
      default:
        throw new IllegalArgumentException(
            key + ".key_type: " + type + " (expected: a KEY_TYPE_*)");
    }
  }

  private static Duration duration(String key, com.google.protobuf.Duration d) {
    Duration duration = ProtoTime.duration(d);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(key + ": " + duration + " (expected: > 0)");
    }
    return duration;
  }

  private static Path path(String value, Path fallback) {
    return value.isEmpty() ? fallback : Path.of(value).toAbsolutePath().normalize();
  }

  private static String or(String value, String fallback) {
    return value.isEmpty() ? fallback : value;
  }
}
