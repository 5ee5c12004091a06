package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.CertificateStatus;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.ListResponse;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.RevokeResponse;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Revoke, Status, Get and List over real gRPC. */
class LifecycleGrpcTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  @Test
  void revokeIsSeenByStatusAndGetAndRepeatingItKeepsTheFirstRevocation() {
    Certificate c = issue("revoke-me.example.com", "team", "payments");
    String serial = c.getSerialNumber();
    assertThat(status(serial).getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);

    RevokeResponse first =
        certificates.revoke(
            Requests.revoke(serial, RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    CertificateStatus revoked = status(serial);
    assertThat(revoked.getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_REVOKED);
    assertThat(revoked.getRevocationReason())
        .isEqualTo(RevocationReason.REVOCATION_REASON_KEY_COMPROMISE);
    assertThat(revoked.getRevocationTime()).isEqualTo(first.getRevocationTime());

    RevokeResponse again =
        certificates.revoke(
            Requests.revoke(colons(serial), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    assertThat(again.getRevocationTime()).isEqualTo(first.getRevocationTime());
    assertThat(again.getRevocationReason())
        .isEqualTo(RevocationReason.REVOCATION_REASON_KEY_COMPROMISE);

    Certificate got =
        certificates
            .get(GetRequest.newBuilder().setSerialNumber(serial.toUpperCase()).build())
            .getCertificate();
    assertThat(got.getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_REVOKED);
    assertThat(got.getCertificatePem()).isEqualTo(c.getCertificatePem());
    assertThat(got.getChainPem()).isEqualTo(c.getChainPem());
    assertThat(got.getLabelsMap()).containsEntry("team", "payments");
  }

  @Test
  void renewKeepsSubjectNamesAndKeyAndLinksTheTwo() throws Exception {
    dev.grpca.proto.v1.IssueResponse issued =
        certificates.issue(
            IssueRequest.newBuilder()
                .setProfile("default")
                .setSubject(
                    dev.grpca.proto.v1.Subject.newBuilder()
                        .setCommonName("renew.example.com")
                        .setOrganization("Acme"))
                .addIpAddresses("10.1.1.1")
                .putLabels("team", "renewals")
                .build());
    Certificate old = issued.getCertificate();
    Certificate renewed =
        certificates
            .renew(
                RenewRequest.newBuilder()
                    .setSerialNumber(old.getSerialNumber())
                    .setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(7200))
                    .build())
            .getCertificate();
    assertThat(renewed.getSerialNumber()).isNotEqualTo(old.getSerialNumber());
    assertThat(renewed.getRenewedFrom()).isEqualTo(old.getSerialNumber());
    assertThat(renewed.getSubject()).isEqualTo(old.getSubject());
    assertThat(renewed.getDnsNamesList()).isEqualTo(old.getDnsNamesList());
    assertThat(renewed.getIpAddressesList()).isEqualTo(old.getIpAddressesList());
    assertThat(renewed.getLabelsMap()).isEqualTo(old.getLabelsMap());
    assertThat(publicKey(renewed)).isEqualTo(publicKey(old));
    assertThat(renewed.getNotAfter().getSeconds() - renewed.getCreateTime().getSeconds())
        .isBetween(7199L, 7200L);
    assertThat(
            certificates
                .get(GetRequest.newBuilder().setSerialNumber(old.getSerialNumber()).build())
                .getCertificate()
                .getRenewedBy())
        .isEqualTo(renewed.getSerialNumber());
  }

  @Test
  void renewOverMutualTlsWithTheCertificateItself() throws Exception {
    dev.grpca.proto.v1.IssueResponse mine = issueWithKey("me.example.com");
    dev.grpca.proto.v1.IssueResponse other = issueWithKey("other.example.com");
    io.grpc.ManagedChannel mtls =
        server.mtlsChannel(
            mine.getCertificate().getCertificatePem() + mine.getCertificate().getChainPem(),
            mine.getPrivateKeyPem());
    try {
      var stub = CertificateServiceGrpc.newBlockingStub(mtls);
      Certificate renewed =
          stub.renew(
                  RenewRequest.newBuilder()
                      .setSerialNumber(mine.getCertificate().getSerialNumber())
                      .build())
              .getCertificate();
      assertThat(renewed.getRenewedFrom()).isEqualTo(mine.getCertificate().getSerialNumber());
      // A client certificate's principal is its SPIFFE URI SAN or, as here, its common name.
      assertThat(renewed.getRequestedBy()).isEqualTo("me.example.com");

      StatusRuntimeException e =
          failure(
              () ->
                  stub.renew(
                      RenewRequest.newBuilder()
                          .setSerialNumber(other.getCertificate().getSerialNumber())
                          .build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      e = failure(() -> stub.issue(Requests.issue("x.example.com").build()));
      // Authenticated by its certificate, but no principal of that name was granted anything.
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    } finally {
      mtls.shutdownNow();
    }
  }

  @Test
  void aRevokedCertificateCannotBeRenewed() {
    Certificate c = issue("revoked-renew.example.com", "team", "x");
    certificates.revoke(
        Requests.revoke(c.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    long before = server.storedCertificates();
    StatusRuntimeException e =
        failure(
            () ->
                certificates.renew(
                    RenewRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).contains("revoked");
    assertThat(server.storedCertificates()).isEqualTo(before);
    e =
        failure(
            () -> certificates.renew(RenewRequest.newBuilder().setSerialNumber("abcdef").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  private static dev.grpca.proto.v1.IssueResponse issueWithKey(String name) {
    return certificates.issue(
        IssueRequest.newBuilder()
            .setProfile("default")
            .setSubject(dev.grpca.proto.v1.Subject.newBuilder().setCommonName(name))
            .build());
  }

  private static java.security.PublicKey publicKey(Certificate c) {
    return dev.grpca.server.x509.Certificates.parsePem(c.getCertificatePem()).getPublicKey();
  }

  @Test
  void theJsonInTheReadmeWorksAsGrpcurlWouldSendIt() throws Exception {
    String serial = issue("readme.example.com", "team", "payments").getSerialNumber();
    StatusRequest.Builder status = StatusRequest.newBuilder();
    JsonFormat.parser().merge("{\"serialNumbers\":[\"" + serial + "\"]}", status);
    assertThat(certificates.status(status.build()).getStatuses(0).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    ListRequest.Builder list = ListRequest.newBuilder();
    JsonFormat.parser().merge("{\"label\":\"team=payments\",\"pageSize\":50}", list);
    assertThat(certificates.list(list.build()).getCertificatesList())
        .extracting(Certificate::getSerialNumber)
        .contains(serial);
    RevokeRequest.Builder revoke = RevokeRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"serialNumber\":\"" + serial + "\",\"reason\":\"REVOCATION_REASON_KEY_COMPROMISE\"}",
            revoke);
    assertThat(certificates.revoke(revoke.build()).getRevocationReason())
        .isEqualTo(RevocationReason.REVOCATION_REASON_KEY_COMPROMISE);
  }

  @Test
  void badRevocationsAreRefusedAndChangeNothing() {
    String serial = issue("keep.example.com", "team", "x").getSerialNumber();
    for (RevocationReason reason :
        List.of(
            RevocationReason.REVOCATION_REASON_CA_COMPROMISE,
            RevocationReason.REVOCATION_REASON_AA_COMPROMISE,
            RevocationReason.REVOCATION_REASON_REMOVE_FROM_CRL)) {
      StatusRuntimeException e =
          failure(() -> certificates.revoke(Requests.revoke(serial, reason)));
      assertThat(e.getStatus().getCode()).as(reason.name()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertThat(status(serial).getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    StatusRuntimeException e =
        failure(
            () ->
                certificates.revoke(RevokeRequest.newBuilder().setSerialNumber("abcdef").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    e =
        failure(
            () ->
                certificates.revoke(
                    RevokeRequest.newBuilder().setSerialNumber("not-hex!").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    e = failure(() -> certificates.get(GetRequest.newBuilder().setSerialNumber("abcdef").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void statusAnswersEverySerialInOrderAndBoundsTheBatch() {
    String a = issue("a.example.com", "team", "x").getSerialNumber();
    String b = issue("b.example.com", "team", "x").getSerialNumber();
    List<CertificateStatus> statuses =
        certificates
            .status(
                StatusRequest.newBuilder()
                    .addSerialNumbers(b)
                    .addSerialNumbers("1234")
                    .addSerialNumbers(colons(a))
                    .build())
            .getStatusesList();
    assertThat(statuses)
        .extracting(CertificateStatus::getSerialNumber)
        .containsExactly(b, "1234", a);
    assertThat(statuses)
        .extracting(CertificateStatus::getState)
        .containsExactly(
            CertificateState.CERTIFICATE_STATE_VALID,
            CertificateState.CERTIFICATE_STATE_UNKNOWN,
            CertificateState.CERTIFICATE_STATE_VALID);
    assertThat(statuses.get(0).getAuthorityId()).isNotEmpty();

    StatusRequest.Builder tooMany = StatusRequest.newBuilder();
    IntStream.range(0, 1001).forEach(i -> tooMany.addSerialNumbers(Integer.toHexString(i + 1)));
    StatusRuntimeException e = failure(() -> certificates.status(tooMany.build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    e = failure(() -> certificates.status(StatusRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void listFilters() {
    Certificate web = issue("filter-web.example.com", "app", "filter-web");
    Certificate api = issue("filter-api.example.com", "app", "filter-api");
    certificates.revoke(
        Requests.revoke(api.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    assertThat(serials(ListRequest.newBuilder().setDnsName("FILTER-WEB.example.com").build()))
        .containsExactly(web.getSerialNumber());
    assertThat(serials(ListRequest.newBuilder().setCommonName("filter-api.example.com").build()))
        .containsExactly(api.getSerialNumber());
    assertThat(serials(ListRequest.newBuilder().setLabel("app=filter-web").build()))
        .containsExactly(web.getSerialNumber());
    assertThat(
            serials(
                ListRequest.newBuilder()
                    .setLabel("app=filter-api")
                    .setState(CertificateState.CERTIFICATE_STATE_REVOKED)
                    .build()))
        .containsExactly(api.getSerialNumber());
    assertThat(
            serials(
                ListRequest.newBuilder()
                    .setLabel("app=filter-api")
                    .setState(CertificateState.CERTIFICATE_STATE_VALID)
                    .build()))
        .isEmpty();
    StatusRuntimeException e =
        failure(() -> certificates.list(ListRequest.newBuilder().setLabel("no-equals").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    e = failure(() -> certificates.list(ListRequest.newBuilder().setPageSize(1001).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    e = failure(() -> certificates.list(ListRequest.newBuilder().setPageToken("garbage").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void pagingOver10kCertificatesReturnsEachExactlyOnceWhileMoreAreIssued() throws Exception {
    CertificateStore store = server.database().certificates();
    String authority = server.running().authorities().defaultIssuer().id();
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      expected.add(insert(store, authority, "bulk"));
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger issuedDuring = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              while (!stop.get()) {
                insert(store, authority, "bulk");
                issuedDuring.incrementAndGet();
              }
            });
    writer.start();
    Set<String> seen = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    String token = "";
    int pages = 0;
    try {
      do {
        ListResponse page =
            certificates.list(
                ListRequest.newBuilder()
                    .setLabel("batch=bulk")
                    .setPageSize(1000)
                    .setPageToken(token)
                    .build());
        for (Certificate c : page.getCertificatesList()) {
          if (!seen.add(c.getSerialNumber())) {
            duplicates.add(c.getSerialNumber());
          }
        }
        assertThat(page.getTotalSize()).isGreaterThanOrEqualTo(10_000);
        token = page.getNextPageToken();
        pages++;
      } while (!token.isEmpty() && pages < 100);
    } finally {
      stop.set(true);
      writer.join();
    }
    assertThat(duplicates).isEmpty();
    assertThat(seen).containsAll(expected);
    assertThat(issuedDuring.get()).isPositive();
  }

  private static String insert(CertificateStore store, String authority, String batch) {
    String serial =
        new java.math.BigInteger(120, new java.util.Random())
            .add(java.math.BigInteger.ONE)
            .toString(16);
    Instant now = Instant.now();
    store.recordPending(
        new PendingCertificate(
            serial,
            authority,
            "default",
            "CN=bulk.example.com",
            "bulk.example.com",
            "EC P-256",
            now,
            now.plusSeconds(3600),
            List.of("bulk.example.com"),
            List.of(),
            List.of(),
            List.of(),
            Map.of("batch", batch),
            new byte[] {0x30, 0x00},
            "test",
            now,
            null));
    store.markIssued(
        serial,
        "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        "00",
        Instant.now());
    return serial;
  }

  private static List<String> serials(ListRequest request) {
    return certificates.list(request).getCertificatesList().stream()
        .map(Certificate::getSerialNumber)
        .toList();
  }

  private static Certificate issue(String name, String labelKey, String labelValue) {
    return certificates
        .issue(
            IssueRequest.newBuilder()
                .setProfile("default")
                .setSubject(dev.grpca.proto.v1.Subject.newBuilder().setCommonName(name))
                .putLabels(labelKey, labelValue)
                .build())
        .getCertificate();
  }

  private static CertificateStatus status(String serial) {
    return certificates
        .status(StatusRequest.newBuilder().addSerialNumbers(serial).build())
        .getStatuses(0);
  }

  private static String colons(String hex) {
    String even = hex.length() % 2 == 0 ? hex : "0" + hex;
    return String.join(":", even.split("(?<=\\G..)"));
  }
}
