package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CreateProfileRequest;
import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.Profile;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An expired certificate renews only within its profile's renew_grace. */
class RenewGraceTest {
  @TempDir Path data;

  @Test
  void expiredCertificatesRenewOnlyWithinTheGrace() {
    MutableClock clock = new MutableClock(Instant.now());
    try (TestServer server = TestServer.start(data, clock)) {
      server
          .profiles()
          .createProfile(
              CreateProfileRequest.newBuilder()
                  .setProfile(
                      Profile.newBuilder()
                          .setName("graceful")
                          .setAllowAnyName(true)
                          .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH)
                          .setRenewGrace(Duration.newBuilder().setSeconds(7200)))
                  .build());
      var certificates = server.certificates();
      Certificate strict = issue(certificates, "default");
      Certificate graceful = issue(certificates, "graceful");
      clock.advance(java.time.Duration.ofMinutes(90)); // both expired 30 minutes ago

      StatusRuntimeException e = failure(() -> renew(certificates, strict));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(e.getStatus().getDescription()).contains("renew_grace 0s");
      assertThat(renew(certificates, graceful).getRenewedFrom())
          .isEqualTo(graceful.getSerialNumber());

      clock.advance(java.time.Duration.ofHours(2)); // 2h30m after expiry: past the 2h grace
      e = failure(() -> renew(certificates, graceful));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }
  }

  private static Certificate issue(
      dev.grpca.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub certificates,
      String profile) {
    return certificates
        .issue(
            IssueRequest.newBuilder()
                .setProfile(profile)
                .addDnsNames(profile + ".example.com")
                .setLifetime(Duration.newBuilder().setSeconds(3600))
                .build())
        .getCertificate();
  }

  private static Certificate renew(
      dev.grpca.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub certificates,
      Certificate c) {
    return certificates
        .renew(RenewRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build())
        .getCertificate();
  }
}
