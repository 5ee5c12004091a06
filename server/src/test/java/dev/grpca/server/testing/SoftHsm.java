package dev.grpca.server.testing;

import dev.grpca.server.hsm.Pkcs11Token;
import dev.grpca.server.metrics.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real SoftHSM2 token, made fresh once per test run (per JVM) by {@code hsm-config/init-token.sh}
 * in the directory Surefire names in SOFTHSM2_CONF. SoftHSM reads that variable when the library is
 * first initialised, so the token exists before any provider is created.
 */
public final class SoftHsm {
  private static final AtomicInteger IDS = new AtomicInteger();
  private static Path dir;

  private SoftHsm() {}

  /** The token directory, creating the token on first use. */
  public static synchronized Path dir() {
    if (dir == null) {
      String conf = System.getenv("SOFTHSM2_CONF");
      Path target = Path.of(System.getProperty("grpca.test.softhsmDir"));
      if (conf == null || !Path.of(conf).startsWith(target)) {
        throw new IllegalStateException(
            "SOFTHSM2_CONF must point into " + target + " (run the tests with Maven)");
      }
      deleteRecursively(target);
      run(System.getProperty("grpca.test.initTokenScript"), target.toString(), "grpca-test");
      dir = target;
    }
    return dir;
  }

  public static Path pkcs11Config() {
    return dir().resolve("pkcs11.cfg");
  }

  public static Path pinFile() {
    return dir().resolve("user.pin");
  }

  public static String pin() {
    try {
      return Files.readString(pinFile(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new provider instance on the token, as a restarted server would open it. */
  public static Pkcs11Token open() {
    return Pkcs11Token.open(
        pkcs11Config(), pin().toCharArray(), new SecureRandom(), Metrics.disabled());
  }

  private static java.security.KeyStore cleaner;

  /**
   * Deletes every object of the token, if this run made it: {@link TokenHygiene} calls it between
   * test classes, when no server has the token open.
   */
  static synchronized void wipeIfMade() {
    if (dir == null) {
      return;
    }
    try {
      if (cleaner == null) {
        java.security.Provider provider =
            java.security.Security.getProvider("SunPKCS11").configure(pkcs11Config().toString());
        cleaner = java.security.KeyStore.getInstance("PKCS11", provider);
        cleaner.load(null, pin().toCharArray());
      } else {
        cleaner.load(null, null);
      }
      for (String alias : java.util.Collections.list(cleaner.aliases())) {
        cleaner.deleteEntry(alias);
      }
    } catch (java.security.GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot empty the test token", e);
    }
  }

  /** A label no other test in this run uses (the token is shared by the whole run). */
  public static String uniqueLabel(String prefix) {
    return prefix + "-" + IDS.incrementAndGet();
  }

  /**
   * What pkcs11-tool, logged in to the token, lists for the private key stored under {@code label}
   * (its CKA_ID is the label's bytes): its usage and flags.
   */
  public static String privateKeyObject(String label) {
    String listing = privateKeyListing();
    String id = java.util.HexFormat.of().formatHex(label.getBytes(StandardCharsets.US_ASCII));
    for (String object : listing.split("(?=Private Key Object)")) {
      if (object.contains("ID:         " + id + "\n")) {
        return object;
      }
    }
    throw new AssertionError("no private key with ID " + id + " in:\n" + listing);
  }

  /** How many private keys the token holds, labelled or not, as pkcs11-tool lists them. */
  public static int privateKeyObjects() {
    return privateKeyListing().split("Private Key Object", -1).length - 1;
  }

  private static String privateKeyListing() {
    String library;
    try {
      library =
          Files.readAllLines(pkcs11Config()).stream()
              .filter(l -> l.startsWith("library"))
              .map(l -> l.substring(l.indexOf('=') + 1).strip())
              .findFirst()
              .orElseThrow();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return Tools.run(
            Path.of("."),
            java.util.List.of(
                "pkcs11-tool",
                "--module",
                library,
                "--login",
                "--pin",
                pin(),
                "--list-objects",
                "--type",
                "privkey"))
        .requireSuccess()
        .output();
  }

  private static void run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException("failed: " + String.join(" ", command) + "\n" + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(path)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
