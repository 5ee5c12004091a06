package dev.grpca.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateEventKind;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.WatchCertificateRequest;
import dev.grpca.proto.v1.WatchCertificateResponse;
import dev.grpca.server.testing.Principals;
import dev.grpca.server.testing.Received;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import io.grpc.Channel;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WatchCertificate over real gRPC: the current certificate first, then its renewals (with the new
 * certificate) and its revocation, by name, by serial (followed across the renewal) and by label
 * selector; resumed without a repeat; refused with the right status for bad selectors and for a
 * caller without READ on the profile.
 */
class WatchCertificateTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  static Channel webReader;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
    var admin = AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    webReader =
        server.channel(
            Principals.token(
                admin,
                "web-reader",
                Grant.newBuilder()
                    .addProfiles("web-server")
                    .addOperations(Operation.OPERATION_READ)
                    .build()));
  }

  private static Received<WatchCertificateRequest, WatchCertificateResponse> watch(
      Channel channel, WatchCertificateRequest request) {
    Received<WatchCertificateRequest, WatchCertificateResponse> r = new Received<>();
    CertificateServiceGrpc.newStub(channel).watchCertificate(request, r);
    return r;
  }

  private static Received<WatchCertificateRequest, WatchCertificateResponse> watch(
      WatchCertificateRequest request) {
    return watch(server.channel(server.adminToken()), request);
  }

  private static Certificate issue(String dns, String name, String... labels) {
    var request = Requests.issue(dns).setName(name);
    for (String label : labels) {
      request.putLabels(label.split("=")[0], label.split("=")[1]);
    }
    return certificates.issue(request.build()).getCertificate();
  }

  private static Certificate renew(String name) {
    return certificates.renew(RenewRequest.newBuilder().setName(name).build()).getCertificate();
  }

  private static void revoke(String serial) {
    certificates.revoke(Requests.revoke(serial, RevocationReason.REVOCATION_REASON_SUPERSEDED));
  }

  @Test
  void byNameTheCurrentCertificateThenItsRenewalThenItsRevocation() throws Exception {
    Certificate first = issue("named.example.com", "watched-by-name");
    var w = watch(WatchCertificateRequest.newBuilder().setName("watched-by-name").build());
    WatchCertificateResponse current = w.next();
    assertThat(current.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_CURRENT);
    assertThat(current.getCertificate().getSerialNumber()).isEqualTo(first.getSerialNumber());

    Certificate renewed = renew("watched-by-name");
    WatchCertificateResponse e = w.next();
    assertThat(e.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_RENEWED);
    assertThat(e.getCertificate().getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    assertThat(e.getCertificate().getRenewedFrom()).isEqualTo(first.getSerialNumber());
    assertThat(e.getCertificate().getCertificatePem()).isEqualTo(renewed.getCertificatePem());

    revoke(renewed.getSerialNumber());
    WatchCertificateResponse r = w.next();
    assertThat(r.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_REVOKED);
    assertThat(r.getCertificate().getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    assertThat(r.getCertificate().getRevocationReason())
        .isEqualTo(RevocationReason.REVOCATION_REASON_SUPERSEDED);
    // Another certificate's revocation is not this stream's business.
    revoke(issue("other.example.com", "not-watched").getSerialNumber());
    assertThat(w.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    w.cancel();
  }

  @Test
  void bySerialTheWatchFollowsTheRenewal() throws Exception {
    Certificate first = issue("serial.example.com", "watched-by-serial");
    var w =
        watch(
            WatchCertificateRequest.newBuilder().setSerialNumber(first.getSerialNumber()).build());
    assertThat(w.next().getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_CURRENT);
    Certificate renewed = renew("watched-by-serial");
    assertThat(w.next().getCertificate().getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    revoke(renewed.getSerialNumber());
    WatchCertificateResponse r = w.next();
    assertThat(r.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_REVOKED);
    assertThat(r.getCertificate().getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    w.cancel();
  }

  @Test
  void byLabelsEveryMatchingCertificateAndNothingElse() throws Exception {
    Certificate a = issue("la.example.com", "labelled-a", "team=watchers", "env=prod");
    Certificate b = issue("lb.example.com", "labelled-b", "team=watchers", "env=prod");
    issue("lc.example.com", "labelled-c", "team=watchers", "env=dev");
    var w =
        watch(
            WatchCertificateRequest.newBuilder()
                .addLabels("team=watchers")
                .addLabels("env=prod")
                .build());
    assertThat(List.of(w.next(), w.next()))
        .extracting(m -> m.getCertificate().getSerialNumber())
        .containsExactly(a.getSerialNumber(), b.getSerialNumber());
    revoke(b.getSerialNumber());
    WatchCertificateResponse r = w.next();
    assertThat(r.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_REVOKED);
    assertThat(r.getCertificate().getSerialNumber()).isEqualTo(b.getSerialNumber());
    assertThat(w.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    w.cancel();
  }

  @Test
  void aResumedWatchGetsWhatItMissedAndNoCurrentAgain() throws Exception {
    Certificate first = issue("resumed.example.com", "watched-resumed");
    var w = watch(WatchCertificateRequest.newBuilder().setName("watched-resumed").build());
    String token = w.next().getResumeToken();
    w.cancel();
    Certificate renewed = renew("watched-resumed");
    var again =
        watch(
            WatchCertificateRequest.newBuilder()
                .setName("watched-resumed")
                .setResumeToken(token)
                .build());
    WatchCertificateResponse e = again.next();
    assertThat(e.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_RENEWED);
    assertThat(e.getCertificate().getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    assertThat(e.getCertificate().getRenewedFrom()).isEqualTo(first.getSerialNumber());
    assertThat(again.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    again.cancel();
  }

  @Test
  void badSelectorsAndMissingGrantsGetTheirStatus() throws Exception {
    Certificate c = issue("guarded.example.com", "guarded");
    assertThat(watch(WatchCertificateRequest.getDefaultInstance()).ended())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            watch(
                    WatchCertificateRequest.newBuilder()
                        .setName("guarded")
                        .setSerialNumber(c.getSerialNumber())
                        .build())
                .ended())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(watch(WatchCertificateRequest.newBuilder().addLabels("no-equals").build()).ended())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            watch(
                    WatchCertificateRequest.newBuilder()
                        .setName("guarded")
                        .setResumeToken("x")
                        .build())
                .ended())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(watch(WatchCertificateRequest.newBuilder().setName("no-such-name").build()).ended())
        .isEqualTo(Status.Code.NOT_FOUND);
    // READ on web-server only: not on the default profile this certificate is under.
    assertThat(
            watch(webReader, WatchCertificateRequest.newBuilder().setName("guarded").build())
                .ended())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    // A selector tells it nothing of certificates it may not read.
    issue("guarded-2.example.com", "guarded-labelled", "team=guarded");
    var w =
        watch(webReader, WatchCertificateRequest.newBuilder().addLabels("team=guarded").build());
    assertThat(w.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    w.cancel();
  }
}
