package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A certificate row as the store has it. */
public record StoredCertificate(
    String serialNumber,
    String authorityId,
    String profile,
    CertificateState state,
    String subject,
    String commonName,
    String publicKeyAlgorithm,
    Instant notBefore,
    Instant notAfter,
    List<String> dnsNames,
    List<String> ipAddresses,
    Map<String, String> labels,
    String certificatePem,
    String sha256Fingerprint,
    String requestedBy,
    Instant createTime) {

  public StoredCertificate {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    labels = Map.copyOf(labels);
  }
}
