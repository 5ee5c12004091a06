package dev.grpca.server;

import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.server.access.AccessControl;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.error.CaException;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.AuditChain;
import dev.grpca.server.store.jooq.Database;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server's own command line for the CA host, run against its database (the server may be
 * running): the first principals and tokens, and the audit log's check.
 *
 * <pre>
 * grpca-server audit verify
 * grpca-server principal put NAME [--revoke-any] --grant OPS=PROFILES [--grant ...]
 *     OPS: issue,sign,renew,revoke,read,admin   PROFILES: names or * (comma-separated)
 * grpca-server token create PRINCIPAL [--lifetime 30d] [--description TEXT]
 * </pre>
 */
final class AdminCommands {
  static final String USAGE =
      "  grpca-server [--config FILE] audit verify\n"
          + "  grpca-server [--config FILE] principal put NAME [--revoke-any] --grant"
          + " OPS=PROFILES ...\n"
          + "      OPS: issue,sign,renew,revoke,read,admin; PROFILES: names or '*'\n"
          + "  grpca-server [--config FILE] token create PRINCIPAL [--lifetime 30d]"
          + " [--description TEXT]\n"
          + "      prints the new token once; only its SHA-256 is stored";

  private AdminCommands() {}

  static boolean isCommand(String word) {
    return word.equals("audit") || word.equals("principal") || word.equals("token");
  }

  /** Runs one command; returns the exit code (0 ok, 1 failed check, 2 bad usage). */
  static int run(List<String> args, ServerConfig config, Map<String, String> env, PrintStream out) {
    if (args.size() < 2) {
      out.println("usage:\n" + USAGE);
      return 2;
    }
    try (Database database =
        Core.openDatabase(config.database(), env, () -> AuditCall.INTERNAL, Metrics.disabled())) {
      AccessControl access =
          new AccessControl(database.access(), new SecureRandom(), Clock.systemUTC());
      String command = args.get(0) + " " + args.get(1);
      List<String> rest = args.subList(2, args.size());
      switch (command) {
        case "audit verify" -> {
          AuditChain.Verdict verdict = database.access().verifyAudit();
          if (verdict.ok()) {
            out.println("audit log intact: " + verdict.records() + " records");
            return 0;
          }
          out.println(
              "audit log BROKEN at record "
                  + verdict.brokenSequence()
                  + ": "
                  + verdict.problem()
                  + " ("
                  + verdict.records()
                  + " records intact before it)");
          return 1;
        }
        case "principal put" -> {
          return putPrincipal(rest, access, out);
        }
        case "token create" -> {
          return createToken(rest, access, out);
        }
        default -> {
          out.println("unknown command: " + command + "\nusage:\n" + USAGE);
          return 2;
        }
      }
    } catch (CaException | IllegalArgumentException e) {
      out.println("grpca: " + e.getMessage());
      return 2;
    }
  }

  private static int putPrincipal(List<String> args, AccessControl access, PrintStream out) {
    if (args.isEmpty()) {
      out.println("usage:\n" + USAGE);
      return 2;
    }
    Principal.Builder principal = Principal.newBuilder().setName(args.get(0));
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--revoke-any")) {
        principal.setRevokeAny(true);
      } else if (a.equals("--grant") && i + 1 < args.size()) {
        principal.addGrants(grant(args.get(++i)));
      } else {
        out.println("unknown argument: " + a + "\nusage:\n" + USAGE);
        return 2;
      }
    }
    Principal stored = access.put(principal.build());
    out.println(
        "principal " + stored.getName() + " stored with " + stored.getGrantsCount() + " grants");
    return 0;
  }

  /** "issue,read=web,default" or "admin". */
  static Grant grant(String text) {
    String[] parts = text.split("=", 2);
    Grant.Builder grant = Grant.newBuilder();
    for (String op : parts[0].split(",")) {
      try {
        grant.addOperations(Operation.valueOf("OPERATION_" + op.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--grant "
                + text
                + ": unknown operation '"
                + op
                + "' (expected: issue, sign, renew,"
                + " revoke, read, admin)");
      }
    }
    if (parts.length == 2) {
      Arrays.stream(parts[1].split(",")).map(String::strip).forEach(grant::addProfiles);
    }
    return grant.build();
  }

  /** "30d", "12h", "90m", "3600s". */
  static Duration duration(String text) {
    if (text.length() >= 2) {
      try {
        long n = Long.parseLong(text.substring(0, text.length() - 1));
        switch (text.charAt(text.length() - 1)) {
          case 'd':
            return Duration.ofDays(n);
          case 'h':
            return Duration.ofHours(n);
          case 'm':
            return Duration.ofMinutes(n);
          case 's':
            return Duration.ofSeconds(n);
          default:
            break;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw new IllegalArgumentException(
        "--lifetime " + text + " (expected: a number and d, h, m or s, e.g. 30d)");
  }

  private static int createToken(List<String> args, AccessControl access, PrintStream out) {
    if (args.isEmpty()) {
      out.println("usage:\n" + USAGE);
      return 2;
    }
    Duration lifetime = null;
    String description = "made on the command line";
    for (int i = 1; i < args.size(); i++) {
      if (args.get(i).equals("--lifetime") && i + 1 < args.size()) {
        lifetime = duration(args.get(++i));
      } else if (args.get(i).equals("--description") && i + 1 < args.size()) {
        description = args.get(++i);
      } else {
        out.println("unknown argument: " + args.get(i) + "\nusage:\n" + USAGE);
        return 2;
      }
    }
    AccessControl.NewToken made = access.createToken(args.get(0), description, lifetime);
    out.println(made.token());
    return 0;
  }
}
