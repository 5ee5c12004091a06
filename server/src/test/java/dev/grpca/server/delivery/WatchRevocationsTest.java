package dev.grpca.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.WatchRevocationsRequest;
import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.server.CaServer;
import dev.grpca.server.testing.Principals;
import dev.grpca.server.testing.Received;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import io.grpc.Channel;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WatchRevocations over real gRPC: a revocation reaches a watcher within a second, on this server
 * and on a replica; a watcher that drops and resumes with its last token gets what it missed, in
 * order, once; bad requests get their status.
 */
class WatchRevocationsTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  /** A WatchRevocations stream, open. */
  static final class Watch {
    final Received<WatchRevocationsRequest, WatchRevocationsResponse> received = new Received<>();
    final java.util.concurrent.BlockingQueue<WatchRevocationsResponse> events = received.messages;

    static Watch open(Channel channel, WatchRevocationsRequest request) {
      Watch w = new Watch();
      CertificateServiceGrpc.newStub(channel).watchRevocations(request, w.received);
      return w;
    }

    WatchRevocationsResponse next() throws InterruptedException {
      return received.next();
    }

    void cancel() {
      received.cancel();
    }
  }

  private static Channel admin() {
    return server.channel(server.adminToken());
  }

  private static String revoke(String dns) {
    String serial =
        certificates.issue(Requests.issue(dns).build()).getCertificate().getSerialNumber();
    certificates.revoke(Requests.revoke(serial, RevocationReason.REVOCATION_REASON_KEY_COMPROMISE));
    return serial;
  }

  /**
   * Opens a watch and makes sure it is live before the test goes on: the call reaches the server
   * some time after it is opened, and only revocations after that are "from now on". So revoke a
   * probe (here, on the first server) until one arrives, then read up to the newest probe.
   */
  private static Watch live(Channel channel, WatchRevocationsRequest request) throws Exception {
    Watch w = Watch.open(channel, request);
    for (int attempt = 0; attempt < 10; attempt++) {
      String probe = revoke("probe-" + System.nanoTime() + ".example.com");
      WatchRevocationsResponse e = w.events.poll(1, TimeUnit.SECONDS);
      if (e != null) {
        while (!e.getSerialNumber().equals(probe)) {
          e = w.next();
        }
        return w;
      }
    }
    throw new AssertionError("the watch never got a revocation");
  }

  @Test
  void aRevocationReachesAWatcherWithinASecond() throws Exception {
    Watch w = live(admin(), WatchRevocationsRequest.getDefaultInstance());
    String serial = revoke("watched.example.com");
    WatchRevocationsResponse e = w.next();
    assertThat(e.getSerialNumber()).isEqualTo(serial);
    assertThat(e.getReason()).isEqualTo(RevocationReason.REVOCATION_REASON_KEY_COMPROMISE);
    assertThat(e.getAuthorityId()).isNotEmpty();
    assertThat(e.getResumeToken()).matches("[0-9]+");
    w.cancel();
  }

  @Test
  void aWatcherThatResumesGetsWhatItMissedInOrderOnce() throws Exception {
    Watch first = live(admin(), WatchRevocationsRequest.getDefaultInstance());
    String a = revoke("a.example.com");
    WatchRevocationsResponse seen = first.next();
    assertThat(seen.getSerialNumber()).isEqualTo(a);
    first.cancel();

    List<String> missed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      missed.add(revoke("missed-" + i + ".example.com"));
    }
    Watch again =
        Watch.open(
            admin(),
            WatchRevocationsRequest.newBuilder().setResumeToken(seen.getResumeToken()).build());
    List<String> got = new ArrayList<>();
    for (int i = 0; i < missed.size(); i++) {
      got.add(again.next().getSerialNumber());
    }
    assertThat(got).containsExactlyElementsOf(missed);
    String after = revoke("after.example.com");
    assertThat(again.next().getSerialNumber()).isEqualTo(after);
    // Once: nothing more comes.
    assertThat(again.events.poll(700, TimeUnit.MILLISECONDS)).isNull();
    again.cancel();
  }

  @Test
  void aRevocationOnOneReplicaReachesAWatcherOnAnother() throws Exception {
    try (CaServer second = server.startReplica()) {
      // Revoked on the first server, told by the second.
      Watch w = live(server.adminChannel(second), WatchRevocationsRequest.getDefaultInstance());
      String next = revoke("replica-2.example.com");
      assertThat(w.next().getSerialNumber()).isEqualTo(next);
      w.cancel();
    }
  }

  @Test
  void aPrincipalHasAtMostAHundredStreamsOpen() throws Exception {
    var admin =
        dev.grpca.proto.v1.AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    Channel channel = server.channel(Principals.token(admin, "many-streams"));
    List<Watch> open = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      open.add(Watch.open(channel, WatchRevocationsRequest.getDefaultInstance()));
    }
    // All hundred are counted once a revocation has reached each of them.
    for (int round = 0; round < 10 && !open.stream().allMatch(w -> !w.events.isEmpty()); round++) {
      revoke("count-" + round + ".example.com");
      Thread.sleep(500);
    }
    assertThat(open).allSatisfy(w -> assertThat(w.events).isNotEmpty());
    Watch extra = Watch.open(channel, WatchRevocationsRequest.getDefaultInstance());
    assertThat(extra.received.ended()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    // One hangs up: its slot is free again once the server has seen it go.
    open.remove(0).cancel();
    boolean reopened = false;
    for (int attempt = 0; attempt < 20 && !reopened; attempt++) {
      Watch again = Watch.open(channel, WatchRevocationsRequest.getDefaultInstance());
      Thread.sleep(300);
      if (again.received.end.isDone()) {
        assertThat(again.received.ended()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      } else {
        open.add(again);
        reopened = true;
      }
    }
    assertThat(reopened).as("a stream opens again").isTrue();
    open.forEach(Watch::cancel);
  }

  @Test
  void badRequestsGetTheirStatus() throws Exception {
    for (var request :
        List.of(
            WatchRevocationsRequest.newBuilder().setResumeToken("abc").build(),
            WatchRevocationsRequest.newBuilder().setResumeToken("-1").build(),
            WatchRevocationsRequest.newBuilder().setAuthorityId("no-such-ca").build())) {
      Watch w = Watch.open(admin(), request);
      assertThat(w.received.ended())
          .as(request.toString())
          .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND);
    }
    Watch anonymous =
        Watch.open(server.channel("not-a-token"), WatchRevocationsRequest.getDefaultInstance());
    assertThat(anonymous.received.ended()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }
}
