package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What is about to be signed, recorded before the HSM is asked (the "record" of record-then-sign).
 */
public record PendingCertificate(
    String serialNumber,
    String authorityId,
    String profile,
    String subject,
    String commonName,
    String publicKeyAlgorithm,
    Instant notBefore,
    Instant notAfter,
    List<String> dnsNames,
    List<String> ipAddresses,
    List<String> emailAddresses,
    List<String> uris,
    Map<String, String> labels,
    byte[] tbsCertificate,
    String requestedBy,
    Instant createTime,
    String renewedFrom,
    String name) {

  /** A row without a resource name. */
  public PendingCertificate(
      String serialNumber,
      String authorityId,
      String profile,
      String subject,
      String commonName,
      String publicKeyAlgorithm,
      Instant notBefore,
      Instant notAfter,
      List<String> dnsNames,
      List<String> ipAddresses,
      List<String> emailAddresses,
      List<String> uris,
      Map<String, String> labels,
      byte[] tbsCertificate,
      String requestedBy,
      Instant createTime,
      String renewedFrom) {
    this(
        serialNumber,
        authorityId,
        profile,
        subject,
        commonName,
        publicKeyAlgorithm,
        notBefore,
        notAfter,
        dnsNames,
        ipAddresses,
        emailAddresses,
        uris,
        labels,
        tbsCertificate,
        requestedBy,
        createTime,
        renewedFrom,
        null);
  }

  /** The same row under another resource name (a generated one that was taken). */
  public PendingCertificate withName(String other) {
    return new PendingCertificate(
        serialNumber,
        authorityId,
        profile,
        subject,
        commonName,
        publicKeyAlgorithm,
        notBefore,
        notAfter,
        dnsNames,
        ipAddresses,
        emailAddresses,
        uris,
        labels,
        tbsCertificate,
        requestedBy,
        createTime,
        renewedFrom,
        other);
  }

  public PendingCertificate {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    emailAddresses = List.copyOf(emailAddresses);
    uris = List.copyOf(uris);
    labels = Map.copyOf(labels);
    tbsCertificate = tbsCertificate.clone();
  }

  /**
   * The row once {@link CertificateStore#markIssued} has stored its certificate, holding {@code
   * heldName} (for a renewal, the name it took over from the certificate it renewed).
   */
  public StoredCertificate issued(
      String certificatePem, String sha256Fingerprint, Instant issueTime, String heldName) {
    return new StoredCertificate(
        serialNumber,
        authorityId,
        profile,
        CertificateState.ISSUED,
        subject,
        commonName,
        publicKeyAlgorithm,
        notBefore,
        notAfter,
        dnsNames,
        ipAddresses,
        emailAddresses,
        uris,
        labels,
        certificatePem,
        sha256Fingerprint,
        requestedBy,
        createTime,
        issueTime,
        null,
        renewedFrom,
        null,
        heldName,
        null,
        null);
  }
}
