package dev.grpca.server.x509;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.TBSCertificate;

/** Puts a TBSCertificate and a signature together into a DER certificate (RFC 5280 §4.1.1). */
public final class SignedCertificates {
  private static final byte[] PLACEHOLDER_SIGNATURE = new byte[64];

  private SignedCertificates() {}

  public static byte[] der(TBSCertificate tbs) {
    try {
      return tbs.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a TBSCertificate", e);
    }
  }

  public static byte[] assemble(TBSCertificate tbs, AlgorithmIdentifier algorithm, byte[] sig) {
    try {
      return new DERSequence(new ASN1Encodable[] {tbs, algorithm, new DERBitString(sig)})
          .getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a certificate", e);
    }
  }

  /** The certificate with a dummy signature: what is checked before the HSM is asked to sign. */
  public static byte[] withPlaceholderSignature(TBSCertificate tbs) {
    return assemble(tbs, tbs.getSignature(), PLACEHOLDER_SIGNATURE);
  }
}
