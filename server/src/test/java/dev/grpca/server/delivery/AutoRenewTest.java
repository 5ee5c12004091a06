package dev.grpca.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AutoRenew;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateDownloadTokenRequest;
import dev.grpca.proto.v1.Download;
import dev.grpca.proto.v1.GetProfileRequest;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.KeyDelivery;
import dev.grpca.proto.v1.Profile;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.UpdateProfileRequest;
import dev.grpca.server.CaServer;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import dev.grpca.server.x509.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-side auto-renewal over real gRPC, with a MutableClock: renewed once at renew_before with
 * the same public key (openssl verifies the renewal), never when revoked or opted out, stopped with
 * an audit record when the profile no longer allows the name, and once across two replicas.
 */
class AutoRenewTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension().withClock(CLOCK);
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  @TempDir Path work;

  /** 48h certificates, renewed 12h before they expire. */
  private static final com.google.protobuf.Duration LIFETIME =
      com.google.protobuf.Duration.newBuilder().setSeconds(48 * 3600).build();

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
    for (String name : List.of("auto", "auto-narrow")) {
      Profiles.createFromDefault(
          server,
          name,
          p -> {
            p.setAutoRenew(true)
                .setRenewBefore(com.google.protobuf.Duration.newBuilder().setSeconds(12 * 3600));
            return name.equals("auto-narrow")
                ? p.setAllowAnyName(false).addAllowedDomains("example.com").setAllowSubdomains(true)
                : p;
          });
    }
  }

  private static Certificate issue(String profile, String dns, AutoRenew choice) {
    return certificates
        .issue(
            Requests.issue(dns)
                .setProfile(profile)
                .setLifetime(LIFETIME)
                .setAutoRenew(choice)
                .build())
        .getCertificate();
  }

  private static Certificate byName(String name) {
    return certificates.get(GetRequest.newBuilder().setName(name).build()).getCertificate();
  }

  private static int run() {
    return server.running().autoRenewal().runOnce();
  }

  private static long stopped(String serial) {
    return server.count(
        "SELECT COUNT(*) FROM audit_record WHERE serial = ? AND detail LIKE 'auto-renewal stopped%'",
        serial);
  }

  @Test
  void aCertificateIsRenewedOnceAtRenewBeforeWithTheSamePublicKey() throws Exception {
    Certificate old = issue("auto", "renewed.example.com", AutoRenew.AUTO_RENEW_UNSPECIFIED);
    CLOCK.advance(Duration.ofHours(35));
    run();
    assertThat(byName(old.getName()).getSerialNumber()).isEqualTo(old.getSerialNumber());

    CLOCK.advance(Duration.ofHours(2));
    assertThat(run()).isGreaterThanOrEqualTo(1);
    Certificate renewed = byName(old.getName());
    assertThat(renewed.getSerialNumber()).isNotEqualTo(old.getSerialNumber());
    assertThat(renewed.getRenewedFrom()).isEqualTo(old.getSerialNumber());
    assertThat(Certificates.parsePem(renewed.getCertificatePem()).getPublicKey().getEncoded())
        .isEqualTo(Certificates.parsePem(old.getCertificatePem()).getPublicKey().getEncoded());
    assertThat(renewed.getDnsNamesList()).containsExactly("renewed.example.com");
    Files.writeString(work.resolve("renewed.pem"), renewed.getCertificatePem());
    assertThat(
            Tools.verifyAt(
                work,
                CLOCK.instant(),
                server.rootPem().toString(),
                server.chainPem().toString(),
                "renewed.pem"))
        .contains("renewed.pem: OK");

    // Once: another run renews nothing more of it.
    run();
    assertThat(byName(old.getName()).getSerialNumber()).isEqualTo(renewed.getSerialNumber());
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate WHERE renewed_from = ?", old.getSerialNumber()))
        .isEqualTo(1);
  }

  @Test
  void aCertificateIssuedForDownloadIsRenewedWithItsHeldKeyForTheNewBundle() throws Exception {
    // 20h: due 8h in, while its key is still held (download.key_hold, 24h).
    Certificate old =
        certificates
            .issue(
                Requests.issue("held.example.com")
                    .setProfile("auto")
                    .setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(20 * 3600))
                    .setKeyDelivery(KeyDelivery.KEY_DELIVERY_DOWNLOAD_TOKEN)
                    .build())
            .getCertificate();
    CLOCK.advance(Duration.ofHours(9));
    assertThat(run()).isGreaterThanOrEqualTo(1);
    Certificate renewed = byName(old.getName());
    assertThat(renewed.getRenewedFrom()).isEqualTo(old.getSerialNumber());

    Download download =
        certificates
            .createDownloadToken(
                CreateDownloadTokenRequest.newBuilder().setName(old.getName()).build())
            .getDownload();
    String url =
        "http://127.0.0.1:" + server.running().httpPort() + "/v1/download/" + download.getToken();
    assertThat(
            Tools.run(work, List.of("curl", "-sS", "-o", "r.zip", "-w", "%{http_code}", url))
                .requireSuccess()
                .output())
        .isEqualTo("200");
    Tools.run(work, List.of("unzip", "-o", "r.zip")).requireSuccess();
    assertThat(Files.readString(work.resolve("cert.pem"))).isEqualTo(renewed.getCertificatePem());
    assertThat(Tools.verifyAt(work, CLOCK.instant(), "ca.pem", "chain.pem", "cert.pem"))
        .contains("cert.pem: OK");
    assertThat(Tools.openssl(work, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output())
        .contains("BEGIN PUBLIC KEY")
        .isEqualTo(
            Tools.openssl(work, "x509", "-in", "cert.pem", "-noout", "-pubkey")
                .requireSuccess()
                .output());
    // The renewal's key went with its bundle; the old certificate's is held until its own fetch.
    assertThat(server.database().certificates().heldKey(renewed.getSerialNumber())).isEmpty();
    assertThat(server.database().certificates().heldKey(old.getSerialNumber())).isPresent();
  }

  @Test
  void revokedAndOptedOutCertificatesAreNotRenewedAndOptedInOnesAre() {
    Certificate revoked = issue("auto", "revoked.example.com", AutoRenew.AUTO_RENEW_UNSPECIFIED);
    certificates.revoke(
        Requests.revoke(revoked.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    Certificate out = issue("auto", "out.example.com", AutoRenew.AUTO_RENEW_OFF);
    Certificate in = issue("default", "in.example.com", AutoRenew.AUTO_RENEW_ON);
    Certificate plain = issue("default", "plain.example.com", AutoRenew.AUTO_RENEW_UNSPECIFIED);
    CLOCK.advance(Duration.ofHours(37));
    run();

    for (Certificate c : List.of(revoked, out, plain)) {
      assertThat(
              server.count(
                  "SELECT COUNT(*) FROM certificate WHERE renewed_from = ?", c.getSerialNumber()))
          .as(c.getName())
          .isZero();
    }
    assertThat(stopped(revoked.getSerialNumber())).isEqualTo(1);
    Certificate renewal = byName(in.getName());
    assertThat(renewal.getRenewedFrom()).isEqualTo(in.getSerialNumber());
    // The renewal keeps the choice, and is due in its turn.
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate_renewal WHERE serial_number = ? AND choice = 'ON'"
                    + " AND renew_at IS NOT NULL",
                renewal.getSerialNumber()))
        .isEqualTo(1);
  }

  @Test
  void aProfileThatNoLongerAllowsTheNameStopsTheRenewalWithAnAuditRecord() {
    Certificate c = issue("auto-narrow", "narrow.example.com", AutoRenew.AUTO_RENEW_UNSPECIFIED);
    Profile narrow =
        server
            .profiles()
            .getProfile(GetProfileRequest.newBuilder().setName("auto-narrow").build())
            .getProfile();
    server
        .profiles()
        .updateProfile(
            UpdateProfileRequest.newBuilder()
                .setProfile(
                    narrow.toBuilder().clearAllowedDomains().addAllowedDomains("example.org"))
                .setUpdateMask(
                    com.google.protobuf.FieldMask.newBuilder().addPaths("allowed_domains"))
                .build());
    CLOCK.advance(Duration.ofHours(37));
    run();
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate WHERE renewed_from = ?", c.getSerialNumber()))
        .isZero();
    assertThat(stopped(c.getSerialNumber())).isEqualTo(1);
    // Stopped for good: the next run neither renews it nor writes another record.
    run();
    assertThat(stopped(c.getSerialNumber())).isEqualTo(1);
  }

  @Test
  void twoReplicasRunningAtOnceRenewItOnce() throws Exception {
    List<Certificate> issued = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      issued.add(issue("auto", "twice-" + i + ".example.com", AutoRenew.AUTO_RENEW_UNSPECIFIED));
    }
    CLOCK.advance(Duration.ofHours(37));
    try (CaServer second = server.startReplica()) {
      var pool = Executors.newFixedThreadPool(2);
      try {
        List<Callable<Integer>> runs =
            List.of(() -> server.running().autoRenewal().runOnce(), second.autoRenewal()::runOnce);
        int renewed = 0;
        for (Future<Integer> f : pool.invokeAll(runs)) {
          renewed += f.get();
        }
        assertThat(renewed).isGreaterThanOrEqualTo(issued.size());
      } finally {
        pool.shutdownNow();
      }
    }
    for (Certificate c : issued) {
      assertThat(
              server.count(
                  "SELECT COUNT(*) FROM certificate WHERE renewed_from = ?", c.getSerialNumber()))
          .as(c.getName())
          .isEqualTo(1);
    }
  }
}
