package dev.grpca.client.cli;

import dev.grpca.client.ClientConfig;
import dev.grpca.client.GrpcaClient;
import dev.grpca.client.GrpcaException;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.RenewRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Keeps the certificate in a directory fresh: renews it before it expires, authenticating with the
 * certificate itself over mutual TLS (no token), writes the new files whole, and runs a reload
 * command once per renewal. While the server cannot be reached it tries again with a backoff and
 * jitter; it stops, with the exit status of the refusal, when the server refuses the renewal (the
 * certificate was revoked, or expired beyond its profile's grace).
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description =
        "Keep the certificate in --dir (cert.pem, key.pem, chain.pem, ca.pem, as 'grpca issue"
            + " --out' writes them) renewed: at two thirds of its lifetime, or --renew-before its"
            + " end. Authenticates with that certificate; runs --exec after each renewal.")
final class AgentCommand implements Callable<Integer> {
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  private static final Duration CHECK_EVERY = Duration.ofMinutes(1);

  @Spec CommandSpec spec;
  @Mixin Connection connection;

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The directory.")
  Path dir;

  @Option(
      names = "--exec",
      paramLabel = "COMMAND",
      description = "Run by 'sh -c' after each renewal (e.g. 'systemctl reload nginx').")
  String exec;

  @Option(
      names = "--renew-before",
      paramLabel = "DURATION",
      description = "Renew this long before the end (default: with a third of the lifetime left).")
  String renewBefore;

  @Option(names = "--once", description = "Renew if it is due, then exit.")
  boolean once;

  @Override
  public Integer call() throws Exception {
    Grpca grpca = Grpca.of(spec);
    Duration before =
        renewBefore == null
            ? null
            : Duration.ofSeconds(
                CertificateCommands.duration("--renew-before", renewBefore).getSeconds());
    int failures = 0;
    Instant told = null;
    while (true) {
      X509Certificate current = read(dir.resolve("cert.pem"));
      Instant due = dueAt(current, before);
      Instant now = Instant.now();
      if (now.isBefore(due)) {
        if (once) {
          grpca.out.println("not due: renewal at " + due);
          return ExitCodes.OK;
        }
        if (!due.equals(told)) {
          log(grpca, "certificate " + current.getSerialNumber().toString(16) + " renews at " + due);
          told = due;
        }
        // A minute at most: the clock may jump, the machine sleep, the files change.
        if (!pause(min(Duration.between(now, due), CHECK_EVERY))) {
          return ExitCodes.OK;
        }
        continue;
      }
      try {
        Certificate renewed = renew(grpca, current);
        failures = 0;
        log(
            grpca,
            "renewed: "
                + renewed.getSerialNumber()
                + " until "
                + CertificateCommands.time(renewed.getNotAfter()));
        // Written files get their reload, even when the agent is being stopped meanwhile.
        reload(grpca);
        if (once || Thread.currentThread().isInterrupted()) {
          return ExitCodes.OK;
        }
      } catch (GrpcaException e) {
        if (Thread.currentThread().isInterrupted()) {
          return ExitCodes.OK; // stopped during the call: not the server's answer
        }
        if (!e.isRetryable()) {
          grpca.err.println("grpca: agent: " + Grpca.message(e));
          return ExitCodes.of(e.kind());
        }
        failures++;
        Duration wait = e.retryDelay().orElse(backoff(failures));
        log(grpca, "server unavailable (" + e.description() + "); trying again in " + wait);
        if (once || !pause(wait)) {
          return once ? ExitCodes.UNAVAILABLE : ExitCodes.OK;
        }
      } catch (IllegalStateException e) {
        if (Thread.currentThread().isInterrupted()) {
          return ExitCodes.OK; // stopped while the client waited to retry
        }
        throw e;
      }
    }
  }

  /** Renews {@code current} over mutual TLS with itself, and writes the new files. */
  private Certificate renew(Grpca grpca, X509Certificate current) throws IOException {
    ClientConfig config =
        connection
            .resolve(grpca.env)
            .withCertificate(dir.resolve("cert.pem"), dir.resolve("key.pem"));
    try (GrpcaClient client = GrpcaClient.connect(config)) {
      Certificate renewed =
          client
              .renew(
                  RenewRequest.newBuilder()
                      .setSerialNumber(current.getSerialNumber().toString(16))
                      .build())
              .getCertificate();
      // The key stays: a renewal keeps the public key, so cert.pem and key.pem always match.
      CertificateCommands.writeBundle(dir, renewed, "");
      return renewed;
    }
  }

  /**
   * Runs {@code --exec} to its end. A stop asked for meanwhile waits for it (the files are already
   * written, and the service must load them), and is kept for the caller to see.
   */
  private void reload(Grpca grpca) throws IOException {
    if (exec == null) {
      return;
    }
    Process p = new ProcessBuilder("sh", "-c", exec).directory(dir.toFile()).inheritIO().start();
    boolean stopped = false;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    boolean finished = false;
    while (!finished) {
      try {
        finished = p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (!finished) {
          break;
        }
      } catch (InterruptedException e) {
        stopped = true;
      }
    }
    if (stopped) {
      Thread.currentThread().interrupt();
    }
    if (!finished) {
      p.destroyForcibly();
      log(grpca, "--exec did not finish in 5 minutes; stopped it");
    } else if (p.exitValue() != 0) {
      log(grpca, "--exec exited with " + p.exitValue());
    }
  }

  /** When {@code c} is due: {@code before} its end, or at two thirds of its lifetime. */
  static Instant dueAt(X509Certificate c, Duration before) {
    Instant start = c.getNotBefore().toInstant();
    Instant end = c.getNotAfter().toInstant();
    return before != null
        ? end.minus(before)
        : start.plus(Duration.between(start, end).multipliedBy(2).dividedBy(3));
  }

  /** 1 s doubled each failure up to 5 minutes, between half and all of it at random. */
  static Duration backoff(int failures) {
    long ceiling =
        Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 20));
    return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  /** Sleeps; false when interrupted (the agent is being stopped). */
  private static boolean pause(Duration d) {
    try {
      Thread.sleep(Math.max(0, d.toMillis()));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static X509Certificate read(Path file) throws IOException {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(file)));
    } catch (CertificateException e) {
      throw new CliException(ExitCodes.LOCAL_FILE, file + ": not a PEM certificate: " + e);
    }
  }

  private static void log(Grpca grpca, String line) {
    grpca.err.println(Instant.now() + " grpca agent: " + line);
  }
}
