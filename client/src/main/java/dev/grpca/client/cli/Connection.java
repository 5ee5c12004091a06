package dev.grpca.client.cli;

import dev.grpca.client.ClientConfig;
import dev.grpca.client.GrpcaClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where the server is and who the caller is: a context of the config file ({@code grpca login}
 * writes it), each part of which an option overrides.
 */
final class Connection {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The config file (default: $GRPCA_CONFIG, else $XDG_CONFIG_HOME/grpca/config.json, else"
              + " ~/.config/grpca/config.json).")
  Path config;

  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "The config file's context to use (default: its current one).")
  String context = "";

  @Option(names = "--address", paramLabel = "HOST:PORT", description = "The server.")
  String address;

  @Option(
      names = "--ca-file",
      paramLabel = "FILE",
      description = "The CA (PEM) the server's TLS certificate chains to.")
  Path caFile;

  @Option(names = "--token-file", paramLabel = "FILE", description = "A bearer token, in a file.")
  Path tokenFile;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "A client certificate (PEM, with its chain) to authenticate with instead.")
  Path certificate;

  @Option(names = "--key", paramLabel = "FILE", description = "The client certificate's key.")
  Path key;

  /** The config file this command reads and {@code login} writes. */
  Path configFile(Map<String, String> env) {
    if (config != null) {
      return config;
    }
    String named = env.get("GRPCA_CONFIG");
    if (named != null && !named.isEmpty()) {
      return Path.of(named);
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    Path base =
        xdg != null && !xdg.isEmpty()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("grpca").resolve("config.json");
  }

  /** The config the options and the config file make together. */
  ClientConfig resolve(Map<String, String> env) throws IOException {
    Path file = configFile(env);
    ClientConfig stored = null;
    if (Files.exists(file)) {
      stored = ClientConfig.read(file, context);
    } else if (address == null) {
      throw new CliException(
          ExitCodes.LOCAL_FILE,
          "no config at "
              + file
              + ": run 'grpca login --address HOST:PORT --ca-file FILE"
              + " --token-file FILE' first, or give --address and --ca-file");
    }
    boolean ownCertificate = certificate != null || key != null;
    return new ClientConfig(
        address != null ? address : stored.address(),
        caFile != null ? caFile : stored == null ? null : stored.caFile(),
        tokenFile != null
            ? tokenFile
            : ownCertificate || stored == null ? null : stored.tokenFile(),
        ownCertificate ? certificate : stored == null ? null : stored.certificateFile(),
        ownCertificate ? key : stored == null ? null : stored.keyFile());
  }

  GrpcaClient connect(Map<String, String> env) throws IOException {
    return GrpcaClient.connect(resolve(env));
  }
}
