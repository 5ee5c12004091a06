package dev.grpca.server.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.grpca.server.client.CliRuns.Run;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code grpca agent} against a real server, with certificates 15 s long: it renews each at two
 * thirds of its life over mutual TLS with the certificate itself (no token), twice, with a server
 * restart between the two; a reader polling the directory meanwhile never sees a file half written
 * or a certificate that does not go with the key; the reload command runs once per renewal.
 */
class AgentTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  @TempDir Path work;

  @Test
  void renewsBeforeExpiryAtomicallyOncePerReloadAcrossARestart() throws Exception {
    TestServer server = SERVER.server();
    Profiles.createFromDefault(
        server,
        "agent-short",
        p ->
            p.setDefaultLifetime(Duration.newBuilder().setSeconds(15))
                .setMaxLifetime(Duration.newBuilder().setSeconds(15))
                .setBackdate(Duration.newBuilder().setSeconds(1)));
    Path dir = work.resolve("svc");
    String none = work.resolve("no-config.json").toString();
    Run issued =
        CliRuns.grpca(
            "issue",
            "agent-svc",
            "--dns",
            "agent.example.com",
            "--profile",
            "agent-short",
            "--out",
            dir.toString(),
            "--config",
            none,
            "--address",
            server.target(),
            "--ca-file",
            server.rootPem().toString(),
            "--token-file",
            server.config().adminTokenFile().toString());
    assertThat(issued.code()).as(issued.err()).isZero();
    byte[] key = Files.readAllBytes(dir.resolve("key.pem"));
    PublicKey publicKey = certificate(Files.readAllBytes(dir.resolve("cert.pem"))).getPublicKey();

    // A reader, as a TLS server reloading its files would be.
    AtomicBoolean reading = new AtomicBoolean(true);
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<String> broken = new AtomicReference<>();
    Set<String> serials = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
    Thread reader =
        new Thread(
            () -> {
              while (reading.get() && broken.get() == null) {
                try {
                  X509Certificate c = certificate(Files.readAllBytes(dir.resolve("cert.pem")));
                  if (!c.getPublicKey().equals(publicKey)
                      || !Arrays.equals(Files.readAllBytes(dir.resolve("key.pem")), key)) {
                    broken.set("cert.pem and key.pem do not match");
                  }
                  serials.add(c.getSerialNumber().toString(16));
                  reads.incrementAndGet();
                } catch (Exception e) {
                  broken.set(e.toString());
                }
              }
            });
    reader.start();

    AtomicReference<Run> agentRun = new AtomicReference<>();
    Thread agent =
        new Thread(
            () ->
                agentRun.set(
                    CliRuns.grpca(
                        "agent",
                        "--dir",
                        dir.toString(),
                        "--exec",
                        "echo reloaded >> reloads.log",
                        "--config",
                        none,
                        "--address",
                        server.target(),
                        "--ca-file",
                        server.rootPem().toString())));
    agent.start();
    AssertionError failed = null;
    try {
      awaitSerials(serials, 2, broken);
      server.restartOnItsPort();
      awaitSerials(serials, 3, broken);
      awaitReloads(dir.resolve("reloads.log"), serials.size() - 1);
    } catch (AssertionError e) {
      failed = e;
    } finally {
      agent.interrupt();
      agent.join(30_000);
      reading.set(false);
      reader.join(10_000);
    }
    if (failed != null) {
      throw new AssertionError(
          failed.getMessage() + "\nthe agent said:\n" + agentRun.get().err(), failed);
    }
    assertThat(broken.get()).isNull();
    assertThat(reads.get()).isGreaterThan(100);
    assertThat(agentRun.get().code()).as(agentRun.get().err()).isZero();
    List<String> reloads = Files.readAllLines(dir.resolve("reloads.log"));
    assertThat(reloads).hasSize(serials.size() - 1).containsOnly("reloaded");
    assertThat(
            Tools.openssl(dir, "verify", "-CAfile", "ca.pem", "-untrusted", "chain.pem", "cert.pem")
                .requireSuccess()
                .output())
        .contains("cert.pem: OK");
    // Renewed over mTLS by the certificate itself: each renewal names its predecessor.
    for (String serial : serials.stream().skip(1).toList()) {
      assertThat(
              server.count(
                  "SELECT COUNT(*) FROM certificate WHERE serial_number = ? AND renewed_from IS NOT"
                      + " NULL",
                  serial))
          .isEqualTo(1);
    }
  }

  private static void awaitSerials(Set<String> serials, int count, AtomicReference<String> broken)
      throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (serials.size() < count && broken.get() == null && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(broken.get()).isNull();
    assertThat(serials).hasSizeGreaterThanOrEqualTo(count);
  }

  /** The reload after the last renewal seen may still be running: stopping waits for it too. */
  private static void awaitReloads(Path log, int count) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline
        && (!Files.exists(log) || Files.readAllLines(log).size() < count)) {
      Thread.sleep(50);
    }
  }

  private static X509Certificate certificate(byte[] pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
  }
}
