package dev.grpca.server.store;

import dev.grpca.server.error.CaException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Certificate resource names: ASCII, DNS-label-like (lower-case letters, digits, '-' and '.', a
 * letter or digit at each end), at most {@value #MAX_LENGTH} characters. When a caller gives none,
 * one is made as Unikraft does: {@code <cn>-xxxxx}, from the common name (a wildcard's {@code *.}
 * cut) or else the first SAN, with five random letters and digits.
 */
public final class ResourceNames {
  public static final int MAX_LENGTH = 128;
  private static final int SUFFIX = 5;
  private static final int STEM = MAX_LENGTH - SUFFIX - 1;
  private static final Pattern NAME =
      Pattern.compile("[a-z0-9](?:[a-z0-9.-]{0," + (MAX_LENGTH - 2) + "}[a-z0-9])?");
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private ResourceNames() {}

  /** {@code name} if it is well formed; INVALID_ARGUMENT naming {@code field} otherwise. */
  public static String require(String field, String name) {
    if (!NAME.matcher(name).matches() || name.contains("..")) {
      throw CaException.invalid(
          field,
          "'"
              + printable(name)
              + "' (expected: 1-"
              + MAX_LENGTH
              + " lower-case letters, digits, '-' and '.', starting and ending with a letter or"
              + " digit)");
    }
    return name;
  }

  /** A fresh name for a certificate with common name {@code cn} and SANs {@code sans}. */
  public static String generate(String cn, List<String> sans) {
    String from = cn != null && !cn.isEmpty() ? cn : sans.isEmpty() ? "" : sans.get(0);
    StringBuilder name = new StringBuilder(stem(from)).append('-');
    for (int i = 0; i < SUFFIX; i++) {
      name.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
    }
    return name.toString();
  }

  /** The readable part: lower-cased, '*.' cut, other characters as '-', bounded. */
  static String stem(String from) {
    String s = from.toLowerCase(Locale.ROOT);
    if (s.startsWith("*.")) {
      s = s.substring(2);
    }
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      boolean kept = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
      char next = kept ? c : '-';
      char last = out.length() == 0 ? '-' : out.charAt(out.length() - 1);
      // No separator first, none twice in a row ("a..b", "a--b" and "a.-b" all come out as one).
      if (!kept || c == '.') {
        if (last == '-' || last == '.') {
          continue;
        }
      }
      out.append(next);
      if (out.length() == STEM) {
        break;
      }
    }
    while (out.length() > 0
        && (out.charAt(out.length() - 1) == '-' || out.charAt(out.length() - 1) == '.')) {
      out.setLength(out.length() - 1);
    }
    return out.length() == 0 ? "certificate" : out.toString();
  }

  private static String printable(String s) {
    String shown = s.length() > 140 ? s.substring(0, 140) + "..." : s;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
