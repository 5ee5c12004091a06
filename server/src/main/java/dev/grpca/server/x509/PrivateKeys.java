package dev.grpca.server.x509;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The private keys grpca hands out, encoded the way OpenSSL writes them, so that every TLS stack
 * loads them: GnuTLS, OpenSSL, Java, Go, Python.
 *
 * <p>The JDK's PKCS#8 for an EC key leaves out the optional public key of the inner ECPrivateKey
 * (RFC 5915), and GnuTLS refuses such a key ("ASN1 parser: Element was not found"). Here an EC key
 * is written as OpenSSL writes it: the curve in the AlgorithmIdentifier, the inner ECPrivateKey
 * with the scalar padded to the order's length and the public point. RSA and Ed25519 keys are the
 * JDK's PKCS#8, which is already OpenSSL's form.
 */
public final class PrivateKeys {
  private PrivateKeys() {}

  /** How a private key is written out. */
  public enum Format {
    /** PKCS#8 ("-----BEGIN PRIVATE KEY-----"): the default, for every key type. */
    PKCS8,
    /**
     * The algorithm's own form, as OpenSSL's {@code -traditional}: SEC 1 "EC PRIVATE KEY" (with the
     * curve and the public key), PKCS#1 "RSA PRIVATE KEY". Ed25519 has no such form and stays
     * PKCS#8, as in OpenSSL.
     */
    TRADITIONAL
  }

  /** The PEM text of {@code keys}' private key in {@code format}. */
  public static String pem(KeyPair keys, Format format) {
    if (format == Format.TRADITIONAL) {
      if (keys.getPrivate() instanceof ECPrivateKey) {
        return Pem.encode("EC PRIVATE KEY", der(ecPrivateKey(keys, true)));
      }
      if (keys.getPrivate() instanceof RSAPrivateCrtKey) {
        // PKCS#8's privateKey octets are the PKCS#1 RSAPrivateKey itself.
        return Pem.encode(
            "RSA PRIVATE KEY", PrivateKeyInfo.getInstance(pkcs8(keys)).getPrivateKey().getOctets());
      }
    }
    return Pem.privateKey(pkcs8(keys));
  }

  /** PKCS#8 DER of {@code keys}' private key, in OpenSSL's form. */
  public static byte[] pkcs8(KeyPair keys) {
    if (keys.getPrivate() instanceof ECPrivateKey) {
      AlgorithmIdentifier algorithm =
          SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getAlgorithm();
      try {
        return new PrivateKeyInfo(algorithm, ecPrivateKey(keys, false))
            .getEncoded(ASN1Encoding.DER);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return keys.getPrivate().getEncoded();
  }

  /**
   * RFC 5915's ECPrivateKey with the public key; the curve is inside only for the SEC 1 form (in
   * PKCS#8 it is the AlgorithmIdentifier's, and OpenSSL leaves it out of the inner structure).
   */
  private static org.bouncycastle.asn1.sec.ECPrivateKey ecPrivateKey(
      KeyPair keys, boolean withCurve) {
    ECPrivateKey key = (ECPrivateKey) keys.getPrivate();
    SubjectPublicKeyInfo publicKey =
        SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    ASN1ObjectIdentifier curve =
        ASN1ObjectIdentifier.getInstance(publicKey.getAlgorithm().getParameters());
    return new org.bouncycastle.asn1.sec.ECPrivateKey(
        key.getParams().getOrder().bitLength(),
        key.getS(),
        publicKey.getPublicKeyData(),
        withCurve ? curve : null);
  }

  private static byte[] der(org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      return value.toASN1Primitive().getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
