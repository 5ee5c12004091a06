package dev.grpca.server.x509;

import java.io.IOException;
import java.math.BigInteger;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * What a subject public key is, read from its SubjectPublicKeyInfo: family, size or curve, and a
 * display name ("EC P-256", "RSA 2048", "Ed25519").
 */
public record PublicKeyInfo(
    Family family, int bits, String curve, BigInteger rsaExponent, String displayName) {

  /** Key families grpca knows how to certify. */
  public enum Family {
    RSA,
    EC,
    ED25519,
    UNSUPPORTED
  }

  /** Describes a key; never throws for well-formed DER, unknown keys become UNSUPPORTED. */
  public static PublicKeyInfo of(SubjectPublicKeyInfo spki) {
    ASN1ObjectIdentifier algorithm = spki.getAlgorithm().getAlgorithm();
    if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      try {
        RSAPublicKey rsa = RSAPublicKey.getInstance(spki.parsePublicKey());
        int bits = rsa.getModulus().bitLength();
        return new PublicKeyInfo(Family.RSA, bits, null, rsa.getPublicExponent(), "RSA " + bits);
      } catch (IOException | IllegalArgumentException e) {
        return unsupported("RSA (malformed key)");
      }
    }
    if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      Object parameters = spki.getAlgorithm().getParameters();
      if (X9ObjectIdentifiers.prime256v1.equals(parameters)) {
        return new PublicKeyInfo(Family.EC, 256, "P-256", null, "EC P-256");
      }
      if (SECObjectIdentifiers.secp384r1.equals(parameters)) {
        return new PublicKeyInfo(Family.EC, 384, "P-384", null, "EC P-384");
      }
      if (SECObjectIdentifiers.secp521r1.equals(parameters)) {
        return new PublicKeyInfo(Family.EC, 521, "P-521", null, "EC P-521");
      }
      return unsupported("EC on curve " + parameters);
    }
    if (algorithm.equals(EdECObjectIdentifiers.id_Ed25519)) {
      return new PublicKeyInfo(Family.ED25519, 255, null, null, "Ed25519");
    }
    return unsupported("algorithm " + algorithm.getId());
  }

  /** The description of a key grpca is about to make. */
  public static PublicKeyInfo of(KeyAlgorithm algorithm) {
    switch (algorithm) {
      case EC_P256:
        return new PublicKeyInfo(Family.EC, 256, "P-256", null, algorithm.displayName());
      case EC_P384:
        return new PublicKeyInfo(Family.EC, 384, "P-384", null, algorithm.displayName());
      case EC_P521:
        return new PublicKeyInfo(Family.EC, 521, "P-521", null, algorithm.displayName());
      case ED25519:
        return new PublicKeyInfo(Family.ED25519, 255, null, null, algorithm.displayName());
      default:
        return new PublicKeyInfo(
            Family.RSA, algorithm.bits(), null, BigInteger.valueOf(65537), algorithm.displayName());
    }
  }

  private static PublicKeyInfo unsupported(String displayName) {
    return new PublicKeyInfo(Family.UNSUPPORTED, 0, null, null, displayName);
  }
}
