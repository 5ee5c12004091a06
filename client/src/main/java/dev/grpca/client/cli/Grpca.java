package dev.grpca.client.cli;

import dev.grpca.client.GrpcaException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code grpca}, the command line of a grpca CA: certificates on disk in one command, and the
 * operator's calls without grpcurl. Every command has {@code --help}; the exit status says what
 * went wrong ({@link ExitCodes}); a failure is one line on stderr that names the field.
 */
@Command(
    name = "grpca",
    mixinStandardHelpOptions = true,
    versionProvider = Grpca.Version.class,
    description = "Certificates from a grpca CA, and its operators' calls.",
    subcommands = {
      LoginCommand.class,
      CertificateCommands.Issue.class,
      CertificateCommands.Sign.class,
      CertificateCommands.Renew.class,
      CertificateCommands.Revoke.class,
      CertificateCommands.Status.class,
      CertificateCommands.Get.class,
      CertificateCommands.ListCertificates.class,
      CaCommands.class,
      OcspCommands.class,
      AgentCommand.class,
      AutoComplete.GenerateCompletion.class
    })
public final class Grpca {
  final PrintStream out;
  final PrintStream err;
  final Map<String, String> env;

  Grpca(PrintStream out, PrintStream err, Map<String, String> env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** Runs one command line; its exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    Grpca grpca = new Grpca(out, err, env);
    CommandLine line = new CommandLine(grpca);
    line.setOut(new java.io.PrintWriter(out, true));
    line.setErr(new java.io.PrintWriter(err, true));
    line.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          err.println("grpca: " + message(e));
          err.flush();
          return exitCode(e);
        });
    int code = line.execute(args);
    out.flush();
    return code;
  }

  /** The one line a failure is told in. */
  static String message(Exception e) {
    if (e instanceof GrpcaException g) {
      String described = g.description();
      StringBuilder line = new StringBuilder(g.kind().name()).append(": ").append(described);
      for (GrpcaException.FieldViolation v : g.fieldViolations()) {
        if (!described.contains(v.field())) {
          line.append(" [").append(v.field()).append(": ").append(v.description()).append(']');
        }
      }
      g.retryDelay().ifPresent(d -> line.append(" (retry in ").append(d.toSeconds()).append(" s)"));
      return line.toString();
    }
    if (e instanceof CliException || e instanceof IllegalArgumentException) {
      return e.getMessage();
    }
    if (e instanceof java.nio.file.NoSuchFileException missing) {
      return missing.getFile() + ": no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException denied) {
      return denied.getFile() + ": permission denied";
    }
    if (e instanceof IOException || e instanceof UncheckedIOException) {
      return "file: " + e.getMessage();
    }
    return e.toString();
  }

  static int exitCode(Exception e) {
    if (e instanceof GrpcaException g) {
      return ExitCodes.of(g.kind());
    }
    if (e instanceof CliException c) {
      return c.exitCode();
    }
    if (e instanceof IOException
        || e instanceof UncheckedIOException
        || e instanceof IllegalArgumentException) {
      return ExitCodes.LOCAL_FILE;
    }
    return ExitCodes.OTHER;
  }

  /** The root command of {@code spec}'s tree: where the streams and environment are. */
  static Grpca of(CommandLine.Model.CommandSpec spec) {
    return (Grpca) spec.root().userObject();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Grpca.class.getPackage().getImplementationVersion();
      return new String[] {"grpca " + (version == null ? "(development build)" : version)};
    }
  }
}
