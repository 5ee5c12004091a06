package dev.grpca.server.x509;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Locale;

/**
 * Certificate serial numbers: 128 random bits from a CSPRNG, positive, at most 17 octets encoded
 * (RFC 5280 §4.1.2.2 allows 20), written as lowercase hex without separators.
 */
public final class SerialNumbers {
  private final SecureRandom random;

  public SerialNumbers(SecureRandom random) {
    this.random = random;
  }

  public BigInteger next() {
    byte[] bytes = new byte[16];
    BigInteger serial;
    do {
      random.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }

  /** The wire form: lowercase hex, no separators, no leading zeros. */
  public static String toHex(BigInteger serial) {
    return serial.toString(16);
  }

  /**
   * A serial in the wire form (lowercase hex), from any accepted input form; INVALID_ARGUMENT
   * naming {@code field} otherwise.
   */
  public static String requireHex(String field, String text) {
    var serial = parse(text);
    if (serial == null) {
      throw CaException.invalid(
          field,
          "'"
              + text
              + "' is not a serial number (expected: hex, e.g. 5e62eb2e44dd0483, colons or hyphens allowed)");
    }
    return toHex(serial);
  }

  /** NOT_FOUND for a serial this CA never issued. */
  public static CaException notIssuedHere(String serial) {
    return CaException.field(
        ErrorKind.NOT_FOUND, "serial_number", "no certificate " + serial + " was issued here");
  }

  /**
   * Parses the wire form, also accepting colon- or hyphen-separated hex (the Vault form) and
   * upper-case digits. Returns {@code null} when the text is not a positive serial of at most 20
   * octets.
   */
  public static BigInteger parse(String text) {
    if (text == null) {
      return null;
    }
    String trimmed = text.strip();
    if (trimmed.startsWith(":")
        || trimmed.startsWith("-")
        || trimmed.endsWith(":")
        || trimmed.endsWith("-")) {
      return null;
    }
    String hex = trimmed.replace(":", "").replace("-", "").toLowerCase(Locale.ROOT);
    if (hex.isEmpty() || hex.length() > 40 || !hex.chars().allMatch(SerialNumbers::isHexDigit)) {
      return null;
    }
    BigInteger serial = new BigInteger(hex, 16);
    return serial.signum() > 0 && serial.toByteArray().length <= 20 ? serial : null;
  }

  private static boolean isHexDigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
}
