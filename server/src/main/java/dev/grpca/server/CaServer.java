package dev.grpca.server;

import dev.grpca.server.access.AccessControl;
import dev.grpca.server.access.RateLimiter;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.AuthorityAdmin;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.grpc.AdminToken;
import dev.grpca.server.grpc.GrpcServer;
import dev.grpca.server.grpc.ServerTlsIdentity;
import dev.grpca.server.http.HttpSidecar;
import dev.grpca.server.issuance.AutoRenewal;
import dev.grpca.server.issuance.CertificateQueries;
import dev.grpca.server.issuance.Downloads;
import dev.grpca.server.issuance.Importer;
import dev.grpca.server.issuance.Inventory;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.RequestIds;
import dev.grpca.server.issuance.SubordinateSigning;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.MetricsServer;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.policy.ProfileCatalog;
import dev.grpca.server.revocation.CrlPublisher;
import dev.grpca.server.revocation.CrlWriter;
import dev.grpca.server.revocation.OcspResponder;
import dev.grpca.server.revocation.RevocationService;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.watch.EventFeed;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CA mode: the CAs (created on the first start), issuance and its policy, revocation with CRLs and
 * OCSP, the gRPC services with TLS, and the HTTP sidecar.
 */
public final class CaServer extends Serving {
  private static final Logger log = LoggerFactory.getLogger(CaServer.class);

  private final ServerConfig config;
  private final GrpcServer grpc;
  private final ServerTlsIdentity tls;
  private final CrlPublisher crls;
  private final MetricsServer metrics;

  private final Downloads downloads;
  private final AutoRenewal autoRenewal;
  private final EventFeed events;

  private CaServer(
      ServerConfig config,
      GrpcServer grpc,
      HttpSidecar http,
      Authorities authorities,
      ServerTlsIdentity tls,
      CrlPublisher crls,
      OcspResponder ocsp,
      MetricsServer metrics,
      Downloads downloads,
      AutoRenewal autoRenewal,
      EventFeed events,
      Opened opened) {
    super(http, authorities, ocsp, opened);
    this.events = events;
    this.metrics = metrics;
    this.downloads = downloads;
    this.autoRenewal = autoRenewal;
    this.config = config;
    this.grpc = grpc;
    this.tls = tls;
    this.crls = crls;
  }

  static CaServer start(Core core, Opened opened) throws IOException {
    ServerConfig config = core.config;
    byte[] adminToken = AdminToken.loadOrCreateSha256(config.adminTokenFile(), core.random);
    AccessControl access = new AccessControl(core.database.access(), core.random, core.clock);
    access.ensureAdmin(adminToken);

    // Replicas started together on an empty database: one creates the CA, the others find it.
    Authorities authorities =
        core.holding(
            "authority-bootstrap",
            () -> core.bootstrap().ensure(config.root(), config.intermediate()));
    writeDevFiles(config, authorities);
    authorities.whenDefaultMoved(
        moved -> {
          try {
            writeDevFiles(config, authorities);
          } catch (IOException e) {
            log.warn("could not rewrite {} for the new default issuer", config.devDir(), e);
          }
        });

    CrlPublisher crls =
        new CrlPublisher(
                authorities,
                core.database.crls(),
                new CrlWriter(core.database.crls(), core.bouncyCastle),
                core.urls,
                core.clock,
                config.crl().validity(),
                config.crl().debounce(),
                core.metrics)
            .onlyWhile(core.lease("crl-publisher"))
            .start(core.scheduler);
    // Rows a stopped process left PENDING (it crashed between recording and storing) are failed.
    core.factory.sweep(core.scheduler);
    ProfileCatalog profiles =
        new ProfileCatalog(core.database.profiles(), authorities::contains, core.clock);
    profiles.declare(config.profiles());
    CertificateStore certificates = core.database.certificates();
    CertificateQueries queries = new CertificateQueries(certificates, core.clock);
    RequestIds requestIds =
        new RequestIds(certificates, core.clock, config.requestIdWindow())
            .sweepEvery(core.scheduler, Duration.ofMinutes(10));
    OcspResponder ocsp = core.ocspResponder(authorities);
    Downloads downloads =
        new Downloads(
                certificates,
                core.database.downloads(),
                authorities,
                Importer.sealerOf(core.token),
                core.token::open,
                core.random,
                core.clock,
                config.download().tokenLifetime(),
                config.download().keyHold(),
                config.http().publicBaseUrl())
            .sweepEvery(core.scheduler, Duration.ofMinutes(10));
    IssuanceService issuance =
        new IssuanceService(
            profiles,
            authorities,
            new IssuancePolicy(),
            queries,
            core.factory,
            core.random,
            core.bouncyCastle,
            core.urls,
            core.clock,
            core.metrics,
            requestIds,
            downloads.carrier());
    ServerTlsIdentity tls =
        new ServerTlsIdentity(
                issuance,
                config.grpc().tlsHostNames(),
                config.grpc().tlsCertificateLifetime(),
                core.clock)
            .start(core.scheduler, authorities);
    core.metrics.gauge(
        MetricNames.TLS_EXPIRY, () -> core.secondsUntil(tls.current().getNotAfter().toInstant()));
    // Watch streams: read every 500 ms, and at once after a revocation here or on another replica.
    EventFeed events =
        opened.add(
            EventFeed.start(
                    core.database.events(),
                    core.database.certificates()::find,
                    Duration.ofMillis(500),
                    config.eventRetention())
                .forgetEvery(core.scheduler, core.clock, Duration.ofMinutes(10)));
    // A CA made, activated or disabled on another replica is known here within a poll.
    events.watch(events.position(), new AuthorityChanges(authorities));
    // What other replicas change applies here at once (PostgreSQL's LISTEN/NOTIFY).
    core.database
        .changes()
        .subscribe(
            change -> {
              switch (change.kind()) {
                case REVOKED -> {
                  ocsp.invalidate(change.serialNumber());
                  crls.revoked(change.authorityId());
                  events.nudge();
                }
                case TOKENS, PRINCIPALS -> access.forgetCached();
                case PROFILES -> profiles.forgetCached();
                case EVERYTHING -> {
                  ocsp.forgetAll();
                  access.forgetCached();
                  profiles.forgetCached();
                }
              }
            });
    RevocationService revocation =
        new RevocationService(
            certificates,
            core.clock,
            (authority, serial) -> {
              ocsp.invalidate(serial);
              crls.revoked(authority);
              events.nudge();
            },
            core.metrics,
            requestIds);
    Inventory inventory = new Inventory(certificates, queries, requestIds, core.clock);
    if (config.tidy().enabled()) {
      inventory.tidyEvery(core.scheduler, config.tidy().interval(), config.tidy().buffer());
    }
    AutoRenewal autoRenewal =
        new AutoRenewal(certificates, issuance, core.clock, core.metrics, events::nudge)
            .every(core.scheduler, Duration.ofMinutes(1));
    AuthorityAdmin authorityAdmin =
        new AuthorityAdmin(
            authorities,
            core.database.authorities(),
            profiles::moveAuthority,
            core.bootstrap(),
            core.clock,
            made -> {
              // Its first CRL now, and trust-bundle watchers told at once.
              crls.publish(made.id());
              events.nudge();
            });
    GrpcServer grpc =
        opened.add(
            GrpcServer.start(
                config.grpc(),
                tls,
                new GrpcServer.Services(
                    access,
                    core.database.access(),
                    new RateLimiter(
                        config.rateLimits(), core.database.access(), core.clock, core.metrics),
                    issuance,
                    queries,
                    revocation,
                    inventory,
                    new Importer(
                        certificates, Importer.sealerOf(core.token), requestIds, core.clock),
                    downloads,
                    events,
                    config.tidy().buffer(),
                    authorities,
                    authorityAdmin,
                    new SubordinateSigning(
                        authorityAdmin, core.factory, core.urls, core.bouncyCastle, core.clock),
                    profiles,
                    crls,
                    core.clock,
                    core.metrics)));
    HttpSidecar http =
        opened.add(core.startHttp(authorities, crls::latest, ocsp, downloads, opened));
    log.info("grpca serving on {}:{}", config.grpc().host(), grpc.port());
    return new CaServer(
        config,
        grpc,
        http,
        authorities,
        tls,
        crls,
        ocsp,
        core.metricsServer,
        downloads,
        autoRenewal,
        events,
        opened);
  }

  /** Reloads the CAs from the database when a TRUST event says one changed. */
  private record AuthorityChanges(Authorities authorities) implements EventFeed.Watcher {
    @Override
    public boolean matches(EventFeed.Delivered event) {
      String kind = event.event().kind();
      return dev.grpca.server.store.EventStore.Event.TRUST.equals(kind)
          || dev.grpca.server.store.EventStore.Event.AUTHORITY.equals(kind);
    }

    @Override
    public boolean offer(EventFeed.Delivered event) {
      authorities.refresh();
      return true;
    }

    @Override
    public boolean closed() {
      return false;
    }
  }

  /** The gRPC port. */
  public int port() {
    return grpc.port();
  }

  /** Where /metrics is served: its own listener's port, or the sidecar's. */
  public int metricsPort() {
    return metrics == null ? httpPort() : metrics.port();
  }

  /** The one-time downloads (their sweep, for tests). */
  public Downloads downloads() {
    return downloads;
  }

  /** The auto-renewal job (to run it at once, for tests). */
  public AutoRenewal autoRenewal() {
    return autoRenewal;
  }

  /** What watch streams are told (its retention, for tests). */
  public EventFeed events() {
    return events;
  }

  /** The CRL publisher. */
  public CrlPublisher crls() {
    return crls;
  }

  /** The server's own TLS certificate and its renewal. */
  public ServerTlsIdentity tlsIdentity() {
    return tls;
  }

  @Override
  void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  @Override
  void printBanner(PrintStream out) {
    Path dev = config.devDir();
    String host = config.grpc().host().equals("127.0.0.1") ? "localhost" : config.grpc().host();
    String target = host + ":" + port();
    out.println();
    out.println("grpca is serving gRPC with TLS on " + config.grpc().host() + ":" + port());
    out.println("  root CA (trust this):  " + shown(dev.resolve("ca.pem")));
    out.println(
        "  CA chain:              "
            + shown(dev.resolve("chain.pem"))
            + "  (issuing CA, then root)");
    out.println("  admin bearer token:    " + shown(config.adminTokenFile()));
    out.println("  HSM (SunPKCS11) config: " + shown(config.hsm().pkcs11Config()));
    out.println("  database:              " + config.database().jdbcUrl());
    out.println(
        "  HTTP sidecar:          http://"
            + config.http().host()
            + ":"
            + httpPort()
            + "/v1/ca.pem");
    if (config.metrics().enabled()) {
      String at = config.metrics().ownListener() ? config.metrics().host() : config.http().host();
      out.println("  metrics (Prometheus):  http://" + at + ":" + metricsPort() + "/metrics");
    }
    out.println("Try:");
    out.println(
        "  grpcurl -cacert "
            + shown(dev.resolve("ca.pem"))
            + " -H \"authorization: Bearer $(cat "
            + shown(config.adminTokenFile())
            + ")\" "
            + target
            + " list");
    out.println("Stop with Ctrl-C.");
    out.flush();
  }

  private static String shown(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
  }

  private static void writeDevFiles(ServerConfig config, Authorities authorities)
      throws IOException {
    Path dev = config.devDir();
    Files.createDirectories(dev);
    replace(dev.resolve("ca.pem"), authorities.defaultIssuer().rootPem());
    replace(dev.resolve("chain.pem"), authorities.defaultIssuer().chainPem());
  }

  /** Writes a file whole or not at all: a reader never sees it empty or half written. */
  private static void replace(Path file, String content) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
