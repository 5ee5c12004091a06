package dev.grpca.server.x509;

/**
 * The syntax of DNS names as they appear in certificates: LDH labels of 1..63 octets, at most 253
 * octets in all, lower case, no trailing dot, optionally a whole leftmost {@code *} label.
 */
public final class HostNames {
  private HostNames() {}

  /** Whether {@code name} is in the canonical form certificates carry. */
  public static boolean isValid(String name, boolean allowWildcard) {
    if (name == null || name.isEmpty() || name.length() > 253) {
      return false;
    }
    String[] labels = name.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      String label = labels[i];
      if (i == 0 && allowWildcard && label.equals("*") && labels.length > 2) {
        continue;
      }
      if (!isLdhLabel(label)) {
        return false;
      }
    }
    // A name made only of digits and dots is an IPv4 address in disguise.
    return !labels[labels.length - 1].chars().allMatch(Character::isDigit);
  }

  /**
   * Whether a common name reads as a DNS name, so that it belongs in the SANs as well: a dotted
   * host name, or "localhost" (case and one trailing dot ignored). A single word such as "billing"
   * is a service name, not a DNS name.
   */
  public static boolean isDnsCommonName(String cn) {
    String lower = cn.toLowerCase(java.util.Locale.ROOT);
    if (lower.endsWith(".")) {
      lower = lower.substring(0, lower.length() - 1);
    }
    return (lower.contains(".") || lower.equals("localhost")) && isValid(lower, true);
  }

  private static boolean isLdhLabel(String label) {
    int n = label.length();
    if (n == 0 || n > 63 || label.charAt(0) == '-' || label.charAt(n - 1) == '-') {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = label.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }
}
