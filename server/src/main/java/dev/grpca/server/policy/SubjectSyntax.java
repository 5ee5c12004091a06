package dev.grpca.server.policy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.x509.HostNames;
import java.util.Locale;
import java.util.Set;

/** The syntax of subject field values and email addresses. */
public final class SubjectSyntax {
  private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

  private SubjectSyntax() {}

  /** Free text of at most {@code max} characters, no control characters, no outer spaces. */
  public static String text(String field, String value, int max) {
    if (value.codePointCount(0, value.length()) > max) {
      throw CaException.invalid(field, "longer than " + max + " characters");
    }
    if (value.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw CaException.invalid(
          field, "'" + NameSyntax.printable(value) + "' contains a control character");
    }
    if (!value.equals(value.strip())) {
      throw CaException.invalid(field, "'" + value + "' has leading or trailing spaces");
    }
    return value;
  }

  /** An ISO 3166-1 alpha-2 code, returned upper-case. */
  public static String country(String field, String value) {
    String upper = value.toUpperCase(Locale.ROOT);
    if (!COUNTRIES.contains(upper)) {
      throw CaException.invalid(
          field,
          "'" + NameSyntax.printable(value) + "' (expected: an ISO 3166 two-letter code, e.g. DE)");
    }
    return upper;
  }

  /** An ASCII email address local@domain, the domain a host name. */
  public static String email(String field, String value) {
    text(field, value, 255);
    int at = value.lastIndexOf('@');
    boolean ok =
        at > 0
            && at < 65
            && value.indexOf('@') == at
            && value.chars().allMatch(c -> c > 0x20 && c < 0x7f)
            && !value.startsWith(".")
            && !value.substring(0, at).endsWith(".")
            && !value.substring(0, at).contains("..")
            && HostNames.isValid(value.substring(at + 1).toLowerCase(Locale.ROOT), false);
    if (!ok) {
      throw CaException.invalid(field, "'" + value + "' is not an email address");
    }
    return value.substring(0, at) + "@" + value.substring(at + 1).toLowerCase(Locale.ROOT);
  }
}
