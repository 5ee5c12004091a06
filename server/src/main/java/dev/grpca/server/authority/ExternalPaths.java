package dev.grpca.server.authority;

import dev.grpca.server.error.CaException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;

/** The path from an intermediate up to an external root, checked as relying parties check it. */
final class ExternalPaths {
  private ExternalPaths() {}

  /**
   * {@code certificate} then {@code above} (its issuer first, the self-signed root last) must be a
   * valid PKIX path at {@code now}: INVALID_ARGUMENT on chain_pem saying why not.
   */
  static void validate(X509Certificate certificate, List<X509Certificate> above, Instant now) {
    if (above.isEmpty()) {
      throw CaException.invalid(
          "chain_pem", "empty (expected: the certificates above it, up to the external root)");
    }
    X509Certificate root = above.get(above.size() - 1);
    try {
      root.verify(root.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw CaException.invalid(
          "chain_pem",
          "its last certificate ("
              + root.getSubjectX500Principal()
              + ") is not a self-signed root");
    }
    // PKIX does not look at a trust anchor's dates: an expired root would pass. The chain is
    // checked whole, each certificate within its validity now.
    for (X509Certificate c : above) {
      try {
        c.checkValidity(Date.from(now));
      } catch (java.security.cert.CertificateExpiredException
          | java.security.cert.CertificateNotYetValidException e) {
        throw CaException.invalid(
            "chain_pem",
            c.getSubjectX500Principal()
                + " is not valid now (valid from "
                + c.getNotBefore().toInstant()
                + " to "
                + c.getNotAfter().toInstant()
                + ")");
      }
    }
    List<X509Certificate> path = new ArrayList<>();
    path.add(certificate);
    path.addAll(above.subList(0, above.size() - 1));
    try {
      PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    } catch (CertPathValidatorException e) {
      throw CaException.invalid(
          "chain_pem",
          "the path to "
              + root.getSubjectX500Principal()
              + " does not validate: "
              + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PKIX validation unavailable", e);
    }
  }
}
