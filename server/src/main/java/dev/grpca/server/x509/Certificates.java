package dev.grpca.server.x509;

import dev.grpca.server.error.CaException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/** Parsing certificates the server itself made or stored; a failure here is a bug, not input. */
public final class Certificates {
  private Certificates() {}

  public static X509Certificate parse(byte[] der) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException e) {
      throw new IllegalStateException("unparseable certificate", e);
    }
  }

  public static X509Certificate parse(X509CertificateHolder holder) {
    try {
      return parse(holder.getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException("re-encoding a certificate", e);
    }
  }

  /** The first certificate in {@code pem}. */
  /**
   * Every PEM certificate in {@code pem}, in order; anything else in it, or none, is
   * INVALID_ARGUMENT naming {@code field}.
   */
  public static List<X509Certificate> parseAll(String field, String pem) {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (!(o instanceof X509CertificateHolder holder)) {
          throw CaException.invalid(
              field, "holds a " + o.getClass().getSimpleName() + " (expected: CERTIFICATE blocks)");
        }
        out.add(parse(holder));
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof CaException ca) {
        throw ca;
      }
      throw CaException.invalid(field, "not PEM certificates: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw CaException.invalid(field, "no '-----BEGIN CERTIFICATE-----' block");
    }
    return out;
  }

  public static X509Certificate parsePem(String pem) {
    try (PemReader reader = new PemReader(new StringReader(pem))) {
      PemObject object = reader.readPemObject();
      if (object == null || !object.getType().equals("CERTIFICATE")) {
        throw new IllegalStateException("not a PEM certificate");
      }
      return parse(object.getContent());
    } catch (IOException e) {
      throw new IllegalStateException("not a PEM certificate", e);
    }
  }

  /** SHA-256 of the DER encoding, lowercase hex. */
  /** A name as an RFC 4514 string: the most specific RDN (CN) first. */
  public static String rfc4514(X500Name name) {
    RDN[] rdns = name.getRDNs();
    RDN[] reversed = new RDN[rdns.length];
    for (int i = 0; i < rdns.length; i++) {
      reversed[i] = rdns[rdns.length - 1 - i];
    }
    return new X500Name(BCStyle.INSTANCE, reversed).toString();
  }

  public static String sha256Fingerprint(byte[] der) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
