package dev.grpca.server.authority;

import dev.grpca.server.hsm.Signer;
import dev.grpca.server.x509.SignedCertificates;
import java.io.IOException;
import java.security.Provider;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Has a token key sign a checked TBSCertificate, and verifies the result with the public key before
 * anyone sees it, so a faulty HSM answer never leaves the server.
 */
public final class CertificateSigning {
  private final JcaContentVerifierProviderBuilder verifiers;

  /**
   * @param bouncyCastle the provider that verifies (faster than the JDK's on JDK 17)
   */
  public CertificateSigning(Provider bouncyCastle) {
    this.verifiers = new JcaContentVerifierProviderBuilder().setProvider(bouncyCastle);
  }

  public X509CertificateHolder sign(Signer signer, TBSCertificate tbs) {
    byte[] signature = signer.sign(SignedCertificates.der(tbs));
    try {
      X509CertificateHolder certificate =
          new X509CertificateHolder(
              SignedCertificates.assemble(tbs, tbs.getSignature(), signature));
      SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded());
      if (!certificate.isSignatureValid(verifiers.build(key))) {
        throw new IllegalStateException("the token returned a signature that does not verify");
      }
      return certificate;
    } catch (IOException | CertException | OperatorCreationException e) {
      throw new IllegalStateException("checking the token's signature", e);
    }
  }
}
