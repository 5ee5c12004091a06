package dev.grpca.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.RetryInfo;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.server.CaServer;
import dev.grpca.server.config.proto.RateLimit;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.testing.Configured;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Principals;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Per-principal rate limits: the looping client is stopped, everyone else goes on. */
@ExtendWith(TestServers.class)
class RateLimitTest {

  @Test
  @Configured("threeCertificatesAnHourEach")
  void aClientOverItsLimitIsToldWhenToRetryAndOthersAreUnaffected(
      TestServer server, MutableClock clock) throws Exception {
    AdminServiceGrpc.AdminServiceBlockingStub admin =
        AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    String token = Principals.issuerToken(admin, "looper");
    var looper = CertificateServiceGrpc.newBlockingStub(server.channel(token));
    for (int i = 0; i < 3; i++) {
      looper.issue(request("loop" + i + ".example.com"));
    }
    long stored = server.storedCertificates();
    StatusRuntimeException e =
        catchThrowableOfType(
            () -> looper.issue(request("loop3.example.com")), StatusRuntimeException.class);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .contains("3 per 1h for principal 'looper'")
        .contains("retry in 20m");
    RetryInfo retry =
        StatusProto.fromThrowable(e).getDetailsList().stream()
            .filter(d -> d.is(RetryInfo.class))
            .findFirst()
            .orElseThrow()
            .unpack(RetryInfo.class);
    assertThat(retry.getRetryDelay().getSeconds()).isBetween(1190L, 1200L);
    assertThat(server.storedCertificates()).isEqualTo(stored);

    // Another principal has a bucket of its own.
    server.certificates().issue(request("admin.example.com"));

    // A third of the hour later, one certificate's worth has come back.
    clock.advance(Duration.ofMinutes(20));
    looper.issue(request("later.example.com"));
    assertThat(
            catchThrowableOfType(
                    () -> looper.issue(request("again.example.com")), StatusRuntimeException.class)
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  @Configured("threeCertificatesAnHourEach")
  void aRetryWithTheSameRequestIdCostsNoCertificateOfTheLimit(TestServer server) throws Exception {
    AdminServiceGrpc.AdminServiceBlockingStub admin =
        AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    var client =
        CertificateServiceGrpc.newBlockingStub(
            server.channel(Principals.issuerToken(admin, "retrier")));
    IssueRequest first = Requests.issue("retry0.example.com").setRequestId("retry-0").build();
    String serial = client.issue(first).getCertificate().getSerialNumber();
    client.issue(Requests.issue("retry1.example.com").setRequestId("retry-1").build());
    // Retries of answered calls are answered from the store, however many there are.
    for (int i = 0; i < 5; i++) {
      var again = client.issue(first);
      assertThat(again.getRepeat()).isTrue();
      assertThat(again.getCertificate().getSerialNumber()).isEqualTo(serial);
    }
    // So the third certificate of the hour is still there, and the fourth is not.
    client.issue(Requests.issue("retry2.example.com").setRequestId("retry-2").build());
    StatusRuntimeException e =
        catchThrowableOfType(
            () ->
                client.issue(Requests.issue("retry3.example.com").setRequestId("retry-3").build()),
            StatusRuntimeException.class);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  @Configured("threeDefaultCertificatesAnHour")
  void twoReplicasOnOneDatabaseShareTheBuckets(TestServer first) throws Exception {
    // A second server process on the same database and token, on ports of its own.
    try (CaServer second = first.startReplica()) {
      var one = first.certificates();
      ManagedChannel channel = first.adminChannel(second);
      try {
        var two = CertificateServiceGrpc.newBlockingStub(channel);
        one.issue(request("r1.example.com"));
        two.issue(request("r2.example.com"));
        one.issue(request("r3.example.com"));
        for (var replica : List.of(one, two)) {
          assertThat(
                  catchThrowableOfType(
                          () -> replica.issue(request("r4.example.com")),
                          StatusRuntimeException.class)
                      .getStatus()
                      .getCode())
              .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static IssueRequest request(String name) {
    return Requests.issue(name).build();
  }

  static void threeCertificatesAnHourEach(ServerConfigFile.Builder file) {
    file.addRateLimits(threeAnHour().setPrincipal("*"));
  }

  static void threeDefaultCertificatesAnHour(ServerConfigFile.Builder file) {
    file.addRateLimits(threeAnHour().setProfile("default"));
  }

  private static RateLimit.Builder threeAnHour() {
    return RateLimit.newBuilder()
        .setCertificates(3)
        .setPer(com.google.protobuf.Duration.newBuilder().setSeconds(3600));
  }
}
