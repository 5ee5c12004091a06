package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.server.testing.InProcessCa;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Requests;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An expired certificate renews only within its profile's renew_grace. */
class RenewGraceTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  @RegisterExtension static final InProcessCa CA = new InProcessCa(CLOCK);

  @Test
  void expiredCertificatesRenewOnlyWithinTheGrace() {
    CA.profiles()
        .createProfile(
            Profiles.create(
                Profiles.anyNameClient("graceful")
                    .setRenewGrace(Profiles.duration(Duration.ofHours(2)))));
    CertificateServiceBlockingStub certificates = CA.certificates();
    Certificate strict = issue(certificates, "default");
    Certificate graceful = issue(certificates, "graceful");
    CLOCK.advance(Duration.ofMinutes(90)); // both expired 30 minutes ago

    StatusRuntimeException e = failure(() -> renew(certificates, strict));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).contains("renew_grace 0s");
    assertThat(renew(certificates, graceful).getRenewedFrom())
        .isEqualTo(graceful.getSerialNumber());

    CLOCK.advance(Duration.ofHours(2)); // 2h30m after expiry: past the 2h grace
    e = failure(() -> renew(certificates, graceful));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  private static Certificate issue(CertificateServiceBlockingStub certificates, String profile) {
    return certificates
        .issue(
            Requests.issue(profile + ".example.com")
                .setProfile(profile)
                .setLifetime(Profiles.duration(Duration.ofHours(1)))
                .build())
        .getCertificate();
  }

  private static Certificate renew(CertificateServiceBlockingStub certificates, Certificate c) {
    return certificates
        .renew(RenewRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build())
        .getCertificate();
  }
}
