package dev.grpca.server;

import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.error.CaException;
import dev.grpca.server.grpc.GrpcServer;
import dev.grpca.server.store.AuditCall;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: {@code grpca-server [--config FILE] [--responder]}, or an admin command. The
 * objects are built by {@link Core} (what both modes share) and then {@link CaServer} or {@link
 * ResponderServer}.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] argv) throws Exception {
    ServerArgs args;
    try {
      args = ServerArgs.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage() + "\n" + ServerArgs.USAGE);
      System.exit(2);
      return;
    }
    if (args.help()) {
      System.out.println(ServerArgs.USAGE);
      return;
    }
    if (!args.command().isEmpty()) {
      try {
        System.exit(
            AdminCommands.run(
                args.command(),
                ServerConfigs.load(args.configFile()),
                System.getenv(),
                System.out));
      } catch (IllegalArgumentException e) {
        System.err.println("grpca: configuration error: " + e.getMessage());
        System.exit(2);
      }
      return;
    }
    Serving running;
    try {
      ServerConfig config = ServerConfigs.load(args.configFile());
      LogFormat.apply(config.logFormat());
      running =
          args.responder()
              ? startResponder(config, Clock.systemUTC(), System.getenv())
              : start(config, Clock.systemUTC(), System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("grpca: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (CaException | IllegalStateException | IOException e) {
      log.debug("start-up failed", e);
      System.err.println("grpca: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "grpca-shutdown"));
    running.printBanner(System.out);
    running.awaitTermination();
  }

  /** Starts the CA; the caller owns the result and closes it. */
  public static CaServer start(ServerConfig config, Clock clock, Map<String, String> env)
      throws IOException {
    return opening(
        opened ->
            CaServer.start(Core.open(config, clock, env, GrpcServer.auditCalls(), opened), opened));
  }

  /** Starts responder mode against the database and token of a CA that runs elsewhere. */
  public static ResponderServer startResponder(
      ServerConfig config, Clock clock, Map<String, String> env) throws IOException {
    return opening(
        opened ->
            ResponderServer.start(
                Core.open(config, clock, env, () -> AuditCall.INTERNAL, opened), opened));
  }

  /** A start-up, given what to register everything it opens with. */
  private interface Startup<T> {
    T start(Opened opened) throws IOException;
  }

  /** Runs {@code startup}; what it opened is closed again when it fails half-way. */
  private static <T> T opening(Startup<T> startup) throws IOException {
    Opened opened = new Opened();
    try {
      return startup.start(opened);
    } catch (IOException | RuntimeException e) {
      opened.close();
      throw e;
    }
  }
}
