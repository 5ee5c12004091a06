package dev.grpca.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AutoRenew;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateEventKind;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.GetProfileRequest;
import dev.grpca.proto.v1.Profile;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.UpdateProfileRequest;
import dev.grpca.proto.v1.WatchCertificateRequest;
import dev.grpca.proto.v1.WatchCertificateResponse;
import dev.grpca.proto.v1.WatchRevocationsRequest;
import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.server.CaServer;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Received;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The watch events of time passing, over real gRPC with a MutableClock: EXPIRING when renew_before
 * is reached with no renewal coming (once, across two replicas too; never for a certificate
 * renewed, revoked or renewed by the CA; and when the CA stops renewing one), and the retention of
 * events: a stream that resumes from before what was removed is refused, one after it carries on.
 */
class ExpiringWatchTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());

  @RegisterExtension
  static final ServerExtension SERVER =
      new ServerExtension()
          .withClock(CLOCK)
          .configured(
              c ->
                  c.getWatchBuilder()
                      .setRetention(com.google.protobuf.Duration.newBuilder().setSeconds(3600)));

  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;

  /** 48h certificates, renew_before 12h: due (renewed, or told of) 36h in. */
  private static final com.google.protobuf.Duration LIFETIME =
      com.google.protobuf.Duration.newBuilder().setSeconds(48 * 3600).build();

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
    for (String name : List.of("noticed", "noticed-auto")) {
      Profiles.createFromDefault(
          server,
          name,
          p ->
              p.setAutoRenew(name.endsWith("auto"))
                  .setRenewBefore(com.google.protobuf.Duration.newBuilder().setSeconds(12 * 3600))
                  .setAllowAnyName(false)
                  .addAllowedDomains("example.com")
                  .setAllowSubdomains(true));
    }
  }

  private static Certificate issue(String profile, String dns) {
    return certificates
        .issue(
            Requests.issue(dns)
                .setProfile(profile)
                .setLifetime(LIFETIME)
                .setAutoRenew(AutoRenew.AUTO_RENEW_UNSPECIFIED)
                .build())
        .getCertificate();
  }

  private static Received<WatchCertificateRequest, WatchCertificateResponse> watch(
      WatchCertificateRequest request) {
    Received<WatchCertificateRequest, WatchCertificateResponse> r = new Received<>();
    CertificateServiceGrpc.newStub(server.channel(server.adminToken()))
        .watchCertificate(request, r);
    return r;
  }

  private static long expiringEvents(String serial) {
    return server.count(
        "SELECT COUNT(*) FROM certificate_event WHERE kind = 'EXPIRING' AND serial_number = ?",
        serial);
  }

  private static int notice() {
    return server.running().autoRenewal().noticeOnce();
  }

  @Test
  void aWatcherIsToldOnceWhenRenewBeforeIsReachedWithNoRenewalComing() throws Exception {
    Certificate told = issue("noticed", "told.example.com");
    Certificate renewed = issue("noticed", "renewed-by-hand.example.com");
    Certificate revoked = issue("noticed", "revoked.example.com");
    Certificate auto = issue("noticed-auto", "auto.example.com");
    var w = watch(WatchCertificateRequest.newBuilder().setName(told.getName()).build());
    assertThat(w.next().getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_CURRENT);
    certificates.renew(RenewRequest.newBuilder().setName(renewed.getName()).build());
    certificates.revoke(
        Requests.revoke(revoked.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));

    CLOCK.advance(Duration.ofHours(35));
    notice();
    assertThat(w.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();

    CLOCK.advance(Duration.ofHours(2));
    // (The server's own run, once a minute, may be the one that does it.)
    server.running().autoRenewal().runOnce();
    notice();
    WatchCertificateResponse e = w.next();
    assertThat(e.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_EXPIRING);
    assertThat(e.getCertificate().getSerialNumber()).isEqualTo(told.getSerialNumber());
    assertThat(e.getResumeToken()).isNotEmpty();
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM audit_record WHERE serial = ? AND detail LIKE"
                    + " 'about to expire%'",
                told.getSerialNumber()))
        .isEqualTo(1);

    // Once; and never for one renewed by hand, revoked, or renewed by the CA.
    notice();
    assertThat(w.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    assertThat(expiringEvents(told.getSerialNumber())).isEqualTo(1);
    for (Certificate c : List.of(renewed, revoked, auto)) {
      assertThat(expiringEvents(c.getSerialNumber())).as(c.getName()).isZero();
    }
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate WHERE renewed_from = ?", auto.getSerialNumber()))
        .isEqualTo(1);
    w.cancel();
  }

  @Test
  void aCertificateWhoseAutoRenewalStopsIsToldAsExpiring() throws Exception {
    Certificate c = issue("noticed-auto", "stopped.example.com");
    var w =
        watch(WatchCertificateRequest.newBuilder().setSerialNumber(c.getSerialNumber()).build());
    assertThat(w.next().getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_CURRENT);
    Profile auto =
        server
            .profiles()
            .getProfile(GetProfileRequest.newBuilder().setName("noticed-auto").build())
            .getProfile();
    server
        .profiles()
        .updateProfile(
            UpdateProfileRequest.newBuilder()
                .setProfile(auto.toBuilder().clearAllowedDomains().addAllowedDomains("example.org"))
                .setUpdateMask(
                    com.google.protobuf.FieldMask.newBuilder().addPaths("allowed_domains"))
                .build());
    try {
      CLOCK.advance(Duration.ofHours(37));
      server.running().autoRenewal().runOnce();
      notice();
      WatchCertificateResponse e = w.next();
      assertThat(e.getKind()).isEqualTo(CertificateEventKind.CERTIFICATE_EVENT_KIND_EXPIRING);
      assertThat(e.getCertificate().getSerialNumber()).isEqualTo(c.getSerialNumber());
    } finally {
      server
          .profiles()
          .updateProfile(
              UpdateProfileRequest.newBuilder()
                  .setProfile(auto)
                  .setUpdateMask(
                      com.google.protobuf.FieldMask.newBuilder().addPaths("allowed_domains"))
                  .build());
      w.cancel();
    }
  }

  @Test
  void twoReplicasTellEachCertificateOnce() throws Exception {
    List<Certificate> issued = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      issued.add(issue("noticed", "twice-" + i + ".example.com"));
    }
    CLOCK.advance(Duration.ofHours(37));
    try (CaServer second = server.startReplica()) {
      var pool = Executors.newFixedThreadPool(2);
      try {
        List<Callable<Integer>> runs =
            List.of(
                () -> server.running().autoRenewal().noticeOnce(),
                second.autoRenewal()::noticeOnce);
        for (Future<Integer> f : pool.invokeAll(runs)) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
    }
    for (Certificate c : issued) {
      assertThat(expiringEvents(c.getSerialNumber())).as(c.getName()).isEqualTo(1);
    }
  }

  @Test
  void aStreamResumingFromBeforeWhatRetentionRemovedIsRefusedAndOneAfterItCarriesOn()
      throws Exception {
    Received<WatchRevocationsRequest, WatchRevocationsResponse> w = new Received<>();
    CertificateServiceGrpc.newStub(server.channel(server.adminToken()))
        .watchRevocations(WatchRevocationsRequest.getDefaultInstance(), w);
    // The call reaches the server some time after it is opened, and a revocation before that is
    // not "from now on": revoke probes until one is told (as WatchRevocationsTest.live does).
    String probe = null;
    WatchRevocationsResponse told = null;
    for (int attempt = 0; attempt < 10 && told == null; attempt++) {
      probe = issue("noticed", "probe-" + attempt + ".example.com").getSerialNumber();
      certificates.revoke(Requests.revoke(probe, RevocationReason.REVOCATION_REASON_SUPERSEDED));
      told = w.messages.poll(1, TimeUnit.SECONDS);
    }
    assertThat(told).as("a probe's revocation").isNotNull();
    // Read up to the newest probe, so the next message is the first revocation below.
    while (!probe.equals(told.getSerialNumber())) {
      told = w.next();
    }
    List<String> tokens = new ArrayList<>();
    List<Certificate> revoked = new ArrayList<>();
    for (String dns : List.of("first-gone", "second-gone", "kept")) {
      if (dns.equals("kept")) {
        CLOCK.advance(Duration.ofHours(2));
      }
      Certificate c = issue("noticed", dns + ".example.com");
      certificates.revoke(
          Requests.revoke(c.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
      revoked.add(c);
      tokens.add(w.next().getResumeToken());
    }
    w.cancel();

    // watch.retention is 1h here: the first two revocations' events go, the third's stays.
    assertThat(server.running().events().forget(CLOCK.instant().minus(Duration.ofHours(1))))
        .isGreaterThanOrEqualTo(2);
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate_event WHERE serial_number IN (?, ?)",
                revoked.get(0).getSerialNumber(),
                revoked.get(1).getSerialNumber()))
        .isZero();

    // After the first: the second is gone, so it would miss it.
    Received<WatchRevocationsRequest, WatchRevocationsResponse> late = new Received<>();
    CertificateServiceGrpc.newStub(server.channel(server.adminToken()))
        .watchRevocations(
            WatchRevocationsRequest.newBuilder().setResumeToken(tokens.get(0)).build(), late);
    assertThat(late.ended()).isEqualTo(Status.Code.FAILED_PRECONDITION);

    // After the second, the newest removed: nothing is lost, and it is told of the third.
    Received<WatchRevocationsRequest, WatchRevocationsResponse> resumed = new Received<>();
    CertificateServiceGrpc.newStub(server.channel(server.adminToken()))
        .watchRevocations(
            WatchRevocationsRequest.newBuilder().setResumeToken(tokens.get(1)).build(), resumed);
    WatchRevocationsResponse r = resumed.next();
    assertThat(r.getSerialNumber()).isEqualTo(revoked.get(2).getSerialNumber());
    assertThat(r.getResumeToken()).isEqualTo(tokens.get(2));
    resumed.cancel();
  }
}
