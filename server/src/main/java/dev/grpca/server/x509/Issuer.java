package dev.grpca.server.x509;

import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/**
 * What a certificate takes from the CA that signs it, and the name constraints of that CA and of
 * every CA above it (each must hold for what it signs).
 */
public record Issuer(
    X500Name subject,
    byte[] keyIdentifier,
    AlgorithmIdentifier signatureAlgorithm,
    Instant notBefore,
    Instant notAfter,
    List<NameConstraintRules> nameConstraints) {

  /** An issuer with no name constraints above it. */
  public Issuer(
      X500Name subject,
      byte[] keyIdentifier,
      AlgorithmIdentifier signatureAlgorithm,
      Instant notBefore,
      Instant notAfter) {
    this(subject, keyIdentifier, signatureAlgorithm, notBefore, notAfter, List.of());
  }

  public Issuer {
    nameConstraints = nameConstraints.stream().filter(c -> !c.isEmpty()).toList();
  }
}
