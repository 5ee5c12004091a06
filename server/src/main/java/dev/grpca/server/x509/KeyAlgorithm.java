package dev.grpca.server.x509;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/** The key types grpca makes, for CA keys (in the token) and for leaf keys (in software). */
public enum KeyAlgorithm {
  EC_P256("EC P-256", "EC", 256, "SHA256withECDSA"),
  EC_P384("EC P-384", "EC", 384, "SHA384withECDSA"),
  EC_P521("EC P-521", "EC", 521, "SHA512withECDSA"),
  RSA_2048("RSA 2048", "RSA", 2048, "SHA256withRSA"),
  RSA_3072("RSA 3072", "RSA", 3072, "SHA256withRSA"),
  RSA_4096("RSA 4096", "RSA", 4096, "SHA256withRSA"),
  ED25519("Ed25519", "Ed25519", 255, "Ed25519");

  private final String displayName;
  private final String jcaKeyAlgorithm;
  private final int bits;
  private final String signatureAlgorithm;

  KeyAlgorithm(String displayName, String jcaKeyAlgorithm, int bits, String signatureAlgorithm) {
    this.displayName = displayName;
    this.jcaKeyAlgorithm = jcaKeyAlgorithm;
    this.bits = bits;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** E.g. "EC P-256", "RSA 2048", "Ed25519". */
  public String displayName() {
    return displayName;
  }

  /** Modulus size for RSA, field size for EC, 255 for Ed25519. */
  public int bits() {
    return bits;
  }

  public boolean isRsa() {
    return jcaKeyAlgorithm.equals("RSA");
  }

  /** Whether a PKCS#11 token can hold it through SunPKCS11 (EdDSA is not supported there). */
  public boolean isTokenSupported() {
    return this != ED25519;
  }

  /** The JCA name of the signature this key makes, e.g. "SHA384withECDSA". */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  /** The AlgorithmIdentifier of that signature, as it goes into certificates. */
  public AlgorithmIdentifier signatureAlgorithmIdentifier() {
    if (this == ED25519) {
      return new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
    }
    return new DefaultSignatureAlgorithmIdentifierFinder().find(signatureAlgorithm);
  }

  /** Makes a key pair with the given provider ({@code null}: the JDK's default). */
  public KeyPair generate(Provider provider, SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator generator =
        provider == null
            ? KeyPairGenerator.getInstance(jcaKeyAlgorithm)
            : KeyPairGenerator.getInstance(jcaKeyAlgorithm, provider);
    AlgorithmParameterSpec spec = parameterSpec();
    if (spec != null) {
      generator.initialize(spec, random);
    }
    return generator.generateKeyPair();
  }

  private AlgorithmParameterSpec parameterSpec() {
    switch (this) {
      case EC_P256:
        return new ECGenParameterSpec("secp256r1");
      case EC_P384:
        return new ECGenParameterSpec("secp384r1");
      case EC_P521:
        return new ECGenParameterSpec("secp521r1");
      case ED25519:
        return null;
      default:
        return new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4);
    }
  }
}
