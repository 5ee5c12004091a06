package dev.grpca.server.client;

import dev.grpca.client.cli.Grpca;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The CLI's own entry point run in this JVM, its output captured. */
final class CliRuns {
  private CliRuns() {}

  /** What one command line printed, and its exit status. */
  record Run(int code, String out, String err) {}

  static Run grpca(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Grpca.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of());
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
