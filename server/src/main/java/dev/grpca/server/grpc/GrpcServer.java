package dev.grpca.server.grpc;

import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.server.access.AccessControl;
import dev.grpca.server.access.CertificatePermissions;
import dev.grpca.server.access.RateLimiter;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.issuance.CertificateQueries;
import dev.grpca.server.issuance.Importer;
import dev.grpca.server.issuance.Inventory;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.policy.ProfileCatalog;
import dev.grpca.server.revocation.CrlPublisher;
import dev.grpca.server.revocation.RevocationService;
import dev.grpca.server.store.AccessStore;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.netty.shaded.io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC listener: TLS with the server's own certificate, health, reflection (v1 and v1alpha),
 * bounded inbound messages, and the interceptors (access log, then auth, then error mapping).
 */
public final class GrpcServer implements AutoCloseable {
  private static final int MAX_METADATA_BYTES = 16 * 1024;

  /** RPCs that change state: each call is audited. */
  private static final Set<String> MUTATING =
      Set.of(
          CertificateServiceGrpc.getIssueMethod().getFullMethodName(),
          CertificateServiceGrpc.getSignMethod().getFullMethodName(),
          CertificateServiceGrpc.getRenewMethod().getFullMethodName(),
          CertificateServiceGrpc.getRevokeMethod().getFullMethodName(),
          CertificateServiceGrpc.getUpdateCertificateMethod().getFullMethodName(),
          CertificateServiceGrpc.getDeleteCertificatesMethod().getFullMethodName(),
          CertificateServiceGrpc.getImportCertificateMethod().getFullMethodName(),
          CertificateServiceGrpc.getCreateDownloadTokenMethod().getFullMethodName(),
          AdminServiceGrpc.getTidyMethod().getFullMethodName(),
          ProfileServiceGrpc.getCreateProfileMethod().getFullMethodName(),
          ProfileServiceGrpc.getUpdateProfileMethod().getFullMethodName(),
          ProfileServiceGrpc.getDeleteProfileMethod().getFullMethodName(),
          AdminServiceGrpc.getPutPrincipalMethod().getFullMethodName(),
          AdminServiceGrpc.getCreateTokenMethod().getFullMethodName(),
          AdminServiceGrpc.getRevokeTokenMethod().getFullMethodName(),
          AuthorityServiceGrpc.getRebuildCrlMethod().getFullMethodName());

  /** Mutating RPCs whose change is not written with its own audit record. */
  private static final Set<String> AUDITED_HERE =
      Set.of(
          AuthorityServiceGrpc.getRebuildCrlMethod().getFullMethodName(),
          // A tidy that finds nothing to remove writes no record of its own.
          AdminServiceGrpc.getTidyMethod().getFullMethodName());

  private final Server server;
  private final HealthStatusManager health;

  private GrpcServer(Server server, HealthStatusManager health) {
    this.server = server;
    this.health = health;
  }

  /** What the gRPC services serve: the domain objects of CA mode. */
  public record Services(
      AccessControl access,
      AccessStore accessStore,
      RateLimiter limits,
      IssuanceService issuance,
      CertificateQueries queries,
      RevocationService revocation,
      Inventory inventory,
      Importer importer,
      dev.grpca.server.issuance.Downloads downloads,
      dev.grpca.server.watch.EventFeed events,
      java.time.Duration tidyBuffer,
      Authorities authorities,
      dev.grpca.server.authority.AuthorityAdmin authorityAdmin,
      dev.grpca.server.issuance.SubordinateSigning subordinates,
      ProfileCatalog profiles,
      CrlPublisher crls,
      Clock clock,
      Metrics metrics) {}

  /** Builds and starts the server on TCP with TLS (or plaintext on loopback, if configured). */
  public static GrpcServer start(ServerConfig.Grpc config, ServerTlsIdentity tls, Services s)
      throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()));
    if (!config.plaintext()) {
      builder.sslContext(sslContext(tls, s.authorities(), config.clientCaFiles()));
    }
    builder
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .maxInboundMetadataSize(MAX_METADATA_BYTES);
    return serve(builder, s);
  }

  /**
   * Adds the services, health, reflection and the interceptors to {@code builder}, whatever its
   * transport, and starts it. Tests of service logic that needs no TLS give an in-process builder
   * (callers then authenticate by bearer token only).
   */
  @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl and tools still ask for it
  public static GrpcServer serve(ServerBuilder<?> builder, Services s) throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    List<BindableService> services =
        List.of(
            new CertificateGrpcService(
                s.issuance(),
                s.queries(),
                s.revocation(),
                s.inventory(),
                s.importer(),
                s.downloads(),
                s.events(),
                s.authorities(),
                new CertificatePermissions(s.profiles(), s.authorities()),
                s.limits(),
                s.clock()),
            new AuthorityGrpcService(
                s.authorities(), s.authorityAdmin(), s.subordinates(), s.crls(), s.clock()),
            new ProfileGrpcService(s.profiles()),
            new AdminGrpcService(s.access(), s.inventory(), s.tidyBuffer()));
    builder
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .addService(ProtoReflectionService.newInstance())
        // Called last-added first: metrics and the access log see every call, auth runs before
        // errors.
        .intercept(new ErrorInterceptor())
        .intercept(
            new AuthInterceptor(
                s.access(),
                serial -> s.queries().find(serial).map(c -> c.revocation() != null).orElse(false),
                s.metrics()))
        .intercept(new AccessLogInterceptor(s.accessStore(), MUTATING, AUDITED_HERE, s.clock()))
        .intercept(new MetricsInterceptor(s.metrics()));
    services.forEach(builder::addService);
    Server server = builder.build().start();
    health.setStatus("", ServingStatus.SERVING);
    for (BindableService service : services) {
      ServerServiceDefinition definition = service.bindService();
      health.setStatus(definition.getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    return new GrpcServer(server, health);
  }

  /** TLS 1.3 first, then 1.2. AEAD suites with forward secrecy only. */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  static final List<String> CIPHERS =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * The server's own certificate (renewed in place); client certificates accepted, not required
   * (Renew and mTLS principals), verified against our own CAs.
   */
  private static SslContext sslContext(
      ServerTlsIdentity tls, Authorities authorities, List<java.nio.file.Path> clientCaFiles)
      throws IOException {
    try {
      return GrpcSslContexts.configure(
              SslContextBuilder.forServer(tls.keyManager()), SslProvider.JDK)
          .trustManager(ClientCertificateTrust.of(authorities, clientCaFiles).manager())
          .clientAuth(ClientAuth.OPTIONAL)
          .protocols(PROTOCOLS)
          .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .build();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS", e);
    }
  }

  /** Who the current call is, for the audit records of the changes it makes. */
  public static java.util.function.Supplier<dev.grpca.server.store.AuditCall> auditCalls() {
    return RequestLog::auditCall;
  }

  public int port() {
    return server.getPort();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops taking calls, lets running ones finish for up to 10 s, then cuts the rest. */
  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
