package dev.grpca.server.issuance;

import dev.grpca.server.store.StoredCertificate;
import java.security.cert.X509Certificate;
import java.util.List;

/** A certificate that is signed and durably stored, with its issuer's chain up to the root. */
public record IssuedCertificate(StoredCertificate stored, List<X509Certificate> chain) {
  public IssuedCertificate {
    chain = List.copyOf(chain);
  }
}
