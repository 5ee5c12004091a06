package dev.grpca.client.cli;

import dev.grpca.client.ClientConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Saves where the server is and the caller's credentials, so that other commands stay short. */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description =
        "Save the server's address, its CA file and your credentials (a token file, or a client"
            + " certificate and key) as a context of the config file, and make it current.")
final class LoginCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Connection connection;

  @Override
  public Integer call() throws Exception {
    Grpca grpca = Grpca.of(spec);
    if (connection.address == null || connection.caFile == null) {
      throw new CliException(ExitCodes.USAGE, "login: give --address and --ca-file");
    }
    if (connection.tokenFile == null && connection.certificate == null) {
      throw new CliException(
          ExitCodes.USAGE, "login: give --token-file, or --cert and --key (no credentials)");
    }
    String name = connection.context.isEmpty() ? "default" : connection.context;
    Path file = connection.configFile(grpca.env);
    new ClientConfig(
            connection.address,
            connection.caFile,
            connection.certificate == null ? connection.tokenFile : null,
            connection.certificate,
            connection.key)
        .write(file, name);
    grpca.out.println("context '" + name + "' saved in " + file + " and made current");
    return ExitCodes.OK;
  }
}
