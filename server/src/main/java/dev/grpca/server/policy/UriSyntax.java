package dev.grpca.server.policy;

import dev.grpca.server.error.CaException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * The syntax of URI SANs: absolute ASCII URIs; SPIFFE IDs (spiffe://trust-domain/path) checked
 * against the SPIFFE ID specification.
 */
public final class UriSyntax {
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");
  private static final Pattern PATH_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  private UriSyntax() {}

  /** Returns {@code raw} when it is a valid URI SAN; INVALID_ARGUMENT otherwise. */
  public static String check(String field, String raw) {
    if (raw.isEmpty() || raw.length() > 2048) {
      throw CaException.invalid(field, "a URI of 1-2048 characters is expected");
    }
    if (raw.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
      throw CaException.invalid(
          field,
          "'" + NameSyntax.printable(raw) + "' holds spaces, control or non-ASCII characters");
    }
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw CaException.invalid(field, "'" + raw + "' is not a URI: " + e.getReason());
    }
    if (!uri.isAbsolute()) {
      throw CaException.invalid(field, "'" + raw + "' has no scheme (expected e.g. spiffe://...)");
    }
    if (uri.getScheme().equalsIgnoreCase("spiffe")) {
      checkSpiffe(field, raw, uri);
    }
    return raw;
  }

  private static void checkSpiffe(String field, String raw, URI uri) {
    String problem = null;
    if (!raw.startsWith("spiffe://")) {
      problem = "the scheme must be lower-case 'spiffe://'";
    } else if (uri.getRawUserInfo() != null) {
      problem = "a SPIFFE ID has no user info";
    } else if (uri.getPort() != -1
        || (uri.getRawAuthority() != null && uri.getRawAuthority().contains(":"))) {
      problem = "a SPIFFE ID has no port";
    } else if (uri.getRawQuery() != null) {
      problem = "a SPIFFE ID has no query";
    } else if (uri.getRawFragment() != null) {
      problem = "a SPIFFE ID has no fragment";
    } else if (uri.getRawAuthority() == null
        || !TRUST_DOMAIN.matcher(uri.getRawAuthority()).matches()) {
      problem = "the trust domain must be lower-case letters, digits, '.', '-' or '_'";
    } else {
      String path = uri.getRawPath();
      if (path.isEmpty() || path.equals("/")) {
        problem = "the path is empty";
      } else if (path.endsWith("/")) {
        problem = "the path ends with '/'";
      } else {
        for (String segment : path.substring(1).split("/", -1)) {
          if (segment.equals(".")
              || segment.equals("..")
              || !PATH_SEGMENT.matcher(segment).matches()) {
            problem =
                "path segment '"
                    + segment
                    + "' is empty, '.', '..' or holds characters other than letters, digits, '.', '-', '_'";
            break;
          }
        }
      }
    }
    if (problem != null) {
      throw CaException.invalid(field, "'" + raw + "' is not a SPIFFE ID: " + problem);
    }
  }
}
