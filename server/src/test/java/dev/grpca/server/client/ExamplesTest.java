package dev.grpca.server.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clients in other languages under {@code examples/}, run as their READMEs run them against a
 * real server over TLS: Python (Debian's grpcio, stubs generated from proto/ by grpc_tools) and
 * Node (@grpc/grpc-js with proto-loader, its packages from {@code make examples-deps}). Each issues
 * a certificate that openssl verifies, has a CSR signed, reads the status, and reads a refusal;
 * Node also watches the certificate until its revocation.
 */
class ExamplesTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();
  static final Path PROTO =
      Path.of("..", "proto", "src", "main", "proto").toAbsolutePath().normalize();
  @TempDir Path work;

  @Test
  void pythonIssuesSignsAndReadsTheStatus() throws Exception {
    TestServer server = SERVER.server();
    Path gen = Files.createDirectories(work.resolve("gen"));
    List<String> protoc =
        new ArrayList<>(
            List.of(
                "/usr/bin/python3",
                "-m",
                "grpc_tools.protoc",
                "-I",
                PROTO.toString(),
                "-I",
                "/usr/lib/python3/dist-packages/grpc_tools/_proto",
                "--python_out=" + gen,
                "--grpc_python_out=" + gen));
    for (String file : List.of("certificate_service", "resources", "profile")) {
      protoc.add(PROTO.resolve("grpca/v1/" + file + ".proto").toString());
    }
    Tools.run(work, protoc).requireSuccess();
    Files.writeString(
        work.resolve("request.csr"),
        Tools.p256Csr(
            work,
            "py-signed.key",
            "/CN=py-signed.example.com",
            "-addext",
            "subjectAltName=DNS:py-signed.example.com"));
    Tools.Result run =
        Tools.run(
            work,
            command(server, "py.example.com", "/usr/bin/python3", "python/grpca_example.py"),
            Map.of("PYTHONPATH", gen.toString()));
    checked(server, run.requireSuccess().output());
  }

  @Test
  void nodeIssuesSignsReadsTheStatusAndWatchesTheRevocation() throws Exception {
    TestServer server = SERVER.server();
    assertThat(EXAMPLES.resolve("node/node_modules/@grpc/grpc-js"))
        .as("the Node example's packages: run 'make examples-deps' (make test does)")
        .isDirectory();
    Files.writeString(
        work.resolve("request.csr"),
        Tools.p256Csr(
            work,
            "node-signed.key",
            "/CN=node-signed.example.com",
            "-addext",
            "subjectAltName=DNS:node-signed.example.com"));
    Tools.Result run =
        Tools.run(work, command(server, "node.example.com", "node", "node/example.js"));
    String output = run.requireSuccess().output();
    checked(server, output);
    String serial = serialAfter("issued", output);
    assertThat(output)
        .contains("watch CERTIFICATE_EVENT_KIND_CURRENT " + serial)
        .contains("watch CERTIFICATE_EVENT_KIND_REVOKED " + serial);
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate WHERE serial_number = ? AND revocation_time IS NOT NULL",
                serial))
        .isEqualTo(1);
  }

  /** How the examples' READMEs run them: against {@code server}, for {@code dns}. */
  private static List<String> command(
      TestServer server, String dns, String interpreter, String program) {
    return List.of(
        interpreter,
        EXAMPLES.resolve(program).toString(),
        "--address",
        server.target(),
        "--ca-file",
        server.rootPem().toString(),
        "--token-file",
        server.config().adminTokenFile().toString(),
        "--dns",
        dns,
        "--csr",
        "request.csr",
        "--out",
        "out");
  }

  /** What both examples print and write: a verified certificate, a signed CSR, the status. */
  private void checked(TestServer server, String output) throws Exception {
    String issued = serialAfter("issued", output);
    String signed = serialAfter("signed", output);
    assertThat(output)
        .contains("status " + issued + " CERTIFICATE_STATE_VALID")
        .contains("refused INVALID_ARGUMENT csr_pem:");
    Path out = work.resolve("out");
    String root = server.rootPem().toString();
    assertThat(
            Tools.openssl(out, "verify", "-CAfile", root, "-untrusted", "chain.pem", "cert.pem")
                .requireSuccess()
                .output())
        .contains("cert.pem: OK");
    assertThat(
            Tools.openssl(out, "verify", "-CAfile", root, "-untrusted", "chain.pem", "signed.pem")
                .requireSuccess()
                .output())
        .contains("signed.pem: OK");
    assertThat(
            Tools.openssl(out, "x509", "-in", "cert.pem", "-noout", "-pubkey")
                .requireSuccess()
                .output())
        .isEqualTo(
            Tools.openssl(out, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output());
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM certificate WHERE serial_number IN (?, ?)", issued, signed))
        .isEqualTo(2);
  }

  private static String serialAfter(String word, String output) {
    Matcher m = Pattern.compile("(?m)^" + word + " ([0-9a-f]+)$").matcher(output);
    assertThat(m.find()).as(output).isTrue();
    return m.group(1);
  }
}
