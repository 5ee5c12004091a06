package dev.grpca.server.delivery;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateDownloadTokenRequest;
import dev.grpca.proto.v1.Download;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.KeyDelivery;
import dev.grpca.proto.v1.Operation;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Principals;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.Secrets;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The one-time download over real gRPC and HTTP: Issue with KEY_DELIVERY_DOWNLOAD_TOKEN, then curl,
 * unzip and openssl on the bundle; single use, expiry (a MutableClock), the key's hold, who may
 * make a token, and that neither the key nor the token is in the database or a log line.
 */
class DownloadTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension().withClock(CLOCK);
  static final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  static CertificateServiceGrpc.CertificateServiceBlockingStub other;
  static ManagedChannel otherChannel;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    logs.start();
    server = SERVER.server();
    certificates = server.certificates();
    var admin = AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    otherChannel =
        server.channel(
            Principals.token(
                admin,
                "other-service",
                Grant.newBuilder()
                    .addProfiles("*")
                    .addOperations(Operation.OPERATION_ISSUE)
                    .addOperations(Operation.OPERATION_READ)
                    .build()));
    other = CertificateServiceGrpc.newBlockingStub(otherChannel);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    otherChannel.shutdownNow();
  }

  private static IssueResponse issueForDownload(String dns) {
    return certificates.issue(
        Requests.issue(dns).setKeyDelivery(KeyDelivery.KEY_DELIVERY_DOWNLOAD_TOKEN).build());
  }

  /** The link's path on the sidecar this test server really listens on. */
  private static String url(Download download) {
    return "http://127.0.0.1:"
        + server.running().httpPort()
        + "/v1/download/"
        + download.getToken();
  }

  /** curl's status code for a GET of {@code url}, the body written to {@code file}. */
  private String curl(String url, String file) {
    return Tools.run(
            work,
            List.of("curl", "-sS", "-o", file, "-D", file + ".headers", "-w", "%{http_code}", url))
        .requireSuccess()
        .output()
        .trim();
  }

  @Test
  void aBundleIsFetchedOnceWithCurlAndVerifiesWithOpenssl() throws Exception {
    Instant before = CLOCK.instant();
    IssueResponse issued = issueForDownload("dl.example.com");
    String serial = issued.getCertificate().getSerialNumber();
    assertThat(issued.getPrivateKeyPem()).isEmpty();
    Download download = issued.getDownload();
    assertThat(download.getToken()).matches("[A-Za-z0-9_-]{43}");
    assertThat(download.getUrl()).endsWith("/v1/download/" + download.getToken());
    assertThat(Instant.ofEpochSecond(download.getExpireTime().getSeconds()))
        .isBetween(before.plus(Duration.ofMinutes(5)).minusSeconds(1), before.plusSeconds(301));

    assertThat(curl(url(download), "b.zip")).isEqualTo("200");
    String headers = Files.readString(work.resolve("b.zip.headers")).toLowerCase();
    assertThat(headers).contains("content-type: application/zip");
    assertThat(headers)
        .contains(
            "content-disposition: attachment; filename=\""
                + issued.getCertificate().getName()
                + ".zip\"");
    assertThat(headers).contains("cache-control: no-store");
    Tools.run(work, List.of("unzip", "-o", "b.zip")).requireSuccess();
    // At the server's time: other tests here move its clock on.
    assertThat(Tools.verifyAt(work, CLOCK.instant(), "ca.pem", "chain.pem", "cert.pem"))
        .contains("cert.pem: OK");
    assertThat(Files.readString(work.resolve("cert.pem")))
        .isEqualTo(issued.getCertificate().getCertificatePem());
    String keyPublic =
        Tools.openssl(work, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output();
    String certPublic =
        Tools.openssl(work, "x509", "-in", "cert.pem", "-noout", "-pubkey")
            .requireSuccess()
            .output();
    assertThat(keyPublic).contains("BEGIN PUBLIC KEY").isEqualTo(certPublic);

    // Once: the second fetch is 404, and the key is gone from the store.
    assertThat(curl(url(download), "again.zip")).isEqualTo("404");
    assertThat(server.database().certificates().heldKey(serial)).isEmpty();
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM audit_record WHERE serial = ? AND detail LIKE"
                    + " 'download token made%'",
                serial))
        .isEqualTo(1);
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM audit_record WHERE serial = ? AND detail LIKE"
                    + " 'bundle downloaded%' AND source LIKE '%127.0.0.1%'",
                serial))
        .isEqualTo(1);

    // Neither the key nor the token is in the database or in any log line.
    byte[] pkcs8 = Secrets.pkcs8(Files.readString(work.resolve("key.pem")));
    byte[] stored = server.storedBytes();
    assertThat(Secrets.contains(stored, serial.getBytes(StandardCharsets.US_ASCII)))
        .as("the test reads the live database")
        .isTrue();
    assertThat(Secrets.contains(stored, pkcs8)).isFalse();
    assertThat(Secrets.contains(stored, Base64.getEncoder().encode(pkcs8))).isFalse();
    assertThat(Secrets.contains(stored, download.getToken().getBytes(StandardCharsets.US_ASCII)))
        .isFalse();
    String keyBase64 = Base64.getEncoder().encodeToString(pkcs8).substring(0, 40);
    assertThat(logs.list)
        .isNotEmpty()
        .allSatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .doesNotContain(keyBase64)
                    .doesNotContain(download.getToken()));
  }

  @Test
  void anExpiredTokenIs404AndANewOneWorksWhileTheKeyIsHeld() {
    IssueResponse issued = issueForDownload("late.example.com");
    CLOCK.advance(Duration.ofMinutes(6));
    assertThat(curl(url(issued.getDownload()), "late.zip")).isEqualTo("404");

    Download again =
        certificates
            .createDownloadToken(
                CreateDownloadTokenRequest.newBuilder()
                    .setName(issued.getCertificate().getName())
                    .build())
            .getDownload();
    assertThat(again.getToken()).isNotEqualTo(issued.getDownload().getToken());
    assertThat(curl(url(again), "late.zip")).isEqualTo("200");
    // Fetched: no key left to make a token for.
    assertThat(
            failure(
                    () ->
                        certificates.createDownloadToken(
                            CreateDownloadTokenRequest.newBuilder()
                                .setSerialNumber(issued.getCertificate().getSerialNumber())
                                .build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void aRepeatOfTheIssueGetsANewLinkWhileTheKeyIsHeld() {
    var request =
        Requests.issue("retry.example.com")
            .setKeyDelivery(KeyDelivery.KEY_DELIVERY_DOWNLOAD_TOKEN)
            .setRequestId("download-retry-1")
            .build();
    IssueResponse first = certificates.issue(request);
    IssueResponse repeat = certificates.issue(request);
    assertThat(repeat.getRepeat()).isTrue();
    assertThat(repeat.getCertificate().getSerialNumber())
        .isEqualTo(first.getCertificate().getSerialNumber());
    assertThat(repeat.getPrivateKeyPem()).isEmpty();
    assertThat(repeat.getDownload().getToken()).isNotEqualTo(first.getDownload().getToken());
    assertThat(curl(url(repeat.getDownload()), "retry.zip")).isEqualTo("200");
    // Both were good for the one key; once it is fetched the other finds nothing.
    assertThat(curl(url(first.getDownload()), "first.zip")).isEqualTo("404");
    IssueResponse late = certificates.issue(request);
    assertThat(late.getRepeat()).isTrue();
    assertThat(late.hasDownload()).isFalse();
  }

  @Test
  void theKeyIsHeldForADayThenSweptAway() {
    IssueResponse issued = issueForDownload("never.example.com");
    String serial = issued.getCertificate().getSerialNumber();
    CLOCK.advance(Duration.ofHours(25));
    var request = CreateDownloadTokenRequest.newBuilder().setSerialNumber(serial).build();
    assertThat(failure(() -> certificates.createDownloadToken(request)).getStatus().getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(server.database().certificates().heldKey(serial)).isPresent();
    assertThat(server.running().downloads().sweep()).isPositive();
    assertThat(server.database().certificates().heldKey(serial)).isEmpty();
  }

  @Test
  void badInputGetsItsStatusAndChangesNothing() {
    IssueResponse issued = issueForDownload("mine.example.com");
    IssueResponse inline = certificates.issue(Requests.issue("inline.example.com").build());
    long tokens = server.count("SELECT COUNT(*) FROM download_token");
    String base = "http://127.0.0.1:" + server.running().httpPort() + "/v1/download/";

    // Malformed, unknown, and a path around the token: all the same 404.
    assertThat(curl(base + "abc", "x")).isEqualTo("404");
    assertThat(curl(base, "x")).isEqualTo("404");
    assertThat(curl(base + HexFormat.of().formatHex(new byte[22]).substring(0, 43), "x"))
        .isEqualTo("404");
    assertThat(curl(base + issued.getDownload().getToken() + "x", "x")).isEqualTo("404");
    assertThat(curl(base + issued.getDownload().getToken() + "/key.pem", "x")).isEqualTo("404");

    // A certificate whose key was returned inline: no key held, no token.
    assertThat(
            failure(
                    () ->
                        certificates.createDownloadToken(
                            CreateDownloadTokenRequest.newBuilder()
                                .setSerialNumber(inline.getCertificate().getSerialNumber())
                                .build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    // Another principal, though it may issue under the profile, gets no token for this key.
    assertThat(
            failure(
                    () ->
                        other.createDownloadToken(
                            CreateDownloadTokenRequest.newBuilder()
                                .setSerialNumber(issued.getCertificate().getSerialNumber())
                                .build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(
            failure(
                    () ->
                        certificates.createDownloadToken(
                            CreateDownloadTokenRequest.newBuilder()
                                .setSerialNumber("7777777777")
                                .build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            failure(
                    () ->
                        certificates.createDownloadToken(
                            CreateDownloadTokenRequest.getDefaultInstance()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    long stored = server.storedCertificates();
    assertThat(
            failure(
                    () ->
                        certificates.issue(
                            Requests.issue("odd.example.com").setKeyDeliveryValue(7).build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(server.storedCertificates()).isEqualTo(stored);
    assertThat(server.count("SELECT COUNT(*) FROM download_token")).isEqualTo(tokens);

    // The real token still works after all that.
    assertThat(curl(url(issued.getDownload()), "mine.zip")).isEqualTo("200");
  }
}
