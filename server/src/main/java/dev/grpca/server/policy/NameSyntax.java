package dev.grpca.server.policy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.x509.HostNames;
import java.net.IDN;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The syntax of the names a request carries, checked after normalisation. Nothing here looks up
 * DNS: IP literals are parsed by hand.
 */
public final class NameSyntax {
  private NameSyntax() {}

  /**
   * A DNS name in canonical form: lower case, no trailing dot, LDH labels of 1..63 octets, 253 in
   * all; a whole leftmost {@code *} label is syntax (whether it is allowed is policy).
   */
  public static String dnsName(String field, String raw) {
    if (raw == null || raw.isEmpty()) {
      throw CaException.invalid(field, "empty name");
    }
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw CaException.invalid(field, "'" + printable(raw) + "' contains a control character");
      }
      if (c > 0x7e) {
        throw CaException.invalid(
            field,
            "'"
                + raw
                + "' is not ASCII (give internationalised names as A-labels, e.g. xn--bcher-kva.example)");
      }
    }
    String name = raw.toLowerCase(Locale.ROOT);
    if (name.endsWith(".") && name.length() > 1) {
      name = name.substring(0, name.length() - 1);
    }
    for (String label : name.split("\\.")) {
      if (label.startsWith("xn--") && !isALabel(label)) {
        throw CaException.invalid(
            field, "'" + raw + "': '" + label + "' is not a valid A-label (punycode)");
      }
    }
    if (!HostNames.isValid(name, true)) {
      throw CaException.invalid(
          field,
          "'"
              + raw
              + "' is not a valid host name (expected: labels of letters, digits and '-',"
              + " 1-63 characters each, 253 in all)");
    }
    return name;
  }

  /** Whether an "xn--" label decodes to Unicode and encodes back to itself (IDNA). */
  private static boolean isALabel(String label) {
    try {
      String unicode = IDN.toUnicode(label, IDN.USE_STD3_ASCII_RULES);
      return !unicode.equals(label)
          && IDN.toASCII(unicode, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT).equals(label);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** An IPv4 (dotted quad) or IPv6 literal; no zone ids, no host names. */
  public static InetAddress ipAddress(String field, String raw) {
    InetAddress address = raw == null ? null : parseIp(raw);
    if (address == null) {
      throw CaException.invalid(
          field, "'" + printable(String.valueOf(raw)) + "' is not an IPv4 or IPv6 address");
    }
    return address;
  }

  /** Whether {@code text} is an IP literal. */
  public static boolean isIpAddress(String text) {
    return parseIp(text) != null;
  }

  private static InetAddress parseIp(String text) {
    if (text.isEmpty() || text.length() > 45) {
      return null;
    }
    if (text.indexOf(':') < 0) {
      return parseIpv4(text);
    }
    // Only hex digits, ':' and '.' remain, so the JDK parses a literal and never asks DNS.
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
        return null;
      }
    }
    try {
      InetAddress address = InetAddress.getByName(text);
      return address instanceof Inet6Address ? address : null;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static InetAddress parseIpv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty()
          || p.length() > 3
          || (p.length() > 1 && p.charAt(0) == '0')
          || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      int value = Integer.parseInt(p);
      if (value > 255) {
        return null;
      }
      bytes[i] = (byte) value;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  static String printable(String s) {
    StringBuilder out = new StringBuilder();
    s.codePoints()
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
              } else {
                out.appendCodePoint(c);
              }
            });
    return out.toString();
  }
}
