package dev.grpca.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@code grpca-server}: a configuration file, the mode, or an admin command.
 *
 * @param configFile null: the defaults
 * @param responder whether to serve only the HTTP sidecar of a CA that runs elsewhere
 * @param command an admin command and its arguments; empty to serve
 * @param help whether the usage was asked for
 */
record ServerArgs(Path configFile, boolean responder, List<String> command, boolean help) {
  static final String USAGE =
      "usage: grpca-server [--config FILE] [--responder]\n"
          + "  FILE: JSON configuration (see config/grpca.example.json); none: the defaults.\n"
          + "  --responder: only the HTTP sidecar (CA certificates, CRLs, OCSP), against the\n"
          + "  database and token of a CA that already runs; no gRPC, no issuance.\n"
          + "  Secrets come from the files it names, or GRPCA_HSM_PIN / GRPCA_DB_PASSWORD.\n"
          + "commands on the CA host (against its database):\n"
          + AdminCommands.USAGE;

  ServerArgs {
    command = List.copyOf(command);
  }

  /** Parses {@code args}; an IllegalArgumentException names the argument it does not know. */
  static ServerArgs parse(String[] args) {
    Path configFile = null;
    boolean responder = false;
    List<String> command = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        configFile = Path.of(args[++i]);
      } else if (args[i].equals("--responder")) {
        responder = true;
      } else if (!command.isEmpty() || AdminCommands.isCommand(args[i])) {
        command.add(args[i]);
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        return new ServerArgs(configFile, responder, command, true);
      } else {
        throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    return new ServerArgs(configFile, responder, command, false);
  }
}
