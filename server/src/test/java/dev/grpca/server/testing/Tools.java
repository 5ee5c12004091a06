package dev.grpca.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs real command-line peers (openssl, pkcs11-tool) and captures what they say. */
public final class Tools {
  private Tools() {}

  /** Exit code and combined output of one run. */
  public record Result(int exitCode, String output) {
    public Result requireSuccess() {
      if (exitCode != 0) {
        throw new AssertionError("exit " + exitCode + ":\n" + output);
      }
      return this;
    }
  }

  public static Result run(Path dir, List<String> command) {
    return run(dir, command, Map.of());
  }

  public static Result run(Path dir, List<String> command, Map<String, String> env) {
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
      builder.environment().putAll(env);
      Process process = builder.start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Prometheus's {@code promtool} (Debian's prometheus package, which {@code make deps} installs),
   * with {@code stdin} as its input when not null (e.g. {@code check metrics} reads a scrape).
   */
  public static Result promtool(Path dir, Path stdin, String... args) {
    List<String> command = new java.util.ArrayList<>();
    command.add("promtool");
    command.addAll(List.of(args));
    if (stdin == null) {
      return run(dir, command);
    }
    List<String> shell = List.of("sh", "-c", "exec \"$0\" \"$@\" < \"$GRPCA_STDIN\"");
    List<String> full = new java.util.ArrayList<>(shell);
    full.addAll(command);
    return run(dir, full, Map.of("GRPCA_STDIN", stdin.toString()));
  }

  /**
   * A new EC P-256 key in {@code dir/keyFile} and its CSR (PEM) for {@code subject} (e.g.
   * "/CN=svc.example.com"), made by {@code openssl req}; {@code extra} is added (e.g. "-addext",
   * "subjectAltName=DNS:svc.example.com").
   */
  public static String p256Csr(Path dir, String keyFile, String subject, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                keyFile,
                "-subj",
                subject,
                "-out",
                keyFile + ".csr"));
    args.addAll(List.of(extra));
    openssl(dir, args.toArray(String[]::new)).requireSuccess();
    try {
      return java.nio.file.Files.readString(dir.resolve(keyFile + ".csr"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static Result openssl(Path dir, String... args) {
    List<String> command = new java.util.ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    return run(dir, command);
  }

  /**
   * {@code openssl verify} of {@code cert} against the root {@code caFile} and the chain {@code
   * untrusted}, at {@code at} (a test's MutableClock may be ahead of the real time): its output,
   * having succeeded.
   */
  public static String verifyAt(
      Path dir, java.time.Instant at, String caFile, String untrusted, String cert) {
    return openssl(
            dir,
            "verify",
            "-attime",
            Long.toString(at.getEpochSecond()),
            "-CAfile",
            caFile,
            "-untrusted",
            untrusted,
            cert)
        .requireSuccess()
        .output();
  }

  /** GnuTLS's {@code certtool} (Debian's gnutls-bin). */
  public static Result certtool(Path dir, String... args) {
    List<String> command = new java.util.ArrayList<>();
    command.add("certtool");
    command.addAll(List.of(args));
    return run(dir, command);
  }

  /**
   * {@code openssl ocsp} asking {@code url} about {@code cert}, trusting root.pem in {@code dir}.
   */
  public static String opensslOcsp(Path dir, String issuer, String cert, String url) {
    return openssl(
            dir, "ocsp", "-issuer", issuer, "-cert", cert, "-url", url, "-CAfile", "root.pem")
        .requireSuccess()
        .output();
  }
}
