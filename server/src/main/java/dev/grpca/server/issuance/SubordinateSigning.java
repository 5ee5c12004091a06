package dev.grpca.server.issuance;

import dev.grpca.server.authority.Authority;
import dev.grpca.server.authority.AuthorityAdmin;
import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.error.CaException;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.NameConstraintRules;
import dev.grpca.server.x509.PublicKeyInfo;
import java.security.Provider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * SignSubordinate (Vault's config/ca/sign): another CA's CSR certified as a CA below a local
 * authority, with a path length and name constraints, its lifetime cut to the parent's. The
 * certificate goes the one certificate path like any other, under the profile {@link #PROFILE}: it
 * is in the inventory, revocable, and on the parent's CRL once revoked.
 */
public final class SubordinateSigning {
  /** The profile subordinate CA certificates are recorded under. */
  public static final String PROFILE = AuthorityBootstrap.SUBORDINATE_PROFILE;

  private static final Duration DEFAULT_LIFETIME = Duration.ofDays(1825);

  /** What to sign: {@code subject} null to take the CSR's. */
  public record Request(
      String parentId,
      String csrPem,
      X500Name subject,
      Duration lifetime,
      Integer maxPathLength,
      NameConstraintRules nameConstraints,
      String requestedBy) {}

  private final AuthorityAdmin authorities;
  private final CertificateFactory factory;
  private final IssuerUrls urls;
  private final Provider verifier;
  private final Clock clock;

  public SubordinateSigning(
      AuthorityAdmin authorities,
      CertificateFactory factory,
      IssuerUrls urls,
      Provider verifier,
      Clock clock) {
    this.authorities = authorities;
    this.factory = factory;
    this.urls = urls;
    this.verifier = verifier;
    this.clock = clock;
  }

  public IssuedCertificate sign(Request r) {
    Authority parent = authorities.parentFor(r.parentId());
    int pathLength = AuthorityAdmin.childPathLength(parent, r.maxPathLength(), "max_path_length");
    NameConstraintRules constraints =
        r.nameConstraints() == null ? NameConstraintRules.NONE : r.nameConstraints().checked();
    Csr csr = Csr.parse(r.csrPem(), verifier);
    IssuancePolicy.checkKey(PublicKeyInfo.of(csr.publicKey()), "csr_pem");
    X500Name subject = r.subject() != null ? r.subject() : csr.subjectName();
    if (subject == null || subject.getRDNs().length == 0) {
      throw CaException.invalid(
          "subject", "empty, and the CSR has none (give a subject, or a CSR with one)");
    }
    Duration lifetime = r.lifetime() == null ? DEFAULT_LIFETIME : r.lifetime();
    if (lifetime.compareTo(Duration.ofDays(1)) < 0) {
      throw CaException.invalid("lifetime", DurationText.human(lifetime) + " (expected: >= 1d)");
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant notAfter = now.plus(lifetime);
    if (notAfter.isAfter(parent.issuer().notAfter())) {
      notAfter = parent.issuer().notAfter();
    }
    CertificateSpec.Builder spec =
        CertificateSpec.builder(subject, csr.publicKey(), now, notAfter)
            .ca(pathLength)
            .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature)
            .nameConstraints(constraints)
            .issuerUrls(urls.of(parent.id()));
    CertificateFactory.Prepared prepared =
        factory.prepare(
            CertificateFactory.SigningKey.of(parent),
            spec,
            new CertificateFactory.Recording(
                PROFILE,
                Map.of(),
                r.requestedBy(),
                null,
                CertificateFactory.Recording.GENERATED,
                null));
    return new IssuedCertificate(factory.issue(prepared), parent.chain());
  }
}
