package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.Subject;
import dev.grpca.server.testing.Calls;
import dev.grpca.server.testing.Chains;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Issue and Sign over real gRPC with TLS, the results checked by OpenSSL. */
class IssueSignGrpcTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  @TempDir Path work;
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  @Test
  void issuedCertificateVerifiesWithOpensslAndMatchesItsKey() throws IOException {
    IssueResponse issued =
        certificates.issue(
            IssueRequest.newBuilder()
                .setProfile("default")
                .setSubject(Subject.newBuilder().setCommonName("svc.example.com"))
                .addIpAddresses("127.0.0.1")
                .putLabels("entity", "backend/42")
                .build());
    Certificate c = issued.getCertificate();
    writeChainOf(c);
    Files.writeString(work.resolve("cert.pem"), c.getCertificatePem());
    Files.writeString(work.resolve("key.pem"), issued.getPrivateKeyPem());

    assertThat(
            openssl(
                    work,
                    "verify",
                    "-CAfile",
                    "root.pem",
                    "-untrusted",
                    "intermediate.pem",
                    "cert.pem")
                .requireSuccess()
                .output())
        .contains("cert.pem: OK");
    String certKey =
        openssl(work, "x509", "-in", "cert.pem", "-noout", "-pubkey").requireSuccess().output();
    String privKey = openssl(work, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output();
    assertThat(privKey).isEqualTo(certKey);
    assertThat(issued.getPrivateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");

    String text =
        openssl(work, "x509", "-in", "cert.pem", "-noout", "-text").requireSuccess().output();
    assertThat(text)
        .contains("DNS:svc.example.com", "IP Address:127.0.0.1")
        .contains("TLS Web Server Authentication, TLS Web Client Authentication")
        .containsPattern("Basic Constraints: critical\\s+CA:FALSE")
        .containsPattern("Key Usage: critical\\s+Digital Signature\\n");
    assertThat(c.getDnsNamesList()).containsExactly("svc.example.com");
    assertThat(c.getIpAddressesList()).containsExactly("127.0.0.1");
    assertThat(c.getSerialNumber()).matches("[0-9a-f]{1,32}");
    assertThat(c.getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    assertThat(c.getRequestedBy()).isEqualTo("admin");
    assertThat(c.getLabelsMap()).containsEntry("entity", "backend/42");
    assertThat(c.getPublicKeyAlgorithm()).isEqualTo("EC P-256");
    // Default lifetime 24h from issuance; notBefore backdated by up to 30 s (never before the
    // issuer's own notBefore, which may be seconds ago in a fresh test server).
    assertThat(c.getNotAfter().getSeconds() - c.getCreateTime().getSeconds())
        .isBetween(86399L, 86400L);
    assertThat(c.getCreateTime().getSeconds() - c.getNotBefore().getSeconds()).isBetween(0L, 31L);
    String fingerprint =
        openssl(work, "x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256")
            .requireSuccess()
            .output();
    assertThat(fingerprint.replace(":", "").toLowerCase()).contains(c.getSha256Fingerprint());
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"KEY_TYPE_EC_P384", "KEY_TYPE_RSA_2048", "KEY_TYPE_RSA_3072", "KEY_TYPE_ED25519"})
  void everyKeyTypeIsIssuedAndVerifies(KeyType keyType) throws IOException {
    IssueResponse issued =
        certificates.issue(
            Requests.issue("keys.example.com")
                .setKeyType(keyType)
                .setLifetime(Duration.newBuilder().setSeconds(3600))
                .build());
    writeChainOf(issued.getCertificate());
    Files.writeString(work.resolve("cert.pem"), issued.getCertificate().getCertificatePem());
    Files.writeString(work.resolve("key.pem"), issued.getPrivateKeyPem());
    openssl(work, "verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "cert.pem")
        .requireSuccess();
    assertThat(openssl(work, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output())
        .isEqualTo(openssl(work, "x509", "-in", "cert.pem", "-noout", "-pubkey").output());
    String text = openssl(work, "x509", "-in", "cert.pem", "-noout", "-text").output();
    if (keyType.name().contains("RSA")) {
      assertThat(text).contains("Digital Signature, Key Encipherment");
    } else {
      assertThat(text).doesNotContain("Key Encipherment");
    }
  }

  @Test
  void twoIssuedCertificatesCompleteAMutualTlsHandshakeInOpenssl() throws Exception {
    IssueResponse serverCert = issueFor("localhost");
    IssueResponse clientCert = issueFor("client.example.com");
    writeChainOf(serverCert.getCertificate());
    Files.writeString(work.resolve("server.pem"), serverCert.getCertificate().getCertificatePem());
    Files.writeString(work.resolve("server.key"), serverCert.getPrivateKeyPem());
    Files.writeString(work.resolve("client.pem"), clientCert.getCertificate().getCertificatePem());
    Files.writeString(work.resolve("client.key"), clientCert.getPrivateKeyPem());
    int port = TestServer.freePort();
    Process sServer =
        new ProcessBuilder(
                "openssl",
                "s_server",
                "-accept",
                "127.0.0.1:" + port,
                "-naccept",
                "1",
                "-cert",
                "server.pem",
                "-key",
                "server.key",
                "-cert_chain",
                "intermediate.pem",
                "-CAfile",
                "root.pem",
                "-Verify",
                "2",
                "-verify_return_error")
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("s_server.log").toFile())
            .start();
    try {
      Tools.Result client = null;
      for (int attempt = 0; attempt < 50; attempt++) {
        client =
            openssl(
                work,
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
                "-cert",
                "client.pem",
                "-key",
                "client.key",
                "-cert_chain",
                "intermediate.pem",
                "-CAfile",
                "root.pem",
                "-verify_return_error",
                "-brief");
        if (!client.output().contains("connect:errno")) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(client.exitCode()).as(client.output()).isZero();
      assertThat(client.output()).contains("Verification: OK");
      assertThat(sServer.waitFor(20, TimeUnit.SECONDS)).isTrue();
      String serverLog = Files.readString(work.resolve("s_server.log"));
      assertThat(serverLog).contains("client.example.com").doesNotContain("verify error");
    } finally {
      sServer.destroyForcibly();
    }
  }

  @Test
  void theJsonInTheReadmeIsWhatGrpcurlWouldSend() throws Exception {
    // grpcurl turns -d JSON into the request with protobuf's JSON mapping, as JsonFormat does.
    IssueRequest.Builder issue = IssueRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"profile\":\"default\",\"subject\":{\"commonName\":\"svc.example.com\"},"
                + "\"ipAddresses\":[\"127.0.0.1\"]}",
            issue);
    assertThat(certificates.issue(issue.build()).getCertificate().getDnsNamesList())
        .containsExactly("svc.example.com");
    newCsr(
        P256,
        "svc.key",
        "-subj",
        "/CN=svc.example.com",
        "-addext",
        "subjectAltName=DNS:svc.example.com",
        "-out",
        "svc.csr");
    SignRequest.Builder sign = SignRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"profile\": \"default\", \"csrPem\": "
                + "\""
                + Files.readString(work.resolve("svc.csr")).replace("\n", "\\n")
                + "\"}",
            sign);
    assertThat(certificates.sign(sign.build()).getCertificate().getCommonName())
        .isEqualTo("svc.example.com");
  }

  @Test
  void signsAnOpensslCsrWithItsNames() throws IOException {
    newCsr(
        P256,
        "csr.key",
        "-out",
        "req.csr",
        "-subj",
        "/CN=csr.example.com/O=Acme",
        "-addext",
        "subjectAltName=DNS:csr.example.com,DNS:alt.example.com,IP:10.0.0.1");
    Certificate c =
        certificates
            .sign(
                SignRequest.newBuilder()
                    .setProfile("default")
                    .setCsrPem(Files.readString(work.resolve("req.csr")))
                    .build())
            .getCertificate();
    writeChainOf(c);
    Files.writeString(work.resolve("cert.pem"), c.getCertificatePem());
    openssl(work, "verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "cert.pem")
        .requireSuccess();
    assertThat(openssl(work, "pkey", "-in", "csr.key", "-pubout").output())
        .isEqualTo(openssl(work, "x509", "-in", "cert.pem", "-noout", "-pubkey").output());
    assertThat(c.getDnsNamesList()).containsExactly("csr.example.com", "alt.example.com");
    assertThat(c.getIpAddressesList()).containsExactly("10.0.0.1");
    assertThat(c.getSubject()).isEqualTo("CN=csr.example.com,O=Acme");
  }

  @Test
  void requestNamesWinOverTheCsrs() throws IOException {
    newCsr("rsa:2048", "csr.key", "-out", "req.csr", "-subj", "/CN=ignored.example.com");
    Certificate c =
        certificates
            .sign(
                SignRequest.newBuilder()
                    .setProfile("default")
                    .setCsrPem(Files.readString(work.resolve("req.csr")))
                    .addDnsNames("Chosen.Example.COM.")
                    .build())
            .getCertificate();
    assertThat(c.getDnsNamesList()).containsExactly("chosen.example.com");
    assertThat(c.getCommonName()).isEmpty();
    assertThat(c.getPublicKeyAlgorithm()).isEqualTo("RSA 2048");
  }

  @Test
  void aCsrWithABrokenSignatureIsRefusedAndNothingIsStored() throws IOException {
    newCsr(
        P256, "csr.key", "-outform", "DER", "-out", "req.der", "-subj", "/CN=broken.example.com");
    byte[] der = Files.readAllBytes(work.resolve("req.der"));
    der[der.length - 3] ^= 0x01; // inside the signature's last INTEGER
    String pem =
        "-----BEGIN CERTIFICATE REQUEST-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
            + "\n-----END CERTIFICATE REQUEST-----\n";
    assertInvalid(
        SignRequest.newBuilder().setProfile("default").setCsrPem(pem).build(),
        "csr_pem",
        "signature does not verify");
  }

  @Test
  void anRsa1024CsrIsRefused() throws IOException {
    newCsr("rsa:1024", "csr.key", "-out", "req.csr", "-subj", "/CN=weak.example.com");
    assertInvalid(
        SignRequest.newBuilder()
            .setProfile("default")
            .setCsrPem(Files.readString(work.resolve("req.csr")))
            .build(),
        "csr_pem",
        "RSA 1024 bits");
  }

  @Test
  void malformedPemIsRefused() {
    assertInvalid(
        SignRequest.newBuilder()
            .setProfile("default")
            .setCsrPem(
                "-----BEGIN CERTIFICATE REQUEST-----\n%%%not base64%%%\n-----END CERTIFICATE REQUEST-----\n")
            .build(),
        "csr_pem",
        "malformed PEM");
    assertInvalid(
        SignRequest.newBuilder().setProfile("default").setCsrPem("hello").build(),
        "csr_pem",
        "no PEM block found");
  }

  @Test
  void oversizedInputIsRefusedBeforeItCostsAnything() {
    assertInvalid(
        SignRequest.newBuilder().setProfile("default").setCsrPem("A".repeat(100_000)).build(),
        "csr_pem",
        "100000 characters (expected: <= 65536)");
    long before = server.storedCertificates();
    StatusRuntimeException e =
        failure(
            () ->
                certificates.sign(
                    SignRequest.newBuilder()
                        .setProfile("default")
                        .setCsrPem("A".repeat(2 << 20))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(server.storedCertificates()).isEqualTo(before);
    // And the server keeps serving.
    assertThat(issueFor("after.example.com").getCertificate().getDnsNamesList())
        .containsExactly("after.example.com");
  }

  @Test
  void anEmptyRequestIsRefused() {
    assertInvalid(SignRequest.getDefaultInstance(), "profile", "required");
    assertInvalid(SignRequest.newBuilder().setProfile("default").build(), "csr_pem", "required");
    long before = server.storedCertificates();
    StatusRuntimeException e = failure(() -> certificates.issue(IssueRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    e = failure(() -> certificates.issue(IssueRequest.newBuilder().setProfile("default").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .contains("needs at least one SAN: a DNS name, IP address, email address or URI");
    assertThat(server.storedCertificates()).isEqualTo(before);
  }

  @Test
  void policyAndLookupErrorsCarryTheirStatus() {
    StatusRuntimeException e =
        failure(
            () ->
                certificates.issue(
                    IssueRequest.newBuilder()
                        .setProfile("nope")
                        .addDnsNames("a.example.com")
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).contains("no profile named 'nope'");

    e =
        failure(
            () ->
                certificates.issue(
                    Requests.issue("a.example.com")
                        .setLifetime(Duration.newBuilder().setSeconds(91L * 86400))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("91d", "max_lifetime 90d");

    e = failure(() -> certificates.issue(Requests.issue("bad_name.example.com").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Calls.field(e)).isEqualTo("dns_names[0]");
  }

  @Test
  void validateOnlyChecksEverythingAndStoresNothing() {
    long before = server.storedCertificates();
    IssueResponse response =
        certificates.issue(Requests.issue("dry.example.com").setValidateOnly(true).build());
    assertThat(response.hasCertificate()).isFalse();
    assertThat(response.getPrivateKeyPem()).isEmpty();
    assertThat(server.storedCertificates()).isEqualTo(before);
  }

  @Test
  void everyIssuedCertificateIsStoredBeforeItIsReturned() {
    long before = server.storedCertificates();
    issueFor("stored.example.com");
    assertThat(server.storedCertificates()).isEqualTo(before + 1);
  }

  @Test
  void callsWithoutTheTokenAreUnauthenticated() {
    var anonymous = CertificateServiceGrpc.newBlockingStub(server.channel(null));
    StatusRuntimeException e =
        failure(() -> anonymous.issue(Requests.issue("x.example.com").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    var wrong = CertificateServiceGrpc.newBlockingStub(server.channel("not-the-admin-token"));
    e = failure(() -> wrong.sign(SignRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void getCaChainReturnsIssuerThenRoot() throws IOException {
    GetCaChainResponse chain =
        server.authorities().getCaChain(GetCaChainRequest.getDefaultInstance());
    assertThat(chain.getChainPem()).endsWith(chain.getRootPem());
    assertThat(chain.getRootPem()).isEqualTo(Files.readString(server.rootPem()));
    assertThat(chain.getChainPem()).isEqualTo(Files.readString(server.chainPem()));
    StatusRuntimeException e =
        failure(
            () ->
                server
                    .authorities()
                    .getCaChain(GetCaChainRequest.newBuilder().setAuthorityId("nope").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  private static final String P256 = "ec:P-256";

  /**
   * {@code openssl req -new} with a new unencrypted key ({@code P256} or e.g. "rsa:2048") written
   * to {@code keyFile}, then the arguments given (subject, extensions, output).
   */
  private void newCsr(String key, String keyFile, String... args) {
    List<String> command = new ArrayList<>(List.of("req", "-new", "-nodes", "-keyout", keyFile));
    command.addAll(
        key.equals(P256)
            ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
            : List.of("-newkey", key));
    command.addAll(List.of(args));
    openssl(work, command.toArray(new String[0])).requireSuccess();
  }

  private IssueResponse issueFor(String name) {
    return certificates.issue(
        IssueRequest.newBuilder()
            .setProfile("default")
            .setSubject(Subject.newBuilder().setCommonName(name))
            .build());
  }

  private void assertInvalid(SignRequest request, String field, String message) {
    long before = server.storedCertificates();
    StatusRuntimeException e = failure(() -> certificates.sign(request));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).startsWith(field + ": ").contains(message);
    assertThat(Calls.field(e)).isEqualTo(field);
    assertThat(server.storedCertificates()).isEqualTo(before);
  }

  /** The chain's files, and the root is the server's. */
  private void writeChainOf(Certificate c) throws IOException {
    assertThat(Chains.write(work, c)).isEqualTo(Files.readString(server.rootPem()));
  }
}
