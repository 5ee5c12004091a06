package dev.grpca.server.testing;

import dev.grpca.client.BearerToken;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.server.access.AccessControl;
import dev.grpca.server.access.RateLimiter;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.grpc.GrpcServer;
import dev.grpca.server.issuance.CertificateQueries;
import dev.grpca.server.issuance.Downloads;
import dev.grpca.server.issuance.Importer;
import dev.grpca.server.issuance.Inventory;
import dev.grpca.server.issuance.RequestIds;
import dev.grpca.server.revocation.CrlPublisher;
import dev.grpca.server.revocation.CrlWriter;
import dev.grpca.server.revocation.RevocationService;
import dev.grpca.server.store.jooq.Database;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The CA's gRPC services with their interceptors (auth, errors, access log) over an in-process
 * transport, on the real domain: a {@link CaCore} (real token, real H2). For tests of service logic
 * that needs no TLS; callers authenticate by bearer token. {@code @RegisterExtension static final
 * InProcessCa CA = new InProcessCa();}
 */
public final class InProcessCa implements BeforeAllCallback, AfterAllCallback {
  private final Clock clock;
  private Path dir;
  private CaCore core;
  private GrpcServer grpc;
  private ManagedChannel admin;
  private String token;

  /** On the system clock. */
  public InProcessCa() {
    this(Clock.systemUTC());
  }

  /** Every notion of the CA's time from {@code clock} (a {@link MutableClock}). */
  public InProcessCa(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("grpca-in-process");
    core = new CaCore(dir, clock, GrpcServer.auditCalls());
    String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    AccessControl access =
        new AccessControl(core.database.access(), new SecureRandom(), core.clock);
    access.ensureAdmin(AccessControl.sha256(token));
    CertificateQueries queries = new CertificateQueries(core.database.certificates(), core.clock);
    CrlPublisher crls =
        new CrlPublisher(
                core.authorities,
                core.database.crls(),
                new CrlWriter(core.database.crls(), new BouncyCastleProvider()),
                CaCore.URLS,
                core.clock,
                Duration.ofHours(24),
                Duration.ofSeconds(1),
                core.metrics)
            .start(core.scheduler);
    String name = "grpca-" + SoftHsm.uniqueLabel("in-process");
    var hsm = SoftHsm.open();
    var authorityAdmin =
        new dev.grpca.server.authority.AuthorityAdmin(
            core.authorities,
            core.database.authorities(),
            core.profiles::moveAuthority,
            core.bootstrap(),
            core.clock,
            made -> crls.publish(made.id()));
    grpc =
        GrpcServer.serve(
            InProcessServerBuilder.forName(name).directExecutor(),
            new GrpcServer.Services(
                access,
                core.database.access(),
                new RateLimiter(
                    ServerConfigs.load(null).rateLimits(),
                    core.database.access(),
                    core.clock,
                    core.metrics),
                core.issuance,
                queries,
                new RevocationService(
                    core.database.certificates(),
                    core.clock,
                    (authority, serial) -> crls.revoked(authority),
                    core.metrics),
                new Inventory(
                    core.database.certificates(),
                    queries,
                    new RequestIds(core.database.certificates(), core.clock, Duration.ofHours(24)),
                    core.clock),
                new Importer(
                    core.database.certificates(),
                    Importer.sealerOf(hsm),
                    new RequestIds(core.database.certificates(), core.clock, Duration.ofHours(24)),
                    core.clock),
                new Downloads(
                    core.database.certificates(),
                    core.database.downloads(),
                    core.authorities,
                    Importer.sealerOf(hsm),
                    hsm::open,
                    new SecureRandom(),
                    core.clock,
                    Duration.ofMinutes(5),
                    Duration.ofHours(24),
                    CaCore.URLS.publicBaseUrl()),
                dev.grpca.server.watch.EventFeed.start(
                    core.database.events(),
                    core.database.certificates()::find,
                    Duration.ofMillis(500),
                    Duration.ofDays(7)),
                Duration.ofHours(72),
                core.authorities,
                authorityAdmin,
                new dev.grpca.server.issuance.SubordinateSigning(
                    authorityAdmin,
                    core.factory,
                    CaCore.URLS,
                    new org.bouncycastle.jce.provider.BouncyCastleProvider(),
                    core.clock),
                core.profiles,
                crls,
                core.clock,
                core.metrics));
    admin = InProcessChannelBuilder.forName(name).directExecutor().build();
    this.token = token;
  }

  /** The database, with its real stores. */
  public Database database() {
    return core.database;
  }

  /** Rows in the certificate table. */
  public long storedCertificates() {
    return core.database.certificates().count();
  }

  public CertificateServiceGrpc.CertificateServiceBlockingStub certificates() {
    return CertificateServiceGrpc.newBlockingStub(admin)
        .withCallCredentials(new BearerToken(token))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  public ProfileServiceGrpc.ProfileServiceBlockingStub profiles() {
    return ProfileServiceGrpc.newBlockingStub(admin)
        .withCallCredentials(new BearerToken(token))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  public AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities() {
    return AuthorityServiceGrpc.newBlockingStub(admin)
        .withCallCredentials(new BearerToken(token))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    admin.shutdownNow();
    grpc.close();
    core.close();
    TestServers.delete(dir);
  }
}
