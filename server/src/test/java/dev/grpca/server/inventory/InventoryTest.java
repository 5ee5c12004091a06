package dev.grpca.server.inventory;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Calls.field;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.CreateTokenRequest;
import dev.grpca.proto.v1.DeleteCertificatesRequest;
import dev.grpca.proto.v1.DeleteCertificatesResponse;
import dev.grpca.proto.v1.DeleteResult;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.proto.v1.PutPrincipalRequest;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.TidyRequest;
import dev.grpca.proto.v1.TidyResponse;
import dev.grpca.proto.v1.UpdateCertificateRequest;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Ocsp;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inventory after issuance over real gRPC with TLS: labels changed and searched, certificates
 * deleted (each kind), and tidy, on a clock the test moves.
 */
class InventoryTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension().withClock(CLOCK);
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  @Test
  void labelsChangeAfterIssuanceAndListMatchesSeveralAtOnce() throws Exception {
    Certificate a =
        certificates
            .issue(Requests.issue("la.example.com").putLabels("team", "payments").build())
            .getCertificate();
    Certificate b =
        certificates
            .issue(Requests.issue("lb.example.com").putLabels("team", "payments").build())
            .getCertificate();
    UpdateCertificateRequest.Builder update = UpdateCertificateRequest.newBuilder();
    // As grpcurl sends it.
    JsonFormat.parser()
        .merge(
            "{\"serialNumber\":\""
                + a.getSerialNumber()
                + "\",\"labels\":{\"team\":\"payments\",\"entity\":\"backend/42\"},"
                + "\"updateMask\":\"labels\"}",
            update);
    Certificate updated = certificates.updateCertificate(update.build()).getCertificate();
    assertThat(updated.getLabelsMap())
        .containsExactlyInAnyOrderEntriesOf(Map.of("team", "payments", "entity", "backend/42"));
    assertThat(get(a.getSerialNumber()).getLabelsMap()).isEqualTo(updated.getLabelsMap());

    ListRequest both =
        ListRequest.newBuilder().addLabels("team=payments").addLabels("entity=backend/42").build();
    assertThat(certificates.list(both).getCertificatesList())
        .extracting(Certificate::getSerialNumber)
        .containsExactly(a.getSerialNumber());
    assertThat(
            certificates
                .list(ListRequest.newBuilder().addLabels("team=payments").build())
                .getCertificatesList())
        .extracting(Certificate::getSerialNumber)
        .contains(a.getSerialNumber(), b.getSerialNumber());

    // Replacing with none clears them.
    certificates.updateCertificate(
        UpdateCertificateRequest.newBuilder()
            .setSerialNumber(b.getSerialNumber())
            .setUpdateMask(FieldMask.newBuilder().addPaths("labels"))
            .build());
    assertThat(get(b.getSerialNumber()).getLabelsMap()).isEmpty();

    // Bad input: refused, nothing changed.
    StatusRuntimeException noMask =
        failure(
            () ->
                certificates.updateCertificate(
                    UpdateCertificateRequest.newBuilder()
                        .setSerialNumber(a.getSerialNumber())
                        .putLabels("x", "y")
                        .build()));
    assertThat(noMask.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(noMask)).isEqualTo("update_mask");
    StatusRuntimeException otherPath =
        failure(
            () ->
                certificates.updateCertificate(
                    UpdateCertificateRequest.newBuilder()
                        .setSerialNumber(a.getSerialNumber())
                        .setUpdateMask(FieldMask.newBuilder().addPaths("not_after"))
                        .build()));
    assertThat(field(otherPath)).isEqualTo("update_mask");
    StatusRuntimeException badKey =
        failure(
            () ->
                certificates.updateCertificate(
                    UpdateCertificateRequest.newBuilder()
                        .setSerialNumber(a.getSerialNumber())
                        .putLabels("Bad Key", "y")
                        .setUpdateMask(FieldMask.newBuilder().addPaths("labels"))
                        .build()));
    assertThat(badKey.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(badKey)).isEqualTo("labels");
    StatusRuntimeException badFilter =
        failure(() -> certificates.list(ListRequest.newBuilder().addLabels("novalue").build()));
    assertThat(field(badFilter)).isEqualTo("labels[0]");
    assertThat(get(a.getSerialNumber()).getLabelsMap()).isEqualTo(updated.getLabelsMap());

    // A principal with no UPDATE grant may not.
    var reader = stubFor("label-reader", Operation.OPERATION_READ);
    StatusRuntimeException denied =
        failure(
            () ->
                reader.updateCertificate(
                    UpdateCertificateRequest.newBuilder()
                        .setSerialNumber(a.getSerialNumber())
                        .setUpdateMask(FieldMask.newBuilder().addPaths("labels"))
                        .build()));
    assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(get(a.getSerialNumber()).getLabelsMap()).isEqualTo(updated.getLabelsMap());
    assertThat(audited(a.getSerialNumber(), "labels set%")).isEqualTo(1);
  }

  @Test
  void deleteRefusesValidCertificatesAndARevokedOneStaysOnTheCrlAndInOcsp() throws Exception {
    Certificate valid =
        certificates.issue(Requests.issue("d-valid.example.com").build()).getCertificate();
    Certificate revoked =
        certificates
            .issue(Requests.issue("d-revoked.example.com").setName("d-revoked").build())
            .getCertificate();
    certificates.revoke(
        Requests.revoke(
            revoked.getSerialNumber(), RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));

    DeleteCertificatesResponse answer =
        certificates.deleteCertificates(
            DeleteCertificatesRequest.newBuilder()
                .addSerialNumbers(valid.getSerialNumber())
                .addSerialNumbers("0badc0de")
                .addNames("d-revoked")
                .build());
    List<DeleteResult> results = answer.getResultsList();
    assertThat(results).hasSize(3);
    assertThat(results.get(0).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION.value());
    assertThat(results.get(0).getMessage()).contains("revoke it first");
    assertThat(results.get(1).getCode()).isEqualTo(Status.Code.NOT_FOUND.value());
    assertThat(results.get(2).getCode()).isEqualTo(Status.Code.OK.value());
    assertThat(results.get(2).getSerialNumber()).isEqualTo(revoked.getSerialNumber());
    assertThat(results.get(2).getName()).isEqualTo("d-revoked");

    // The valid one is untouched; the deleted one is gone from the inventory, its name free.
    assertThat(get(valid.getSerialNumber()).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    StatusRuntimeException gone = failure(() -> get(revoked.getSerialNumber()));
    assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            certificates
                .status(
                    StatusRequest.newBuilder().addSerialNumbers(revoked.getSerialNumber()).build())
                .getStatuses(0)
                .getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_UNKNOWN);
    assertThat(
            certificates
                .issue(Requests.issue("d-again.example.com").setName("d-revoked").build())
                .getCertificate()
                .getName())
        .isEqualTo("d-revoked");
    assertThat(audited(revoked.getSerialNumber(), "deleted")).isEqualTo(1);

    // ... but TLS stacks still see it revoked: on the CRL (as OpenSSL reads it) and in OCSP.
    server.authorities().rebuildCrl(RebuildCrlRequest.getDefaultInstance());
    Path crl = work.resolve("crl.der");
    Files.write(crl, server.sidecar("/v1/crl"));
    String text =
        Tools.openssl(work, "crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-text")
            .requireSuccess()
            .output();
    assertThat(text.replace(":", "").toLowerCase(Locale.ROOT))
        .contains(revoked.getSerialNumber().replaceFirst("^0+", ""));
    byte[] ocsp =
        Ocsp.request(server.running().authorities().defaultIssuer().certificate(), revoked);
    assertThat(Ocsp.status(server.running(), ocsp)).isInstanceOf(RevokedStatus.class);

    StatusRuntimeException tooMany =
        failure(
            () ->
                certificates.deleteCertificates(
                    DeleteCertificatesRequest.newBuilder()
                        .addAllSerialNumbers(java.util.Collections.nCopies(1001, "01"))
                        .build()));
    assertThat(tooMany.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    StatusRuntimeException malformed =
        failure(
            () ->
                certificates.deleteCertificates(
                    DeleteCertificatesRequest.newBuilder()
                        .addSerialNumbers(valid.getSerialNumber())
                        .addNames("Not A Name")
                        .build()));
    assertThat(malformed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(get(valid.getSerialNumber()).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
  }

  @Test
  void aRetriedDeleteAnswersWhatTheFirstDid() {
    Certificate c =
        certificates.issue(Requests.issue("d-retry.example.com").build()).getCertificate();
    certificates.revoke(
        Requests.revoke(c.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    DeleteCertificatesRequest request =
        DeleteCertificatesRequest.newBuilder()
            .addSerialNumbers(c.getSerialNumber())
            .setRequestId(UUID.randomUUID().toString())
            .build();
    DeleteCertificatesResponse first = certificates.deleteCertificates(request);
    assertThat(first.getResults(0).getCode()).isZero();
    assertThat(certificates.deleteCertificates(request)).isEqualTo(first);
    // Without the id, a second delete finds nothing.
    assertThat(
            certificates
                .deleteCertificates(
                    DeleteCertificatesRequest.newBuilder()
                        .addSerialNumbers(c.getSerialNumber())
                        .build())
                .getResults(0)
                .getCode())
        .isEqualTo(Status.Code.NOT_FOUND.value());
  }

  @Test
  void deleteNeedsWhatRevokeNeeds() {
    Certificate c =
        certificates.issue(Requests.issue("d-grant.example.com").build()).getCertificate();
    certificates.revoke(
        Requests.revoke(c.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    DeleteCertificatesRequest request =
        DeleteCertificatesRequest.newBuilder().addSerialNumbers(c.getSerialNumber()).build();
    // May read but not revoke: refused. May do nothing with the profile: not even told it exists.
    assertThat(
            stubFor("delete-reader", Operation.OPERATION_READ)
                .deleteCertificates(request)
                .getResults(0)
                .getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED.value());
    assertThat(
            stubFor("delete-issuer", Operation.OPERATION_ISSUE)
                .deleteCertificates(request)
                .getResults(0)
                .getCode())
        .isEqualTo(Status.Code.NOT_FOUND.value());
    assertThat(get(c.getSerialNumber()).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_REVOKED);
  }

  @Test
  void tidyRemovesWhatExpiredLongerAgoThanTheBufferAndDeleteTakesExpiredOnes() throws Exception {
    Certificate old =
        certificates
            .issue(
                Requests.issue("t-old.example.com")
                    .setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                    .build())
            .getCertificate();
    Certificate expiredOnly =
        certificates
            .issue(
                Requests.issue("t-expired.example.com")
                    .setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                    .build())
            .getCertificate();
    Certificate fresh =
        certificates.issue(Requests.issue("t-fresh.example.com").build()).getCertificate();
    long caRows = rows("SELECT COUNT(*) FROM certificate WHERE profile = ?", "grpca-ca");

    CLOCK.advance(Duration.ofHours(2));
    // Expired: Delete takes it without a revocation.
    assertThat(
            certificates
                .deleteCertificates(
                    DeleteCertificatesRequest.newBuilder()
                        .addSerialNumbers(expiredOnly.getSerialNumber())
                        .build())
                .getResults(0)
                .getCode())
        .isZero();
    // Within the buffer, tidy keeps it.
    TidyResponse early = admin().tidy(TidyRequest.getDefaultInstance());
    assertThat(
            rows("SELECT COUNT(*) FROM certificate WHERE serial_number = ?", old.getSerialNumber()))
        .isEqualTo(1);

    CLOCK.advance(Duration.ofHours(72));
    TidyResponse done = admin().tidy(TidyRequest.getDefaultInstance());
    assertThat(done.getCertificatesRemoved()).isGreaterThanOrEqualTo(2);
    assertThat(done.getExpiredBefore().getSeconds())
        .isEqualTo(CLOCK.instant().minus(Duration.ofHours(72)).getEpochSecond());
    for (Certificate gone : List.of(old, expiredOnly)) {
      assertThat(
              rows(
                  "SELECT COUNT(*) FROM certificate WHERE serial_number = ?",
                  gone.getSerialNumber()))
          .isZero();
      assertThat(
              rows(
                  "SELECT COUNT(*) FROM certificate_name WHERE serial_number = ?",
                  gone.getSerialNumber()))
          .isZero();
    }
    assertThat(get(fresh.getSerialNumber()).getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_EXPIRED);
    assertThat(rows("SELECT COUNT(*) FROM certificate WHERE profile = ?", "grpca-ca"))
        .isEqualTo(caRows);
    assertThat(rows("SELECT COUNT(*) FROM audit_record WHERE detail LIKE ?", "tidy: removed%"))
        .isGreaterThanOrEqualTo(1);
    assertThat(early.getCertificatesRemoved()).isGreaterThanOrEqualTo(0);

    StatusRuntimeException tooShort =
        failure(
            () ->
                admin()
                    .tidy(
                        TidyRequest.newBuilder()
                            .setBuffer(com.google.protobuf.Duration.newBuilder().setSeconds(60))
                            .build()));
    assertThat(tooShort.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(tooShort)).isEqualTo("buffer");
  }

  private static Certificate get(String serial) {
    return certificates
        .get(GetRequest.newBuilder().setSerialNumber(serial).build())
        .getCertificate();
  }

  private static AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
  }

  /** A stub for a new principal granted {@code operation} on every profile. */
  private static CertificateServiceGrpc.CertificateServiceBlockingStub stubFor(
      String name, Operation operation) {
    admin()
        .putPrincipal(
            PutPrincipalRequest.newBuilder()
                .setPrincipal(
                    Principal.newBuilder()
                        .setName(name)
                        .addGrants(Grant.newBuilder().addOperations(operation).addProfiles("*")))
                .build());
    String token =
        admin().createToken(CreateTokenRequest.newBuilder().setPrincipal(name).build()).getToken();
    return CertificateServiceGrpc.newBlockingStub(server.channel(token));
  }

  private static long audited(String serial, String detail) {
    return server.count(
        "SELECT COUNT(*) FROM audit_record WHERE serial = ? AND detail LIKE ?", serial, detail);
  }

  private static long rows(String sql, String arg) {
    return server.count(sql, arg);
  }
}
