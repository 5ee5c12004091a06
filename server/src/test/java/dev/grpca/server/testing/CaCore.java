package dev.grpca.server.testing;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.authority.AuthoritySpec;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.issuance.CertificateQueries;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.IssuedCertificate;
import dev.grpca.server.issuance.RequestIds;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.policy.BuiltInProfiles;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.policy.ProfileCatalog;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.jooq.Database;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SubjectFields;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The CA's domain objects built as Main builds them, without gRPC or HTTP: a real H2 database in
 * {@code dir}, the real SoftHSM token behind a {@link WatchedToken} (so a test sees every
 * signature), the certificate factory, a root and an issuing CA, the built-in profiles and the
 * issuance service.
 */
public final class CaCore implements AutoCloseable {
  public static final IssuerUrls URLS = new IssuerUrls("http://127.0.0.1:8080");

  public final Clock clock;

  /** The database's URL, for a test's own connections ({@link Engine#connect}). */
  public final String url;

  public final Engine engine = Engine.current();

  /** What this core's parts record (tests read it back). */
  public final Metrics metrics = Metrics.create();

  public final Database database;
  public final WatchedToken token;
  public final CertificateFactory factory;
  public final Authorities authorities;
  public final ProfileCatalog profiles;
  public final IssuanceService issuance;
  public final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  public CaCore(Path dir, Clock clock) {
    this(dir, clock, () -> AuditCall.INTERNAL);
  }

  /** The same, with audit records learning the caller from {@code auditCalls}. */
  public CaCore(Path dir, Clock clock, Supplier<AuditCall> auditCalls) {
    this.clock = clock;
    url = engine.freshUrl(dir);
    database = Database.open(url, engine.user(), engine.password(), auditCalls, metrics);
    token = new WatchedToken(SoftHsm.open(), database, () -> engine.connect(url));
    factory =
        new CertificateFactory(
            database.certificates(),
            new SerialNumbers(new SecureRandom()),
            new BouncyCastleProvider(),
            clock,
            metrics);
    String suffix = SoftHsm.uniqueLabel("core");
    authorities =
        bootstrap()
            .ensure(
                new AuthoritySpec(
                    "root-" + suffix, "CN=Core Root", KeyAlgorithm.EC_P384, Duration.ofDays(3650)),
                new AuthoritySpec(
                    "issuing-" + suffix,
                    "CN=Core Issuing CA",
                    KeyAlgorithm.EC_P256,
                    Duration.ofDays(1000)));
    profiles = new ProfileCatalog(database.profiles(), authorities::contains, clock);
    profiles.declare(BuiltInProfiles.all());
    issuance =
        new IssuanceService(
            profiles,
            authorities,
            new IssuancePolicy(),
            new CertificateQueries(database.certificates(), clock),
            factory,
            new SecureRandom(),
            new BouncyCastleProvider(),
            URLS,
            clock,
            metrics,
            new RequestIds(database.certificates(), clock, RequestIds.DEFAULT_WINDOW),
            IssuanceService.KeyCarrier.NONE);
  }

  /** Finds or creates CAs in this core's database and token. */
  public AuthorityBootstrap bootstrap() {
    return new AuthorityBootstrap(
        token,
        database.authorities(),
        factory,
        URLS,
        clock,
        AuthorityBootstrap.OneAtATime.IN_THIS_PROCESS);
  }

  /** The id of the root. */
  public String rootId() {
    return authorities.all().stream()
        .filter(a -> a.chain().size() == 1)
        .findFirst()
        .orElseThrow()
        .id();
  }

  /** Issue under the default profile: an EC P-256 leaf for {@code dnsName}. */
  public IssuedCertificate issue(String dnsName, Map<String, String> labels) {
    return issuance
        .issue(
            new IssuanceRequest(
                "default",
                new SubjectFields(dnsName, "", "", "", "", "", ""),
                List.of(dnsName),
                List.of(),
                List.of(),
                List.of(),
                null,
                labels,
                false,
                "tester"),
            KeyAlgorithm.EC_P256)
        .certificate();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    database.close();
  }
}
