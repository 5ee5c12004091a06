package dev.grpca.server.issuance;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.DownloadStore;
import dev.grpca.server.store.HeldKey;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.Pem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-time download (Prism's flow): a short-lived, single-use token for a zip of a certificate,
 * its chain and the private key the CA holds for it. The token is 256 random bits, stored only as
 * its SHA-256; the key is held sealed by a token key (AES-GCM, bound to the serial) until the zip
 * is fetched or its hold ends. Neither the token nor the key is ever logged.
 */
public final class Downloads {
  private static final Logger log = LoggerFactory.getLogger(Downloads.class);

  /** The path the sidecar serves bundles under; the token follows it. */
  public static final String PATH = "/v1/download/";

  /** 32 bytes in base64url without padding. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");

  private static final int SWEEP_BATCH = 500;

  /** Opens what {@link Importer#sealerOf} sealed. */
  @FunctionalInterface
  public interface Opener {
    byte[] open(String label, byte[] sealed, byte[] aad);
  }

  /** A link to a bundle, as Issue and CreateDownloadToken answer it. */
  public record Link(String token, String url, Instant expireTime) {}

  /** A bundle: the zip and the file name it is served as. */
  public record Bundle(String fileName, byte[] zip) {}

  private final CertificateStore certificates;
  private final DownloadStore tokens;
  private final Authorities authorities;
  private final Importer.Sealer sealer;
  private final Opener opener;
  private final SecureRandom random;
  private final Clock clock;
  private final Duration tokenLifetime;
  private final Duration keyHold;
  private final String publicBaseUrl;

  public Downloads(
      CertificateStore certificates,
      DownloadStore tokens,
      Authorities authorities,
      Importer.Sealer sealer,
      Opener opener,
      SecureRandom random,
      Clock clock,
      Duration tokenLifetime,
      Duration keyHold,
      String publicBaseUrl) {
    this.certificates = certificates;
    this.tokens = tokens;
    this.authorities = authorities;
    this.sealer = sealer;
    this.opener = opener;
    this.random = random;
    this.clock = clock;
    this.tokenLifetime = tokenLifetime;
    this.keyHold = keyHold;
    this.publicBaseUrl = publicBaseUrl;
  }

  /** Seals the key Issue made for a download, held for {@code download.key_hold}. */
  public IssuanceService.KeyHolder holder() {
    return (serial, pkcs8) ->
        new HeldKey(
            sealer.seal(pkcs8, serial.getBytes(StandardCharsets.US_ASCII)),
            clock.instant().plus(keyHold));
  }

  /**
   * Carries a key held for a download over to the certificate that renews its certificate: opened
   * and sealed again for the new serial (the seal is bound to it), held until the old hold ends.
   */
  public IssuanceService.KeyCarrier carrier() {
    return from ->
        certificates
            .heldKey(from, clock.instant())
            .filter(HeldKey::forDownload)
            .<java.util.function.Function<String, HeldKey>>map(
                held ->
                    to -> {
                      byte[] pkcs8 =
                          opener.open(
                              held.key().label(),
                              held.key().sealed(),
                              from.getBytes(StandardCharsets.US_ASCII));
                      try {
                        return new HeldKey(
                            sealer.seal(pkcs8, to.getBytes(StandardCharsets.US_ASCII)),
                            held.holdUntil());
                      } finally {
                        Arrays.fill(pkcs8, (byte) 0);
                      }
                    })
            .orElse(null);
  }

  /** Whether the CA holds a key for {@code certificate} now. */
  public boolean holds(StoredCertificate certificate) {
    return certificates.heldKey(certificate.serialNumber(), clock.instant()).isPresent();
  }

  /**
   * A new token for {@code certificate}, made by {@code principal} (whose grant the caller
   * checked): FAILED_PRECONDITION when the CA holds no key for it (never held, fetched, or its hold
   * ended).
   */
  public Link create(StoredCertificate certificate, String principal) {
    if (!holds(certificate)) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "serial_number",
          "the CA holds no private key for certificate "
              + certificate.serialNumber()
              + " (only for one issued with KEY_DELIVERY_DOWNLOAD_TOKEN, until its bundle is"
              + " fetched or download.key_hold has passed, or one imported with its key)");
    }
    Instant now = clock.instant();
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Arrays.fill(secret, (byte) 0);
    Instant expires = now.plus(tokenLifetime);
    tokens.create(
        hash(token), certificate.serialNumber(), certificate.profile(), principal, now, expires);
    return new Link(token, publicBaseUrl + PATH + token, expires);
  }

  /**
   * The bundle of {@code token}, once: empty for a malformed, unknown, expired or used token (the
   * sidecar answers each with the same 404). {@code from} is the fetcher's address, for the audit
   * record.
   */
  public Optional<Bundle> fetch(String token, String from) {
    if (!TOKEN.matcher(token).matches()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    String hash = hash(token);
    Optional<DownloadStore.Usable> usable = tokens.usable(hash, now);
    if (usable.isEmpty()) {
      return Optional.empty();
    }
    String serial = usable.get().serialNumber();
    Optional<StoredCertificate> certificate =
        certificates.find(serial).filter(StoredCertificate::inInventory);
    Optional<HeldKey> key = certificates.heldKey(serial, now);
    if (certificate.isEmpty() || key.isEmpty()) {
      return Optional.empty();
    }
    byte[] pkcs8 =
        opener.open(
            key.get().key().label(),
            key.get().key().sealed(),
            serial.getBytes(StandardCharsets.US_ASCII));
    byte[] zip;
    try {
      zip = zip(certificate.get(), pkcs8);
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
    AuditCall call =
        new AuditCall(
            "download token of " + usable.get().createdBy(), from, "GET " + PATH + "{token}", "-");
    if (!tokens.use(hash, serial, certificate.get().profile(), now, call)) {
      return Optional.empty();
    }
    String name = certificate.get().name() == null ? serial : certificate.get().name();
    return Optional.of(new Bundle(name + ".zip", zip));
  }

  /** Deletes expired tokens and keys whose hold ended, every {@code interval}. */
  public Downloads sweepEvery(ScheduledExecutorService scheduler, Duration interval) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            sweep();
          } catch (RuntimeException e) {
            log.warn("sweeping download tokens and held keys: {}", e.getMessage());
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** Deletes expired tokens and keys whose hold ended; returns how many rows went. */
  public int sweep() {
    Instant now = clock.instant();
    int total = 0;
    int gone;
    do {
      gone = tokens.sweep(now, now, SWEEP_BATCH);
      total += gone;
    } while (gone >= SWEEP_BATCH);
    return total;
  }

  /** ca.pem (the root), chain.pem (the chain up to it), cert.pem, key.pem. */
  private byte[] zip(StoredCertificate c, byte[] pkcs8) {
    String chain;
    String root;
    if (c.imported() != null) {
      chain = c.imported().chainPem() == null ? "" : c.imported().chainPem();
      root = lastCertificate(chain);
    } else {
      Authority authority = authorities.get(c.authorityId());
      chain = authority.chainPem();
      root = authority.rootPem();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      entry(zip, "ca.pem", root);
      entry(zip, "chain.pem", chain);
      entry(zip, "cert.pem", c.certificatePem());
      entry(zip, "key.pem", Pem.privateKey(pkcs8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void entry(ZipOutputStream zip, String name, String text) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(text.getBytes(StandardCharsets.US_ASCII));
    zip.closeEntry();
  }

  private static String lastCertificate(String chainPem) {
    String begin = "-----BEGIN CERTIFICATE-----";
    int at = chainPem.lastIndexOf(begin);
    return at < 0 ? "" : chainPem.substring(at);
  }

  /** The SHA-256 of the token, hex: what is stored. */
  static String hash(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
