package dev.grpca.server.authority;

import dev.grpca.server.hsm.Signer;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.Pem;
import dev.grpca.server.x509.SignedCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.Provider;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Has a token key sign a checked TBSCertificate, and verifies the result with the public key before
 * anyone sees it, so a faulty HSM answer never leaves the server.
 */
public final class CertificateSigning {
  private static final int MAX_CACHED_KEYS = 64;

  private final JcaContentVerifierProviderBuilder verifiers;

  /**
   * One verifier per token public key, kept: Bouncy Castle caches its precomputed multiples of the
   * key's point on the key object, so a kept key verifies faster than one converted per call.
   */
  private final Map<PublicKey, ContentVerifierProvider> verifierByKey = new ConcurrentHashMap<>();

  /**
   * @param bouncyCastle the provider that verifies (faster than the JDK's on JDK 17)
   */
  public CertificateSigning(Provider bouncyCastle) {
    this.verifiers = new JcaContentVerifierProviderBuilder().setProvider(bouncyCastle);
  }

  /**
   * Record-then-sign: durably records {@code pending} (the TBS certificate about to be signed), has
   * {@code signer} sign and verifies the result, then durably stores the certificate and returns
   * the stored row. A failed signature leaves the row marked failed.
   */
  public StoredCertificate recordAndSign(
      CertificateStore store,
      PendingCertificate pending,
      Signer signer,
      TBSCertificate tbs,
      Clock clock) {
    store.recordPending(pending);
    byte[] der;
    try {
      der = sign(signer, tbs).getEncoded();
    } catch (IOException e) {
      throw markFailed(store, pending, new UncheckedIOException(e));
    } catch (RuntimeException e) {
      throw markFailed(store, pending, e);
    }
    String pem = Pem.certificate(der);
    String fingerprint = Certificates.sha256Fingerprint(der);
    Instant issueTime = store.markIssued(pending.serialNumber(), pem, fingerprint, clock.instant());
    return pending.issued(pem, fingerprint, issueTime);
  }

  private static RuntimeException markFailed(
      CertificateStore store, PendingCertificate pending, RuntimeException cause) {
    try {
      store.markFailed(pending.serialNumber());
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
    return cause;
  }

  public X509CertificateHolder sign(Signer signer, TBSCertificate tbs) {
    byte[] signature = signer.sign(SignedCertificates.der(tbs));
    try {
      X509CertificateHolder certificate =
          new X509CertificateHolder(
              SignedCertificates.assemble(tbs, tbs.getSignature(), signature));
      if (!certificate.isSignatureValid(verifier(signer.publicKey()))) {
        throw new IllegalStateException("the token returned a signature that does not verify");
      }
      return certificate;
    } catch (IOException | CertException | OperatorCreationException e) {
      throw new IllegalStateException("checking the token's signature", e);
    }
  }

  private ContentVerifierProvider verifier(PublicKey publicKey) throws OperatorCreationException {
    ContentVerifierProvider cached = verifierByKey.get(publicKey);
    if (cached != null) {
      return cached;
    }
    if (verifierByKey.size() >= MAX_CACHED_KEYS) {
      // Rotated OCSP signer keys would otherwise pile up over the years.
      verifierByKey.clear();
    }
    ContentVerifierProvider built =
        verifiers.build(SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
    verifierByKey.put(publicKey, built);
    return built;
  }
}
