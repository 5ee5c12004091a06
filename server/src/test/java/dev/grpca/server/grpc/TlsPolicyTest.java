package dev.grpca.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.client.BearerToken;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.server.config.proto.GrpcSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.testing.Configured;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import dev.grpca.server.testing.Tools;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC port speaks TLS 1.3 or 1.2 with AEAD suites only; plaintext only when asked, on
 * loopback.
 */
@ExtendWith(TestServers.class)
class TlsPolicyTest {
  @TempDir Path data;
  @TempDir Path work;

  @Test
  void tls13IsPreferredTls12AllowedWithAeadOnlyAndWeakSuitesRefused(TestServer server) {
    String preferred = handshake(server);
    assertThat(preferred).contains("TLSv1.3").contains("Verify return code: 0 (ok)");

    String tls12 = handshake(server, "-tls1_2");
    assertThat(tls12)
        .containsPattern(
            "Cipher is ECDHE-ECDSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)");

    // A CBC suite without AEAD: the server has none of them.
    String cbc =
        handshake(server, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA");
    assertThat(cbc).doesNotContain("Cipher is ECDHE").contains("alert handshake failure");

    String tls11 = handshake(server, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
    // openssl offers TLS 1.1 here (SECLEVEL=0); the server answers with a protocol_version alert.
    assertThat(tls11).contains("alert protocol version").doesNotContain("Cipher is ECDHE");
  }

  @Test
  @Configured("plaintext")
  void plaintextIsServedOnlyWhenConfiguredOnLoopback(TestServer server) throws Exception {
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(server.target()).usePlaintext().build();
    try {
      var issued =
          CertificateServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(new BearerToken(server.adminToken()))
              .issue(Requests.issue("plain.example.com").build());
      assertThat(issued.getCertificate().getSerialNumber()).isNotEmpty();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void clientCertificatesOfAConfiguredForeignCaAuthenticateTheirPrincipal() throws Exception {
    Tools.openssl(
            work,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=External CA",
            "-days",
            "1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign")
        .requireSuccess();
    Tools.p256Csr(work, "c.key", "/CN=external-svc");
    java.nio.file.Files.writeString(work.resolve("ext.cnf"), "extendedKeyUsage=clientAuth\n");
    Tools.openssl(
            work,
            "x509",
            "-req",
            "-in",
            "c.key.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "c.pem",
            "-days",
            "1",
            "-extfile",
            "ext.cnf")
        .requireSuccess();
    try (TestServer server =
        TestServer.start(
            data,
            Clock.systemUTC(),
            f ->
                f.setGrpc(
                    GrpcSection.newBuilder()
                        .addClientCaFiles(work.resolve("ca.pem").toString())))) {
      dev.grpca.proto.v1.AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()))
          .putPrincipal(
              dev.grpca.proto.v1.PutPrincipalRequest.newBuilder()
                  .setPrincipal(
                      dev.grpca.proto.v1.Principal.newBuilder()
                          .setName("external-svc")
                          .addGrants(
                              dev.grpca.proto.v1.Grant.newBuilder()
                                  .addOperations(dev.grpca.proto.v1.Operation.OPERATION_READ)
                                  .addProfiles("default")))
                  .build());
      ManagedChannel channel =
          server.mtlsChannel(
              java.nio.file.Files.readString(work.resolve("c.pem")),
              java.nio.file.Files.readString(work.resolve("c.key")));
      try {
        var list =
            CertificateServiceGrpc.newBlockingStub(channel)
                .list(dev.grpca.proto.v1.ListRequest.newBuilder().setProfile("default").build());
        assertThat(list.getTotalSize()).isGreaterThanOrEqualTo(0);
        var denied =
            org.assertj.core.api.Assertions.catchThrowableOfType(
                () ->
                    CertificateServiceGrpc.newBlockingStub(channel)
                        .issue(Requests.issue("e.example.com").build()),
                io.grpc.StatusRuntimeException.class);
        assertThat(denied.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
        assertThat(denied.getStatus().getDescription()).contains("'external-svc'");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private String handshake(TestServer server, String... options) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + server.running().port(),
                "-alpn",
                "h2",
                "-CAfile",
                server.rootPem().toString()));
    command.addAll(List.of(options));
    // s_client waits for stdin; an empty one makes it close after the handshake.
    return Tools.run(
            work, List.of("sh", "-c", String.join(" ", quoted(command)) + " </dev/null 2>&1"))
        .output();
  }

  private static List<String> quoted(List<String> words) {
    return words.stream().map(w -> "'" + w + "'").toList();
  }

  static void plaintext(ServerConfigFile.Builder file) {
    file.setGrpc(GrpcSection.newBuilder().setPlaintext(true));
  }
}
