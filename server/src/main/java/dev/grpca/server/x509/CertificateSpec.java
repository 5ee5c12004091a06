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
    String crlUrl,
    String caIssuersUrl,
    String ocspUrl,
    boolean ocspNoCheck) {

  /** An ordinary certificate: not an OCSP responder's. */
  public CertificateSpec(
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
      String crlUrl,
      String caIssuersUrl,
      String ocspUrl) {
    this(
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
        crlUrl,
        caIssuersUrl,
        ocspUrl,
        false);
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
