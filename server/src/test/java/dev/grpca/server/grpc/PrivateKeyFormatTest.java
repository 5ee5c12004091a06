package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Tools.certtool;
import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.PrivateKeyFormat;
import dev.grpca.server.testing.Chains;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.Pem;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The private keys Issue returns load in every TLS stack: GnuTLS ({@code certtool}, {@code
 * gnutls-serv}, {@code gnutls-cli}), OpenSSL and Java, and belong to the issued certificate.
 */
class PrivateKeyFormatTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  @TempDir Path work;
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    certificates = server.certificates();
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"KEY_TYPE_UNSPECIFIED", "UNRECOGNIZED"},
      mode = EnumSource.Mode.EXCLUDE)
  void thePkcs8KeyLoadsInGnutlsOpensslAndJavaAndIsTheCertificatesKey(KeyType keyType)
      throws Exception {
    IssueResponse issued =
        issue(keyType, PrivateKeyFormat.PRIVATE_KEY_FORMAT_UNSPECIFIED, "keys.example.com");
    String pem = issued.getPrivateKeyPem();
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
    Files.writeString(work.resolve("cert.pem"), issued.getCertificate().getCertificatePem());
    Files.writeString(work.resolve("key.pem"), pem);

    assertLoadsInGnutlsAndOpensslAsTheCertificatesKey(keyType);
    // OpenSSL writes back exactly what it read: the key is in OpenSSL's own PKCS#8 form.
    assertThat(openssl(work, "pkey", "-in", "key.pem").requireSuccess().output()).isEqualTo(pem);

    // Java: KeyFactory reads the PKCS#8, and the key signs what the certificate's key verifies.
    X509Certificate certificate =
        Certificates.parsePem(issued.getCertificate().getCertificatePem());
    KeyAlgorithm algorithm = KeyAlgorithm.valueOf(keyType.name().substring("KEY_TYPE_".length()));
    PrivateKey key =
        KeyFactory.getInstance(certificate.getPublicKey().getAlgorithm())
            .generatePrivate(new PKCS8EncodedKeySpec(der(pem)));
    byte[] message = "grpca".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm.signatureAlgorithm());
    signer.initSign(key);
    signer.update(message);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm.signatureAlgorithm());
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(message);
    assertThat(verifier.verify(signature)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"KEY_TYPE_UNSPECIFIED", "UNRECOGNIZED"},
      mode = EnumSource.Mode.EXCLUDE)
  void theTraditionalFormIsOpensslsAndLoadsInGnutls(KeyType keyType) throws Exception {
    IssueResponse issued =
        issue(keyType, PrivateKeyFormat.PRIVATE_KEY_FORMAT_TRADITIONAL, "keys.example.com");
    String pem = issued.getPrivateKeyPem();
    String type =
        keyType.name().contains("EC_")
            ? "EC PRIVATE KEY"
            : keyType.name().contains("RSA") ? "RSA PRIVATE KEY" : "PRIVATE KEY";
    assertThat(pem).startsWith("-----BEGIN " + type + "-----\n");
    Files.writeString(work.resolve("cert.pem"), issued.getCertificate().getCertificatePem());
    Files.writeString(work.resolve("key.pem"), pem);

    assertLoadsInGnutlsAndOpensslAsTheCertificatesKey(keyType);
    // OpenSSL has no traditional form for Ed25519 either: it writes PKCS#8 there too.
    String[] rewrite =
        keyType == KeyType.KEY_TYPE_ED25519
            ? new String[] {"pkey", "-in", "key.pem"}
            : new String[] {"pkey", "-in", "key.pem", "-traditional"};
    assertThat(openssl(work, rewrite).requireSuccess().output()).isEqualTo(pem);
  }

  @Test
  void theJdksOwnEcEncodingIsWhatGnutlsRefuses() throws Exception {
    // Why PrivateKeys exists: the JDK's PKCS#8 of an EC key has no public key, and GnuTLS fails
    // on it. If this ever loads, certtool stopped being the strict reader these tests rely on.
    PrivateKey jdk = KeyAlgorithm.EC_P256.generate(null, new SecureRandom()).getPrivate();
    Files.writeString(work.resolve("jdk.pem"), Pem.privateKey(jdk.getEncoded()));
    Tools.Result loaded = certtool(work, "-k", "--infile", "jdk.pem");
    assertThat(loaded.exitCode()).as(loaded.output()).isNotZero();
    assertThat(loaded.output()).contains("ASN1 parser");
  }

  @Test
  void anUnknownFormatIsRefusedAndStoresNothing() {
    long before = server.storedCertificates();
    assertThat(
            failure(
                () ->
                    certificates.issue(
                        Requests.issue("bad-format.example.com")
                            .setPrivateKeyFormatValue(99)
                            .build())))
        .satisfies(
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("private_key_format");
            });
    assertThat(server.storedCertificates()).isEqualTo(before);
  }

  @Test
  void issuedEcKeysCompleteAMutualTlsHandshakeBetweenGnutlsServAndGnutlsCli() throws Exception {
    IssueResponse serverCert =
        issue(KeyType.KEY_TYPE_EC_P256, PrivateKeyFormat.PRIVATE_KEY_FORMAT_PKCS8, "localhost");
    IssueResponse clientCert =
        issue(
            KeyType.KEY_TYPE_EC_P384,
            PrivateKeyFormat.PRIVATE_KEY_FORMAT_TRADITIONAL,
            "client.example.com");
    Chains.write(work, serverCert.getCertificate());
    String intermediate = Files.readString(work.resolve("intermediate.pem"));
    Files.writeString(
        work.resolve("server.pem"), serverCert.getCertificate().getCertificatePem() + intermediate);
    Files.writeString(work.resolve("server.key"), serverCert.getPrivateKeyPem());
    Files.writeString(
        work.resolve("client.pem"), clientCert.getCertificate().getCertificatePem() + intermediate);
    Files.writeString(work.resolve("client.key"), clientCert.getPrivateKeyPem());
    int port = TestServer.freePort();
    Process gnutlsServ =
        new ProcessBuilder(
                "gnutls-serv",
                "--port",
                Integer.toString(port),
                "--x509certfile",
                "server.pem",
                "--x509keyfile",
                "server.key",
                "--x509cafile",
                "root.pem",
                "--require-client-cert",
                "--verify-client-cert")
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("gnutls-serv.log").toFile())
            .start();
    try {
      Tools.Result client = null;
      for (int attempt = 0; attempt < 50; attempt++) {
        client =
            Tools.run(
                work,
                List.of(
                    "gnutls-cli",
                    "--port",
                    Integer.toString(port),
                    "--x509cafile",
                    "root.pem",
                    "--x509certfile",
                    "client.pem",
                    "--x509keyfile",
                    "client.key",
                    "localhost"));
        if (!client.output().contains("Connection refused")) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(client.exitCode()).as(client.output()).isZero();
      assertThat(client.output()).contains("The certificate is trusted", "Handshake was completed");
      String serverLog = awaitLog(work.resolve("gnutls-serv.log"), "client.example.com");
      assertThat(serverLog).contains("The certificate is trusted").doesNotContain("NOT trusted");
    } finally {
      gnutlsServ.destroyForcibly();
      gnutlsServ.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** certtool reads the key; GnuTLS and OpenSSL both find in it the certificate's public key. */
  private void assertLoadsInGnutlsAndOpensslAsTheCertificatesKey(KeyType keyType) {
    certtool(work, "-k", "--infile", "key.pem").requireSuccess();
    assertThat(publicKeyPem(certtool(work, "--pubkey-info", "--load-privkey", "key.pem")))
        .isEqualTo(publicKeyPem(certtool(work, "--pubkey-info", "--load-certificate", "cert.pem")));
    if (keyType != KeyType.KEY_TYPE_ED25519) {
      // The private part matches the public one (EC: the point is the scalar's; RSA: n = p q).
      assertThat(
              openssl(work, "pkey", "-in", "key.pem", "-check", "-noout").requireSuccess().output())
          .contains("valid");
    }
    assertThat(openssl(work, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output())
        .isEqualTo(openssl(work, "x509", "-in", "cert.pem", "-noout", "-pubkey").output());
  }

  private static IssueResponse issue(KeyType keyType, PrivateKeyFormat format, String dnsName) {
    return certificates.issue(
        Requests.issue(dnsName)
            .setKeyType(keyType)
            .setPrivateKeyFormat(format)
            .setLifetime(Duration.newBuilder().setSeconds(3600))
            .build());
  }

  /** The PEM block of a public key in certtool's output (it prints a description first). */
  private static String publicKeyPem(Tools.Result result) {
    String out = result.requireSuccess().output();
    int begin = out.indexOf("-----BEGIN PUBLIC KEY-----");
    int end = out.indexOf("-----END PUBLIC KEY-----");
    assertThat(begin).as(out).isNotNegative();
    return out.substring(begin, end);
  }

  private static byte[] der(String pem) {
    return Base64.getMimeDecoder()
        .decode(pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").strip());
  }

  /** gnutls-serv's log once it names {@code text} (it writes after the client has gone). */
  private static String awaitLog(Path log, String text) throws Exception {
    String content = "";
    for (int i = 0; i < 100 && !content.contains(text); i++) {
      content = Files.readString(log);
      if (!content.contains(text)) {
        Thread.sleep(50);
      }
    }
    return content;
  }
}
