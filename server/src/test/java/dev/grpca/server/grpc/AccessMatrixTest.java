package dev.grpca.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.CreateProfileRequest;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.CreateTokenRequest;
import dev.grpca.proto.v1.DeleteProfileRequest;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.GetPrincipalRequest;
import dev.grpca.proto.v1.GetProfileRequest;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.ImportCertificateRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.ListAuditRecordsRequest;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.ListPrincipalsRequest;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.ListTokensRequest;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.proto.v1.Profile;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.proto.v1.PutPrincipalRequest;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeTokenRequest;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.TidyRequest;
import dev.grpca.proto.v1.UpdateCertificateRequest;
import dev.grpca.proto.v1.UpdateProfileRequest;
import dev.grpca.proto.v1.VerifyAuditLogRequest;
import dev.grpca.proto.v1.WatchCertificateRequest;
import dev.grpca.proto.v1.WatchCertificateResponse;
import dev.grpca.proto.v1.WatchRevocationsRequest;
import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.proto.v1.WatchTrustBundleRequest;
import dev.grpca.proto.v1.WatchTrustBundleResponse;
import dev.grpca.server.store.AccessStore;
import dev.grpca.server.store.CertificateQuery;
import dev.grpca.server.store.Standing;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Received;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every principal x every RPC x profiles A and B, over real gRPC with TLS: each cell is allowed or
 * denied exactly as the grants say, UNAUTHENTICATED told apart from PERMISSION_DENIED, and a denied
 * call changes nothing but the audit log, which gets one record for it.
 */
class AccessMatrixTest {
  private static final String A = "team-a";
  private static final String B = "team-b";
  private static final String SERVICE = "spiffe://example.org/ns/prod/sa/svc";

  static final MutableClock CLOCK = new MutableClock(Instant.now());

  @RegisterExtension static final ServerExtension SERVER = new ServerExtension().withClock(CLOCK);
  @TempDir static Path work;
  static TestServer server;
  static final Map<String, Channel> channels = new LinkedHashMap<>();
  static final List<String> tokens = new ArrayList<>();
  static String csr;
  static String selfSigned;

  /** What each principal is granted, as the test expects it to work. */
  enum Who {
    ADMIN,
    ISSUER_A,
    READER,
    SERVICE_MTLS,
    EXPIRED_TOKEN,
    REVOKED_TOKEN,
    NOBODY;

    boolean authenticated() {
      return this == ADMIN || this == ISSUER_A || this == READER || this == SERVICE_MTLS;
    }

    boolean granted(Operation op, String profile) {
      return switch (this) {
        case ADMIN -> true;
        case ISSUER_A -> op != Operation.OPERATION_ADMIN && A.equals(profile);
        case READER -> op == Operation.OPERATION_READ;
        case SERVICE_MTLS ->
            (op == Operation.OPERATION_ISSUE || op == Operation.OPERATION_READ)
                && B.equals(profile);
        default -> false;
      };
    }
  }

  static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    server = SERVER.server();
    ProfileServiceGrpc.ProfileServiceBlockingStub profiles = server.profiles();
    Profile base =
        profiles.getProfile(GetProfileRequest.newBuilder().setName("default").build()).getProfile();
    profiles.createProfile(
        CreateProfileRequest.newBuilder().setProfile(base.toBuilder().setName(A)).build());
    profiles.createProfile(
        CreateProfileRequest.newBuilder().setProfile(base.toBuilder().setName(B)).build());
    AdminServiceGrpc.AdminServiceBlockingStub admin = admin(server.channel(server.adminToken()));
    put(admin, "issuer-a", false, grant(List.of(A), all()));
    put(admin, "reader", false, grant(List.of("*"), List.of(Operation.OPERATION_READ)));
    put(
        admin,
        SERVICE,
        false,
        grant(List.of(B), List.of(Operation.OPERATION_ISSUE, Operation.OPERATION_READ)));
    put(admin, "expiring", true, grant(List.of("*"), all()));
    put(admin, "revoked", true, grant(List.of("*"), all()));

    channels.put(Who.ADMIN.name(), server.channel(token(admin, "admin", null)));
    channels.put(Who.ISSUER_A.name(), server.channel(token(admin, "issuer-a", null)));
    channels.put(Who.READER.name(), server.channel(token(admin, "reader", null)));
    channels.put(Who.SERVICE_MTLS.name(), mtls());
    String expiring = token(admin, "expiring", 1L);
    String revoked = token(admin, "revoked", null);
    String revokedId =
        admin
            .listTokens(ListTokensRequest.newBuilder().setPrincipal("revoked").build())
            .getTokens(0)
            .getId();
    admin.revokeToken(RevokeTokenRequest.newBuilder().setId(revokedId).build());
    channels.put(Who.EXPIRED_TOKEN.name(), server.channel(expiring));
    channels.put(Who.REVOKED_TOKEN.name(), server.channel(revoked));
    channels.put(Who.NOBODY.name(), server.channel(null));
    CLOCK.advance(Duration.ofSeconds(2)); // the expiring token's second runs out

    Tools.openssl(
            work,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "elsewhere.key",
            "-out",
            "elsewhere.pem",
            "-subj",
            "/CN=elsewhere.example",
            "-days",
            "30",
            "-addext",
            "subjectAltName=DNS:elsewhere.example")
        .requireSuccess();
    selfSigned = java.nio.file.Files.readString(work.resolve("elsewhere.pem"));
    csr =
        Tools.p256Csr(
            work,
            "k.pem",
            "/CN=signed.example.com",
            "-addext",
            "subjectAltName=DNS:signed.example.com");
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  /** One RPC of the matrix: what it needs, and how to call it with a profile. */
  record Rpc(String name, Operation needs, boolean perProfile, Function<Call, Object> call) {}

  /** What an RPC gets to work with: the caller's channel and a fresh target of the profile. */
  record Call(Channel channel, String profile, String serial) {}

  static List<Rpc> rpcs() {
    List<Rpc> rpcs = new ArrayList<>();
    rpcs.add(
        new Rpc(
            "Issue",
            Operation.OPERATION_ISSUE,
            true,
            c ->
                certs(c)
                    .issue(
                        IssueRequest.newBuilder()
                            .setProfile(c.profile())
                            .addDnsNames("m.example.com")
                            .build())));
    rpcs.add(
        new Rpc(
            "Sign",
            Operation.OPERATION_SIGN,
            true,
            c ->
                certs(c)
                    .sign(
                        SignRequest.newBuilder().setProfile(c.profile()).setCsrPem(csr).build())));
    rpcs.add(
        new Rpc(
            "Renew",
            Operation.OPERATION_RENEW,
            true,
            c -> certs(c).renew(RenewRequest.newBuilder().setSerialNumber(c.serial()).build())));
    rpcs.add(
        new Rpc(
            "Revoke",
            Operation.OPERATION_REVOKE,
            true,
            c ->
                certs(c)
                    .revoke(
                        Requests.revoke(
                            c.serial(), RevocationReason.REVOCATION_REASON_SUPERSEDED))));
    rpcs.add(
        new Rpc(
            "Status",
            Operation.OPERATION_UNSPECIFIED,
            true,
            c -> certs(c).status(StatusRequest.newBuilder().addSerialNumbers(c.serial()).build())));
    rpcs.add(
        new Rpc(
            "Get",
            Operation.OPERATION_READ,
            true,
            c -> certs(c).get(GetRequest.newBuilder().setSerialNumber(c.serial()).build())));
    rpcs.add(
        new Rpc(
            "List",
            Operation.OPERATION_READ,
            true,
            c -> certs(c).list(ListRequest.newBuilder().setProfile(c.profile()).build())));
    rpcs.add(
        new Rpc(
            "UpdateCertificate",
            Operation.OPERATION_UPDATE,
            true,
            c ->
                certs(c)
                    .updateCertificate(
                        UpdateCertificateRequest.newBuilder()
                            .setSerialNumber(c.serial())
                            .putLabels("entity", "backend/7")
                            .setUpdateMask(
                                com.google.protobuf.FieldMask.newBuilder().addPaths("labels"))
                            .build())));
    rpcs.add(
        new Rpc(
            "ImportCertificate",
            Operation.OPERATION_IMPORT,
            false,
            c ->
                certs(c)
                    .importCertificate(
                        ImportCertificateRequest.newBuilder()
                            .setCertificatePem(selfSigned)
                            .build())));
    rpcs.add(
        new Rpc(
            "WatchCertificate",
            Operation.OPERATION_READ,
            true,
            c ->
                watched(
                    (Received<WatchCertificateRequest, WatchCertificateResponse> r) ->
                        CertificateServiceGrpc.newStub(c.channel())
                            .watchCertificate(
                                WatchCertificateRequest.newBuilder()
                                    .setSerialNumber(c.serial())
                                    .build(),
                                r))));
    rpcs.add(
        new Rpc(
            "WatchRevocations",
            Operation.OPERATION_UNSPECIFIED,
            false,
            c ->
                watched(
                    (Received<WatchRevocationsRequest, WatchRevocationsResponse> r) ->
                        CertificateServiceGrpc.newStub(c.channel())
                            .watchRevocations(WatchRevocationsRequest.getDefaultInstance(), r))));
    rpcs.add(
        new Rpc(
            "WatchTrustBundle",
            Operation.OPERATION_UNSPECIFIED,
            false,
            c ->
                watched(
                    (Received<WatchTrustBundleRequest, WatchTrustBundleResponse> r) ->
                        CertificateServiceGrpc.newStub(c.channel())
                            .watchTrustBundle(WatchTrustBundleRequest.getDefaultInstance(), r))));
    rpcs.add(
        new Rpc(
            "Tidy",
            Operation.OPERATION_ADMIN,
            false,
            c -> admin(c.channel()).tidy(TidyRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "GetProfile",
            Operation.OPERATION_READ,
            true,
            c ->
                ProfileServiceGrpc.newBlockingStub(c.channel())
                    .getProfile(GetProfileRequest.newBuilder().setName(c.profile()).build())));
    rpcs.add(
        new Rpc(
            "UpdateProfile",
            Operation.OPERATION_ADMIN,
            true,
            c ->
                ProfileServiceGrpc.newBlockingStub(c.channel())
                    .updateProfile(
                        UpdateProfileRequest.newBuilder()
                            .setProfile(
                                Profile.newBuilder()
                                    .setName(c.profile())
                                    .setDefaultLifetime(
                                        com.google.protobuf.Duration.newBuilder()
                                            .setSeconds(86400)))
                            .setUpdateMask(
                                com.google.protobuf.FieldMask.newBuilder()
                                    .addPaths("default_lifetime"))
                            .build())));
    rpcs.add(
        new Rpc(
            "CreateAndDeleteProfile",
            Operation.OPERATION_ADMIN,
            false,
            c -> {
              var p = ProfileServiceGrpc.newBlockingStub(c.channel());
              String name = "tmp-" + System.nanoTime();
              p.createProfile(Profiles.create(Profiles.anyNameServer(name)));
              return p.deleteProfile(DeleteProfileRequest.newBuilder().setName(name).build());
            }));
    rpcs.add(new Rpc("ListAll", null, false, c -> certs(c).list(ListRequest.newBuilder().build())));
    rpcs.add(
        new Rpc(
            "GetCaChain",
            Operation.OPERATION_UNSPECIFIED,
            false,
            c ->
                AuthorityServiceGrpc.newBlockingStub(c.channel())
                    .getCaChain(GetCaChainRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "GetCrl",
            Operation.OPERATION_UNSPECIFIED,
            false,
            c ->
                AuthorityServiceGrpc.newBlockingStub(c.channel())
                    .getCrl(GetCrlRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "ListAuthorities",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                AuthorityServiceGrpc.newBlockingStub(c.channel())
                    .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "CreateRoot",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                AuthorityServiceGrpc.newBlockingStub(c.channel())
                    .createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("matrix-" + System.nanoTime())
                            .setSubject("CN=Matrix Root")
                            .build())));
    rpcs.add(
        new Rpc(
            "RebuildCrl",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                AuthorityServiceGrpc.newBlockingStub(c.channel())
                    .rebuildCrl(RebuildCrlRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "ListPrincipals",
            Operation.OPERATION_ADMIN,
            false,
            c -> admin(c.channel()).listPrincipals(ListPrincipalsRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "PutPrincipal",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                admin(c.channel())
                    .putPrincipal(
                        PutPrincipalRequest.newBuilder()
                            .setPrincipal(
                                Principal.newBuilder().setName("new-" + System.nanoTime()))
                            .build())));
    rpcs.add(
        new Rpc(
            "CreateToken",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                admin(c.channel())
                    .createToken(CreateTokenRequest.newBuilder().setPrincipal("reader").build())));
    rpcs.add(
        new Rpc(
            "ListAuditRecords",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                admin(c.channel()).listAuditRecords(ListAuditRecordsRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "VerifyAuditLog",
            Operation.OPERATION_ADMIN,
            false,
            c -> admin(c.channel()).verifyAuditLog(VerifyAuditLogRequest.getDefaultInstance())));
    rpcs.add(
        new Rpc(
            "ListTokens",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                admin(c.channel())
                    .listTokens(ListTokensRequest.newBuilder().setPrincipal("reader").build())));
    rpcs.add(
        new Rpc(
            "RevokeToken",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                admin(c.channel())
                    .revokeToken(RevokeTokenRequest.newBuilder().setId(c.serial()).build())));
    rpcs.add(
        new Rpc(
            "GetPrincipal",
            Operation.OPERATION_ADMIN,
            false,
            c ->
                admin(c.channel())
                    .getPrincipal(GetPrincipalRequest.newBuilder().setName("reader").build())));
    return rpcs;
  }

  @Test
  void everyCellIsAllowedOrDeniedExactlyAsGranted() throws Exception {
    List<String> wrong = new ArrayList<>();
    int cells = 0;
    for (Who who : Who.values()) {
      for (Rpc rpc : rpcs()) {
        for (String profile : rpc.perProfile() ? List.of(A, B) : List.of("")) {
          cells++;
          Status.Code expected = expected(who, rpc, profile);
          String serial =
              rpc.perProfile()
                  ? target(profile, who)
                  : rpc.name().equals("RevokeToken") ? spareTokenId() : "";
          Snapshot before = Snapshot.take();
          long auditBefore = auditCount();
          Status.Code got;
          try {
            rpc.call().apply(new Call(channels.get(who.name()), profile, serial));
            got = Status.Code.OK;
          } catch (StatusRuntimeException e) {
            got = e.getStatus().getCode();
          }
          String cell = who + " x " + rpc.name() + (profile.isEmpty() ? "" : " x " + profile);
          if (got != expected) {
            wrong.add(cell + ": expected " + expected + ", got " + got);
          }
          if (got != Status.Code.OK) {
            if (!Snapshot.take().equals(before)) {
              wrong.add(cell + ": the denied call changed something");
            }
            if (auditCount() != auditBefore + 1) {
              wrong.add(cell + ": expected one audit record, got " + (auditCount() - auditBefore));
            }
          }
        }
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(cells).isGreaterThan(150);
    // No token the test made shows up in any log line of the whole run.
    for (ILoggingEvent event : logs.list) {
      for (String token : tokens) {
        assertThat(event.getFormattedMessage()).doesNotContain(token);
        if (event.getThrowableProxy() != null) {
          assertThat(event.getThrowableProxy().getMessage()).doesNotContain(token);
        }
      }
    }
    assertThat(logs.list).isNotEmpty();
  }

  /**
   * A watch stream opened by {@code open}: its refusal as the exception a unary call throws, or, if
   * it is still open after 300 ms (admitted, waiting for events), hung up.
   */
  private static <Q, T> Object watched(java.util.function.Consumer<Received<Q, T>> open) {
    Received<Q, T> r = new Received<>();
    open.accept(r);
    try {
      Status end = r.end.get(300, TimeUnit.MILLISECONDS);
      if (!end.isOk()) {
        throw end.asRuntimeException();
      }
    } catch (java.util.concurrent.TimeoutException admitted) {
      r.cancel();
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
    return r;
  }

  /** A token of "reader" made by the admin, for a RevokeToken cell. */
  private static String spareTokenId() {
    return admin(channels.get(Who.ADMIN.name()))
        .createToken(CreateTokenRequest.newBuilder().setPrincipal("reader").build())
        .getTokenInfo()
        .getId();
  }

  @Test
  void statusHidesCertificatesTheCallerMayNotRead() {
    String a = target(A, Who.ADMIN);
    String b = target(B, Who.ADMIN);
    var issuerA = certs(new Call(channels.get(Who.ISSUER_A.name()), A, a));
    var states =
        issuerA
            .status(StatusRequest.newBuilder().addSerialNumbers(a).addSerialNumbers(b).build())
            .getStatusesList();
    assertThat(states.get(0).getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    assertThat(states.get(1).getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_UNKNOWN);
  }

  @Test
  void withoutRevokeAnyOnlyCertificatesOneRequestedCanBeRevoked() {
    String byAdmin = target(A, Who.ADMIN);
    var issuerA = certs(new Call(channels.get(Who.ISSUER_A.name()), A, byAdmin));
    StatusRuntimeException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            () ->
                issuerA.revoke(
                    Requests.revoke(byAdmin, RevocationReason.REVOCATION_REASON_SUPERSEDED)),
            StatusRuntimeException.class);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("only certificates it requested");
  }

  @Test
  void tokensNeverAppearInTheAuditLog() {
    AccessStore store = server.database().access();
    List<dev.grpca.server.store.AuditRecord> records = store.auditRecords(0, 100_000);
    assertThat(records).isNotEmpty();
    for (dev.grpca.server.store.AuditRecord r : records) {
      for (String token : tokens) {
        assertThat(r.toString()).doesNotContain(token);
      }
    }
    assertThat(store.verifyAudit().ok()).isTrue();
  }

  private static Status.Code expected(Who who, Rpc rpc, String profile) {
    if (!who.authenticated()) {
      return Status.Code.UNAUTHENTICATED;
    }
    if (rpc.needs() == Operation.OPERATION_UNSPECIFIED) {
      return Status.Code.OK;
    }
    if (rpc.needs() == null) { // List over every profile
      return who == Who.ADMIN || who == Who.READER ? Status.Code.OK : Status.Code.PERMISSION_DENIED;
    }
    boolean revokeOthers =
        rpc.needs() == Operation.OPERATION_REVOKE && who != Who.ADMIN && targetOwner(who) != who;
    return who.granted(rpc.needs(), profile) && !revokeOthers
        ? Status.Code.OK
        : Status.Code.PERMISSION_DENIED;
  }

  /** Who requested the targets of a caller's calls: itself when it may issue, else the admin. */
  private static Who targetOwner(Who who) {
    return who == Who.ISSUER_A ? who : Who.ADMIN;
  }

  /** A fresh certificate of {@code profile}, requested by whoever the caller's targets are from. */
  private static String target(String profile, Who who) {
    Who owner = targetOwner(who);
    Channel channel =
        channels.get(
            owner == who && owner.granted(Operation.OPERATION_ISSUE, profile)
                ? owner.name()
                : Who.ADMIN.name());
    IssueResponse issued =
        CertificateServiceGrpc.newBlockingStub(channel)
            .issue(
                IssueRequest.newBuilder()
                    .setProfile(profile)
                    .addDnsNames("target.example.com")
                    .build());
    return issued.getCertificate().getSerialNumber();
  }

  /** What a denied call must leave alone. */
  record Snapshot(
      long certificates,
      long revoked,
      List<dev.grpca.server.store.StoredProfile> profiles,
      List<AccessStore.StoredPrincipal> principals,
      int tokens) {
    static Snapshot take() {
      var db = server.database();
      Instant now = Instant.now();
      int tokenCount = 0;
      for (AccessStore.StoredPrincipal p : db.access().principals()) {
        tokenCount += db.access().tokens(p.name()).size();
      }
      return new Snapshot(
          db.certificates().count(),
          db.certificates()
              .count(
                  new CertificateQuery(
                      null, null, null, null, null, null, Standing.REVOKED, null, null, now, null)),
          db.profiles().list(),
          db.access().principals(),
          tokenCount);
    }
  }

  private static long auditCount() {
    return server.database().access().auditRecords(0, 1_000_000).size();
  }

  private static CertificateServiceGrpc.CertificateServiceBlockingStub certs(Call c) {
    return CertificateServiceGrpc.newBlockingStub(c.channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static AdminServiceGrpc.AdminServiceBlockingStub admin(Channel channel) {
    return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static List<Operation> all() {
    return List.of(
        Operation.OPERATION_ISSUE,
        Operation.OPERATION_SIGN,
        Operation.OPERATION_RENEW,
        Operation.OPERATION_REVOKE,
        Operation.OPERATION_READ,
        Operation.OPERATION_UPDATE);
  }

  private static Grant grant(List<String> profiles, List<Operation> operations) {
    return Grant.newBuilder().addAllProfiles(profiles).addAllOperations(operations).build();
  }

  private static void put(
      AdminServiceGrpc.AdminServiceBlockingStub admin, String name, boolean any, Grant grant) {
    admin.putPrincipal(
        PutPrincipalRequest.newBuilder()
            .setPrincipal(Principal.newBuilder().setName(name).setRevokeAny(any).addGrants(grant))
            .build());
  }

  private static String token(
      AdminServiceGrpc.AdminServiceBlockingStub admin, String principal, Long seconds) {
    CreateTokenRequest.Builder request = CreateTokenRequest.newBuilder().setPrincipal(principal);
    if (seconds != null) {
      request.setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(seconds));
    }
    String token = admin.createToken(request.build()).getToken();
    tokens.add(token);
    return token;
  }

  /** A channel presenting a client certificate whose SPIFFE ID is the service principal. */
  private static ManagedChannel mtls() throws Exception {
    IssueResponse issued =
        server
            .certificates()
            .issue(
                IssueRequest.newBuilder().setProfile("spiffe-workload").addUris(SERVICE).build());
    ManagedChannel channel =
        server.mtlsChannel(
            issued.getCertificate().getCertificatePem() + issued.getCertificate().getChainPem(),
            issued.getPrivateKeyPem());
    return channel;
  }
}
