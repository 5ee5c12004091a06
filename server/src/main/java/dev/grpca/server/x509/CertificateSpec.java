package dev.grpca.server.x509;

import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * Everything that goes into one certificate but the issuer: the checked result of policy, ready to
 * be encoded. {@code keyUsage} holds {@link org.bouncycastle.asn1.x509.KeyUsage} bits. {@code
 * ocspNoCheck} marks a delegated OCSP responder certificate (RFC 6960 §4.2.2.2.1): it carries
 * id-pkix-ocsp-nocheck and, naming no host, no subjectAltName.
 */
public record CertificateSpec(
    BigInteger serial,
    X500Name subject,
    Instant notBefore,
    Instant notAfter,
    SubjectPublicKeyInfo publicKey,
    boolean ca,
    Integer pathLength,
    int keyUsage,
    List<KeyPurposeId> extendedKeyUsages,
    List<String> dnsNames,
    List<InetAddress> ipAddresses,
    List<String> emailAddresses,
    List<String> uris,
    IssuerUrls.Urls urls,
    boolean ocspNoCheck,
    NameConstraintRules nameConstraints) {

  /**
   * A spec with the four things every certificate has; the rest is named on the builder. The serial
   * comes last, from whoever records the certificate.
   */
  public static Builder builder(
      X500Name subject, SubjectPublicKeyInfo publicKey, Instant notBefore, Instant notAfter) {
    return new Builder(subject, publicKey, notBefore, notAfter);
  }

  /** The optional parts of a {@link CertificateSpec}, each by name. */
  public static final class Builder {
    private final X500Name subject;
    private final SubjectPublicKeyInfo publicKey;
    private final Instant notBefore;
    private final Instant notAfter;
    private boolean ca;
    private Integer pathLength;
    private int keyUsage;
    private List<KeyPurposeId> extendedKeyUsages = List.of();
    private List<String> dnsNames = List.of();
    private List<InetAddress> ipAddresses = List.of();
    private List<String> emailAddresses = List.of();
    private List<String> uris = List.of();
    private IssuerUrls.Urls urls = IssuerUrls.Urls.NONE;
    private boolean ocspNoCheck;
    private NameConstraintRules nameConstraints = NameConstraintRules.NONE;

    private Builder(
        X500Name subject, SubjectPublicKeyInfo publicKey, Instant notBefore, Instant notAfter) {
      this.subject = subject;
      this.publicKey = publicKey;
      this.notBefore = notBefore;
      this.notAfter = notAfter;
    }

    /** A CA certificate; {@code pathLength} null for no limit. */
    public Builder ca(Integer pathLength) {
      this.ca = true;
      this.pathLength = pathLength;
      return this;
    }

    /** {@link org.bouncycastle.asn1.x509.KeyUsage} bits. */
    public Builder keyUsage(int keyUsage) {
      this.keyUsage = keyUsage;
      return this;
    }

    public Builder extendedKeyUsages(List<KeyPurposeId> extendedKeyUsages) {
      this.extendedKeyUsages = extendedKeyUsages;
      return this;
    }

    public Builder dnsNames(List<String> dnsNames) {
      this.dnsNames = dnsNames;
      return this;
    }

    public Builder ipAddresses(List<InetAddress> ipAddresses) {
      this.ipAddresses = ipAddresses;
      return this;
    }

    public Builder emailAddresses(List<String> emailAddresses) {
      this.emailAddresses = emailAddresses;
      return this;
    }

    public Builder uris(List<String> uris) {
      this.uris = uris;
      return this;
    }

    /** The CRL distribution point, AIA caIssuers and AIA OCSP URLs (unset: none). */
    public Builder issuerUrls(IssuerUrls.Urls urls) {
      this.urls = urls;
      return this;
    }

    /** A delegated OCSP responder's certificate: id-pkix-ocsp-nocheck, no subjectAltName. */
    public Builder ocspNoCheck() {
      this.ocspNoCheck = true;
      return this;
    }

    /** The names the CA certificate lets the certificates below it carry (none: any). */
    public Builder nameConstraints(NameConstraintRules nameConstraints) {
      this.nameConstraints = nameConstraints;
      return this;
    }

    public CertificateSpec build(BigInteger serial) {
      return new CertificateSpec(
          serial,
          subject,
          notBefore,
          notAfter,
          publicKey,
          ca,
          pathLength,
          keyUsage,
          extendedKeyUsages,
          dnsNames,
          ipAddresses,
          emailAddresses,
          uris,
          urls,
          ocspNoCheck,
          nameConstraints);
    }
  }

  public CertificateSpec {
    extendedKeyUsages = List.copyOf(extendedKeyUsages);
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    emailAddresses = List.copyOf(emailAddresses);
    uris = List.copyOf(uris);
    if (!notBefore.isBefore(notAfter)) {
      throw new IllegalArgumentException(
          "validity: notBefore " + notBefore + " is not before notAfter " + notAfter);
    }
  }
}
