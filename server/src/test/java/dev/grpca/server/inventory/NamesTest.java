package dev.grpca.server.inventory;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Calls.field;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.CertificateStatus;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.Subject;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate resource names over real gRPC with TLS: given, generated, unique, used to look up.
 */
class NamesTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  @Test
  void aGivenNameIsHeldAndAMissingOneIsMadeFromTheCommonName() {
    Certificate named =
        certificates
            .issue(Requests.issue("api.example.com").setName("payments-api").build())
            .getCertificate();
    assertThat(named.getName()).isEqualTo("payments-api");

    Certificate generated =
        certificates
            .issue(
                IssueRequest.newBuilder()
                    .setProfile("default")
                    .setSubject(Subject.newBuilder().setCommonName("Shop.Example.com"))
                    .build())
            .getCertificate();
    assertThat(generated.getName()).matches("shop\\.example\\.com-[a-z0-9]{5}");

    Certificate wildcard =
        certificates
            .issue(
                IssueRequest.newBuilder()
                    .setProfile("web-server")
                    .setSubject(Subject.newBuilder().setCommonName("*.wild.example.com"))
                    .build())
            .getCertificate();
    assertThat(wildcard.getDnsNamesList()).containsExactly("*.wild.example.com");
    assertThat(wildcard.getName()).matches("wild\\.example\\.com-[a-z0-9]{5}");

    // No common name: the first SAN.
    Certificate bySan =
        certificates.issue(Requests.issue("first.example.com").build()).getCertificate();
    assertThat(bySan.getName()).matches("first\\.example\\.com-[a-z0-9]{5}");

    // Sign takes a name too.
    Certificate signed =
        certificates
            .sign(
                SignRequest.newBuilder()
                    .setProfile("default")
                    .setCsrPem(csr("signed.example.com"))
                    .addDnsNames("signed.example.com")
                    .setName("signed-one")
                    .build())
            .getCertificate();
    assertThat(signed.getName()).isEqualTo("signed-one");
    assertThat(get(GetRequest.newBuilder().setName("signed-one")).getSerialNumber())
        .isEqualTo(signed.getSerialNumber());
  }

  @Test
  void aNameHeldByAnotherCertificateOrMalformedIsRefusedAndNothingIsStored() {
    certificates.issue(Requests.issue("dup.example.com").setName("dup").build());
    long stored = server.storedCertificates();
    StatusRuntimeException taken =
        failure(
            () -> certificates.issue(Requests.issue("dup2.example.com").setName("dup").build()));
    assertThat(taken.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(field(taken)).isEqualTo("name");
    assertThat(taken.getStatus().getDescription()).contains("'dup'");
    StatusRuntimeException takenValidating =
        failure(
            () ->
                certificates.issue(
                    Requests.issue("dup2.example.com")
                        .setName("dup")
                        .setValidateOnly(true)
                        .build()));
    assertThat(takenValidating.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    for (String bad : List.of("Upper", "-lead", "trail.", "a..b", "sp ace", "x".repeat(129), "é")) {
      StatusRuntimeException refused =
          failure(() -> certificates.issue(Requests.issue("bad.example.com").setName(bad).build()));
      assertThat(refused.getStatus().getCode()).as(bad).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(field(refused)).isEqualTo("name");
    }
    assertThat(server.storedCertificates()).isEqualTo(stored);
  }

  @Test
  void twoCallersAskingForOneNameAtOnceGetOneCertificate() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      Callable<Status.Code> ask =
          () -> {
            try {
              certificates.issue(Requests.issue("race.example.com").setName("race").build());
              return Status.Code.OK;
            } catch (StatusRuntimeException e) {
              return e.getStatus().getCode();
            }
          };
      List<Future<Status.Code>> answers = pool.invokeAll(java.util.Collections.nCopies(16, ask));
      List<Status.Code> codes = answers.stream().map(NamesTest::join).toList();
      assertThat(codes).containsOnly(Status.Code.OK, Status.Code.ALREADY_EXISTS);
      assertThat(codes).filteredOn(c -> c == Status.Code.OK).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void getStatusRevokeAndRenewByNameAndRenewMovesTheName() {
    Certificate first =
        certificates
            .issue(Requests.issue("web.example.com").setName("web-front").build())
            .getCertificate();
    assertThat(get(GetRequest.newBuilder().setName("web-front")).getSerialNumber())
        .isEqualTo(first.getSerialNumber());

    Certificate renewed =
        certificates.renew(RenewRequest.newBuilder().setName("web-front").build()).getCertificate();
    assertThat(renewed.getName()).isEqualTo("web-front");
    assertThat(renewed.getRenewedFrom()).isEqualTo(first.getSerialNumber());
    Certificate old = get(GetRequest.newBuilder().setSerialNumber(first.getSerialNumber()));
    assertThat(old.getName()).isEmpty();
    assertThat(old.getRenewedBy()).isEqualTo(renewed.getSerialNumber());
    assertThat(get(GetRequest.newBuilder().setName("web-front")).getSerialNumber())
        .isEqualTo(renewed.getSerialNumber());

    List<CertificateStatus> statuses =
        certificates
            .status(
                StatusRequest.newBuilder()
                    .addSerialNumbers(first.getSerialNumber())
                    .addNames("web-front")
                    .addNames("nobody-has-this")
                    .build())
            .getStatusesList();
    assertThat(statuses).hasSize(3);
    assertThat(statuses.get(0).getSerialNumber()).isEqualTo(first.getSerialNumber());
    assertThat(statuses.get(0).getName()).isEmpty();
    assertThat(statuses.get(1).getName()).isEqualTo("web-front");
    assertThat(statuses.get(1).getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    assertThat(statuses.get(1).getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    assertThat(statuses.get(2).getName()).isEqualTo("nobody-has-this");
    assertThat(statuses.get(2).getSerialNumber()).isEmpty();
    assertThat(statuses.get(2).getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_UNKNOWN);

    certificates.revoke(
        RevokeRequest.newBuilder()
            .setName("web-front")
            .setReason(RevocationReason.REVOCATION_REASON_SUPERSEDED)
            .build());
    assertThat(get(GetRequest.newBuilder().setSerialNumber(renewed.getSerialNumber())).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_REVOKED);
    assertThat(get(GetRequest.newBuilder().setSerialNumber(first.getSerialNumber())).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);

    StatusRuntimeException unknown =
        failure(() -> get(GetRequest.newBuilder().setName("nobody-has-this")));
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(field(unknown)).isEqualTo("name");
    StatusRuntimeException both =
        failure(
            () ->
                get(
                    GetRequest.newBuilder()
                        .setName("web-front")
                        .setSerialNumber(first.getSerialNumber())));
    assertThat(both.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    StatusRuntimeException neither = failure(() -> get(GetRequest.newBuilder()));
    assertThat(neither.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(neither)).isEqualTo("serial_number");
  }

  @Test
  void listFiltersByNamePrefix() throws Exception {
    for (String name : List.of("team-a-one", "team-a-two", "team-b-one")) {
      certificates.issue(Requests.issue(name + ".example.com").setName(name).build());
    }
    ListRequest.Builder request = ListRequest.newBuilder();
    // As grpcurl sends it.
    JsonFormat.parser().merge("{\"namePrefix\":\"team-a-\"}", request);
    assertThat(certificates.list(request.build()).getCertificatesList())
        .extracting(Certificate::getName)
        .containsExactly("team-a-one", "team-a-two");
    StatusRuntimeException bad =
        failure(() -> certificates.list(ListRequest.newBuilder().setNamePrefix("Team%").build()));
    assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(bad)).isEqualTo("name_prefix");
  }

  private Certificate get(GetRequest.Builder request) {
    return certificates.get(request.build()).getCertificate();
  }

  private String csr(String cn) {
    try {
      return Tools.p256Csr(work, cn + ".key", "/CN=" + cn);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Status.Code join(Future<Status.Code> f) {
    try {
      return f.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
