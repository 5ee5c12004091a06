package dev.grpca.server.x509;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/** PEM text for certificates and keys. */
public final class Pem {
  private Pem() {}

  private static final Base64.Encoder LINES =
      Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

  /**
   * RFC 7468 text: 64 base64 characters a line, '\n' line ends. Written into one exact-sized
   * string; Bouncy Castle's PemWriter allocated an 8K-char buffer per call (5% of the Sign path's
   * allocation).
   */
  public static String encode(String type, byte[] der) {
    String body = LINES.encodeToString(der);
    StringBuilder out = new StringBuilder(body.length() + 2 * type.length() + 34);
    out.append("-----BEGIN ").append(type).append("-----\n").append(body);
    if (!body.isEmpty()) {
      out.append('\n');
    }
    return out.append("-----END ").append(type).append("-----\n").toString();
  }

  public static String certificate(byte[] der) {
    return encode("CERTIFICATE", der);
  }

  public static String certificate(X509Certificate certificate) {
    try {
      return certificate(certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("re-encoding a parsed certificate", e);
    }
  }

  /** Concatenated PEM certificates, in the order given. */
  public static String certificates(List<X509Certificate> certificates) {
    StringBuilder out = new StringBuilder();
    certificates.forEach(c -> out.append(certificate(c)));
    return out.toString();
  }

  /** A PKCS#8 private key ("-----BEGIN PRIVATE KEY-----"). */
  public static String privateKey(byte[] pkcs8) {
    return encode("PRIVATE KEY", pkcs8);
  }
}
