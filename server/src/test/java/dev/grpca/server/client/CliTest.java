package dev.grpca.server.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.GetResponse;
import dev.grpca.proto.v1.ListResponse;
import dev.grpca.server.client.CliRuns.Run;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code grpca} CLI end to end against a real server over TLS (the CLI's own code, run in this
 * JVM with its streams captured): login, issue into a directory that openssl verifies, status, get
 * and list as JSON, revoke and then an OCSP check that says revoked; and bad input, each told in
 * one line naming the field, with the documented exit status.
 */
class CliTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  @TempDir static Path work;
  static Path config;

  @BeforeAll
  static void login() {
    server = SERVER.server();
    config = work.resolve("config.json");
    Run login =
        grpca(
            "login",
            "--config",
            config.toString(),
            "--address",
            server.target(),
            "--ca-file",
            server.rootPem().toString(),
            "--token-file",
            server.config().adminTokenFile().toString());
    assertThat(login.code()).as(login.err()).isZero();
    assertThat(login.out()).contains("context 'default' saved");
  }

  static Run grpca(String... args) {
    return CliRuns.grpca(args);
  }

  /** {@code args} with the test's config file (the options follow the command's name). */
  static Run withConfig(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (args[0].equals("ocsp")) {
      return grpca(args); // It asks the sidecar, as TLS stacks do: no config, no credentials.
    }
    int after = args[0].equals("ca") ? 2 : 1;
    all.addAll(after, List.of("--config", config.toString()));
    return grpca(all.toArray(new String[0]));
  }

  @Test
  void issueVerifyStatusGetListRevokeAndOcsp() throws Exception {
    Path out = work.resolve("svc");
    Run issued = withConfig("issue", "svc", "--dns", "svc.example.com", "--out", out.toString());
    assertThat(issued.code()).as(issued.err()).isZero();
    for (String file : List.of("ca.pem", "chain.pem", "cert.pem", "key.pem")) {
      assertThat(out.resolve(file)).isNotEmptyFile();
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("key.pem"))))
        .isEqualTo("rw-------");
    assertThat(
            Tools.openssl(out, "verify", "-CAfile", "ca.pem", "-untrusted", "chain.pem", "cert.pem")
                .requireSuccess()
                .output())
        .contains("cert.pem: OK");
    String certKey =
        Tools.openssl(out, "x509", "-in", "cert.pem", "-noout", "-pubkey")
            .requireSuccess()
            .output();
    String ownKey =
        Tools.openssl(out, "pkey", "-in", "key.pem", "-pubout").requireSuccess().output();
    assertThat(ownKey).isEqualTo(certKey);

    Run status = withConfig("status", "svc");
    assertThat(status.code()).isZero();
    assertThat(status.out()).contains("svc").contains("valid");

    Run get = withConfig("get", "svc", "--output", "json");
    assertThat(get.code()).isZero();
    GetResponse.Builder got = GetResponse.newBuilder();
    JsonFormat.parser().merge(get.out(), got);
    String serial = got.getCertificate().getSerialNumber();
    assertThat(got.getCertificate().getDnsNamesList()).containsExactly("svc.example.com");
    assertThat(issued.out()).startsWith(serial + " svc ");

    Run list = withConfig("list", "--name-prefix", "svc", "--output", "json");
    assertThat(list.code()).isZero();
    ListResponse.Builder listed = ListResponse.newBuilder();
    JsonFormat.parser().merge(list.out(), listed);
    assertThat(listed.getCertificatesList()).extracting(c -> c.getSerialNumber()).contains(serial);

    Path cert = out.resolve("cert.pem");
    Run good = withConfig("ocsp", "check", cert.toString());
    assertThat(good.code()).as(good.err()).isZero();
    assertThat(good.out()).contains("cert.pem: good");

    Run revoke = withConfig("revoke", serial, "--reason", "key-compromise");
    assertThat(revoke.code()).as(revoke.err()).isZero();
    assertThat(revoke.out()).contains("revoked").contains("key-compromise");
    Run revoked = withConfig("ocsp", "check", cert.toString());
    assertThat(revoked.out())
        .as(revoked.err())
        .contains("cert.pem: revoked")
        .contains("keyCompromise");
    assertThat(revoked.code()).isEqualTo(20);
    assertThat(withConfig("status", serial).out()).contains("revoked");
  }

  @Test
  void badInputIsOneLineNamingTheFieldWithItsExitStatus() throws Exception {
    Profiles.createFromDefault(
        server,
        "cli-narrow",
        p -> p.setAllowAnyName(false).addAllowedDomains("example.com").setAllowSubdomains(true));
    Path bad = work.resolve("bad.csr");
    Files.writeString(
        bad, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
    Path out = work.resolve("never").toAbsolutePath();

    expectOneLine(
        withConfig(
            "issue", "x", "--dns", "x.example.com", "--profile", "nope", "--out", out.toString()),
        6,
        "profile");
    expectOneLine(
        withConfig(
            "issue",
            "y",
            "--dns",
            "y.example.org",
            "--profile",
            "cli-narrow",
            "--out",
            out.toString()),
        5,
        "dns_names");
    expectOneLine(
        withConfig("sign", "--csr", bad.toString(), "--out", out.toString()), 3, "csr_pem");
    // No credentials: no config file, no token.
    expectOneLine(
        grpca(
            "status",
            "--config",
            work.resolve("none.json").toString(),
            "--address",
            server.target(),
            "--ca-file",
            server.rootPem().toString(),
            "svc"),
        4,
        "credentials");
    expectOneLine(
        grpca("status", "--config", work.resolve("none.json").toString(), "svc"),
        11,
        "grpca login");
    assertThat(out).doesNotExist();

    Run usage = grpca("issue");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Missing required parameter: 'NAME'");
    Run help = grpca("issue", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("--dns").contains("--out");
  }

  private static void expectOneLine(Run run, int code, String names) {
    assertThat(run.code()).as(run.err()).isEqualTo(code);
    assertThat(run.err().strip().lines().count()).as(run.err()).isEqualTo(1);
    assertThat(run.err()).startsWith("grpca: ").contains(names);
  }
}
