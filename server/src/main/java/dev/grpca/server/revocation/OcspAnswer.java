package dev.grpca.server.revocation;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A DER OCSPResponse and how long HTTP caches may keep it: until {@code reuseUntil}, when this
 * process stops reusing it too. Times and {@code key} are null for answers not to be cached
 * (errors, echoed nonces, multi-request answers). A cacheable answer carries its RFC 5019 values
 * ready for the HTTP headers, made once: {@code etag} (a hash of the response), {@code
 * lastModified} (thisUpdate) and {@code expires} (nextUpdate) as HTTP dates. {@code result} is what
 * it says, as metrics count it: good, revoked, unauthorized, malformed, try_later or
 * internal_error.
 */
public record OcspAnswer(
    byte[] der,
    Instant thisUpdate,
    Instant nextUpdate,
    Instant reuseUntil,
    String etag,
    String lastModified,
    String expires,
    String key,
    String result) {
  public boolean cacheable() {
    return reuseUntil != null;
  }

  /** An answer for this request alone, or an error. */
  static OcspAnswer unshared(byte[] der, Instant thisUpdate, Instant nextUpdate, String result) {
    return new OcspAnswer(der, thisUpdate, nextUpdate, null, null, null, null, null, result);
  }

  /** An answer HTTP caches and this responder may reuse until {@code reuseUntil}. */
  static OcspAnswer shared(
      byte[] der,
      Instant thisUpdate,
      Instant nextUpdate,
      Instant reuseUntil,
      String key,
      String result) {
    return new OcspAnswer(
        der,
        thisUpdate,
        nextUpdate,
        reuseUntil,
        etag(der),
        HTTP_DATE.format(thisUpdate),
        HTTP_DATE.format(nextUpdate),
        key,
        result);
  }

  /** RFC 9110's IMF-fixdate, e.g. "Tue, 01 Dec 2026 09:29:37 GMT". */
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  /** RFC 5019 §6.2: the ETag is a hash of the response. */
  private static String etag(byte[] der) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(der);
      return "\"" + HexFormat.of().formatHex(sha1) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
