package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.Authority;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.AuthorityState;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.GetAuthorityRequest;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.NameConstraints;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.WatchTrustBundleRequest;
import dev.grpca.proto.v1.WatchTrustBundleResponse;
import dev.grpca.server.CaServer;
import dev.grpca.server.testing.Principals;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Received;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateRoot and CreateIntermediate over real gRPC with TLS: keys made in the token (pkcs11-tool
 * shows them sensitive and never extractable), certificates through the one certificate path, a
 * leaf issued under the new intermediate that openssl verifies and whose OCSP and CRL answer, the
 * trust-bundle watchers told, another replica that knows the new CAs; and every bad request refused
 * with its status, nothing stored and no key left in the token.
 */
class CreateAuthorityTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    authorities = server.authorities();
  }

  private static Authority createRoot(String id, Integer pathLength) {
    CreateRootRequest.Builder r =
        CreateRootRequest.newBuilder().setAuthorityId(id).setSubject("CN=" + id + ",O=Acme");
    if (pathLength != null) {
      r.setPathLength(pathLength);
    }
    return authorities.createRoot(r.build()).getAuthority();
  }

  private static CreateIntermediateRequest.Builder intermediate(String id, String parent) {
    return CreateIntermediateRequest.newBuilder()
        .setAuthorityId(id)
        .setSubject("CN=" + id + ",O=Acme")
        .setParentAuthorityId(parent);
  }

  @Test
  void aRootAndAnIntermediateMadeAtRunTimeIssueWhatOpensslVerifies() throws Exception {
    Received<WatchTrustBundleRequest, WatchTrustBundleResponse> bundles = new Received<>();
    CertificateServiceGrpc.newStub(server.channel(server.adminToken()))
        .watchTrustBundle(WatchTrustBundleRequest.getDefaultInstance(), bundles);
    int before =
        authorities
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthoritiesCount();
    for (int i = 0; i < before; i++) {
      bundles.next();
    }

    Authority root = createRoot("made-root", null);
    assertThat(root.getState()).isEqualTo(AuthorityState.AUTHORITY_STATE_ACTIVE);
    assertThat(root.getParentAuthorityId()).isEmpty();
    assertThat(root.hasPathLength()).isFalse();
    assertThat(root.getKeyType()).isEqualTo(KeyType.KEY_TYPE_EC_P384);
    assertThat(root.getDefaultIssuer()).isFalse();
    WatchTrustBundleResponse told = bundles.next();
    assertThat(told.getAuthorityId()).isEqualTo("made-root");
    assertThat(told.getRootPem()).isEqualTo(root.getCertificatePem());

    Authority issuing =
        authorities
            .createIntermediate(intermediate("made-issuing", "made-root").build())
            .getAuthority();
    assertThat(issuing.getParentAuthorityId()).isEqualTo("made-root");
    assertThat(issuing.getPathLength()).isZero();
    assertThat(issuing.getKeyType()).isEqualTo(KeyType.KEY_TYPE_EC_P256);
    assertThat(issuing.getChainPem())
        .isEqualTo(issuing.getCertificatePem() + root.getCertificatePem());
    told = bundles.next();
    assertThat(told.getAuthorityId()).isEqualTo("made-issuing");
    assertThat(told.getChainPem()).isEqualTo(issuing.getChainPem());
    assertThat(told.getRootPem()).isEqualTo(root.getCertificatePem());
    bundles.cancel();

    for (String label : List.of("grpca-made-root", "grpca-made-issuing")) {
      assertThat(SoftHsm.privateKeyObject(label))
          .as(label)
          .contains("sensitive, always sensitive, never extractable, local");
    }
    assertThat(
            authorities
                .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
                .getAuthoritiesList())
        .extracting(Authority::getAuthorityId)
        .endsWith("made-root", "made-issuing");
    assertThat(
            authorities
                .getAuthority(
                    GetAuthorityRequest.newBuilder().setAuthorityId("made-issuing").build())
                .getAuthority())
        .isEqualTo(issuing);
    // Its certificate is a certificate like any other: recorded, signed, stored.
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate WHERE serial_number = ? AND state = 'ISSUED'",
                issuing.getSerialNumber()))
        .isEqualTo(1);

    // A profile of the new intermediate issues a leaf that chains to the new root.
    Profiles.createFromDefault(server, "made-web", p -> p.setAuthorityId("made-issuing"));
    Certificate leaf =
        server
            .certificates()
            .issue(Requests.issue("made.example.com").setProfile("made-web").build())
            .getCertificate();
    assertThat(leaf.getAuthorityId()).isEqualTo("made-issuing");
    Files.writeString(work.resolve("root.pem"), root.getCertificatePem());
    Files.writeString(work.resolve("issuing.pem"), issuing.getCertificatePem());
    Files.writeString(work.resolve("chain.pem"), leaf.getChainPem());
    Files.writeString(work.resolve("cert.pem"), leaf.getCertificatePem());
    assertThat(Tools.verifyAt(work, Instant.now(), "root.pem", "chain.pem", "cert.pem"))
        .contains("cert.pem: OK");
    String ocsp = "http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp";
    assertThat(Tools.opensslOcsp(work, "issuing.pem", "cert.pem", ocsp))
        .contains("Response verify OK")
        .contains("cert.pem: good");
    assertThat(
            authorities
                .getCrl(GetCrlRequest.newBuilder().setAuthorityId("made-issuing").build())
                .getCrl()
                .getEntryCount())
        .isZero();

    // Another replica knows them: loaded at its start from the database.
    try (CaServer replica = server.startReplica()) {
      ManagedChannel channel = server.adminChannel(replica);
      var there = AuthorityServiceGrpc.newBlockingStub(channel);
      assertThat(
              there
                  .getCaChain(GetCaChainRequest.newBuilder().setAuthorityId("made-issuing").build())
                  .getChainPem())
          .isEqualTo(issuing.getChainPem());
    }
  }

  @Test
  void nameConstraintsOfAnIntermediateRefuseAnOutOfTreeIssueBeforeAnySignature() throws Exception {
    Authority root = createRoot("nc-root", null);
    Authority constrained =
        authorities
            .createIntermediate(
                intermediate("nc-issuing", "nc-root")
                    .setNameConstraints(
                        NameConstraints.newBuilder()
                            .addPermittedDnsDomains("example.com")
                            .addExcludedDnsDomains("secret.example.com")
                            .addPermittedIpRanges("10.0.0.0/8"))
                    .build())
            .getAuthority();
    assertThat(constrained.getNameConstraints().getPermittedDnsDomainsList())
        .containsExactly("example.com");
    assertThat(constrained.getNameConstraints().getPermittedIpRangesList())
        .containsExactly("10.0.0.0/8");
    Files.writeString(work.resolve("nc-issuing.pem"), constrained.getCertificatePem());
    assertThat(
            Tools.openssl(work, "x509", "-in", "nc-issuing.pem", "-noout", "-text")
                .requireSuccess()
                .output())
        .contains("X509v3 Name Constraints: critical")
        .contains("DNS:example.com")
        .contains("IP:10.0.0.0/255.0.0.0");

    Profiles.createFromDefault(server, "nc-web", p -> p.setAuthorityId("nc-issuing"));
    var certificates = server.certificates();
    Certificate inside =
        certificates
            .issue(
                Requests.issue("api.example.com")
                    .setProfile("nc-web")
                    .addIpAddresses("10.1.2.3")
                    .build())
            .getCertificate();
    Files.writeString(work.resolve("root.pem"), root.getCertificatePem());
    Files.writeString(work.resolve("chain.pem"), inside.getChainPem());
    Files.writeString(work.resolve("inside.pem"), inside.getCertificatePem());
    assertThat(Tools.verifyAt(work, Instant.now(), "root.pem", "chain.pem", "inside.pem"))
        .contains("inside.pem: OK");

    long stored = server.count("SELECT COUNT(*) FROM certificate");
    var outside =
        failure(
            () ->
                certificates.issue(Requests.issue("api.example.org").setProfile("nc-web").build()));
    assertThat(outside.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(outside.getStatus().getDescription())
        .contains("api.example.org")
        .contains("permitted DNS subtrees example.com");
    var excluded =
        failure(
            () ->
                certificates.issue(
                    Requests.issue("db.secret.example.com").setProfile("nc-web").build()));
    assertThat(excluded.getStatus().getDescription())
        .contains("excluded DNS subtree secret.example.com");
    var ip =
        failure(
            () ->
                certificates.issue(
                    Requests.issue("ok.example.com")
                        .setProfile("nc-web")
                        .addIpAddresses("192.168.1.1")
                        .build()));
    assertThat(ip.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(ip.getStatus().getDescription()).contains("permitted IP ranges 10.0.0.0/8");
    // Refused by the policy: no row was recorded, so nothing went to the token to sign.
    assertThat(server.count("SELECT COUNT(*) FROM certificate")).isEqualTo(stored);

    // Malformed constraints are refused, and no CA is made.
    for (NameConstraints bad :
        List.of(
            NameConstraints.newBuilder().addPermittedDnsDomains("not a domain").build(),
            NameConstraints.newBuilder().addPermittedIpRanges("10.0.0.1/8").build(),
            NameConstraints.newBuilder().addExcludedEmailAddresses("@@example.com").build())) {
      assertThat(
              failure(
                      () ->
                          authorities.createIntermediate(
                              intermediate("nc-refused", "nc-root")
                                  .setNameConstraints(bad)
                                  .build()))
                  .getStatus()
                  .getCode())
          .as(bad.toString())
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertThat(server.count("SELECT COUNT(*) FROM authority WHERE id = 'nc-refused'")).isZero();
  }

  @Test
  void badRequestsAreRefusedWithTheirStatusAndLeaveNothingBehind() throws Exception {
    String existing =
        authorities
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthorities(0)
            .getAuthorityId();
    String defaultIssuer =
        authorities
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthoritiesList()
            .stream()
            .filter(Authority::getDefaultIssuer)
            .findFirst()
            .orElseThrow()
            .getAuthorityId();
    Authority limited = createRoot("limited-root", 1);
    assertThat(limited.getPathLength()).isEqualTo(1);
    long rows = server.count("SELECT COUNT(*) FROM authority");
    long certificates = server.count("SELECT COUNT(*) FROM certificate");

    var admin = AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    var notAdmin =
        AuthorityServiceGrpc.newBlockingStub(
            server.channel(
                Principals.token(
                    admin,
                    "issuer-not-admin",
                    Grant.newBuilder()
                        .addProfiles("*")
                        .addOperations(Operation.OPERATION_ISSUE)
                        .build())));

    List<Case> cases =
        List.of(
            new Case(
                "bad id",
                Status.Code.INVALID_ARGUMENT,
                () ->
                    authorities.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("Bad Id")
                            .setSubject("CN=x")
                            .build())),
            new Case(
                "bad subject",
                Status.Code.INVALID_ARGUMENT,
                () ->
                    authorities.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("refused-1")
                            .setSubject("no equals sign")
                            .build())),
            new Case(
                "a key the token cannot make",
                Status.Code.INVALID_ARGUMENT,
                () ->
                    authorities.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("refused-2")
                            .setSubject("CN=x")
                            .setKeyType(KeyType.KEY_TYPE_ED25519)
                            .build())),
            new Case(
                "an hour's lifetime",
                Status.Code.INVALID_ARGUMENT,
                () ->
                    authorities.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("refused-3")
                            .setSubject("CN=x")
                            .setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                            .build())),
            new Case(
                "a negative path length",
                Status.Code.INVALID_ARGUMENT,
                () ->
                    authorities.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("refused-4")
                            .setSubject("CN=x")
                            .setPathLength(-1)
                            .build())),
            new Case(
                "an id that is taken",
                Status.Code.ALREADY_EXISTS,
                () ->
                    authorities.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId(existing)
                            .setSubject("CN=x")
                            .build())),
            new Case(
                "an unknown parent",
                Status.Code.NOT_FOUND,
                () -> authorities.createIntermediate(intermediate("refused-5", "nope").build())),
            new Case(
                "a parent with path length 0",
                Status.Code.FAILED_PRECONDITION,
                () ->
                    authorities.createIntermediate(
                        intermediate("refused-6", defaultIssuer).build())),
            new Case(
                "a path length the parent forbids",
                Status.Code.FAILED_PRECONDITION,
                () ->
                    authorities.createIntermediate(
                        intermediate("refused-7", "limited-root").setPathLength(1).build())),
            new Case(
                "no parent",
                Status.Code.INVALID_ARGUMENT,
                () -> authorities.createIntermediate(intermediate("refused-8", "").build())),
            new Case(
                "not an admin",
                Status.Code.PERMISSION_DENIED,
                () ->
                    notAdmin.createRoot(
                        CreateRootRequest.newBuilder()
                            .setAuthorityId("refused-9")
                            .setSubject("CN=x")
                            .build())));
    for (Case c : cases) {
      assertThat(failure(c.call()::get).getStatus().getCode()).as(c.name()).isEqualTo(c.expected());
    }
    assertThat(server.count("SELECT COUNT(*) FROM authority")).isEqualTo(rows);
    assertThat(server.count("SELECT COUNT(*) FROM certificate")).isEqualTo(certificates);
    assertThat(SoftHsm.open().labels("grpca-refused")).isEmpty();
  }

  record Case(String name, Status.Code expected, Supplier<Object> call) {}
}
