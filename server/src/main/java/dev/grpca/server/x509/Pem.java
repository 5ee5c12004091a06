package dev.grpca.server.x509;

import java.io.IOException;
import java.io.StringWriter;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** PEM text for certificates and keys. */
public final class Pem {
  private Pem() {}

  public static String encode(String type, byte[] der) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new IllegalStateException("writing PEM to a string", e);
    }
    return out.toString();
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
