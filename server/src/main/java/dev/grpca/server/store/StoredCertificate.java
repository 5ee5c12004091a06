package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A certificate row as the store has it. {@code name} is the resource name it holds, if any (a
 * renewed certificate has given its name to the one that renewed it). {@code deleteTime} is set
 * once it was deleted from the inventory (its row stays, for the CRL and OCSP, until tidy).
 */
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
    List<String> emailAddresses,
    List<String> uris,
    Map<String, String> labels,
    String certificatePem,
    String sha256Fingerprint,
    String requestedBy,
    Instant createTime,
    Instant issueTime,
    Revocation revocation,
    String renewedFrom,
    String renewedBy,
    String name,
    Instant deleteTime,
    Imported imported) {

  /**
   * What an imported certificate has that ours do not: its issuer's DN, its own serial (the row is
   * keyed by its fingerprint), and the chain it came with. Null for certificates issued here.
   */
  public record Imported(String issuer, String issuerSerial, String chainPem) {}

  public StoredCertificate {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    emailAddresses = List.copyOf(emailAddresses);
    uris = List.copyOf(uris);
    labels = Map.copyOf(labels);
  }

  /** Issued and not deleted: what Get, Status, List and Renew see. */
  public boolean inInventory() {
    return state == CertificateState.ISSUED && deleteTime == null;
  }

  /** The same row with other labels. */
  public StoredCertificate withLabels(Map<String, String> other) {
    return new StoredCertificate(
        serialNumber,
        authorityId,
        profile,
        state,
        subject,
        commonName,
        publicKeyAlgorithm,
        notBefore,
        notAfter,
        dnsNames,
        ipAddresses,
        emailAddresses,
        uris,
        other,
        certificatePem,
        sha256Fingerprint,
        requestedBy,
        createTime,
        issueTime,
        revocation,
        renewedFrom,
        renewedBy,
        name,
        deleteTime,
        imported);
  }

  /** Revoked wins over expired: a revoked certificate stays revoked. */
  public Standing standingAt(Instant now) {
    if (revocation != null) {
      return Standing.REVOKED;
    }
    return now.isAfter(notAfter) ? Standing.EXPIRED : Standing.VALID;
  }
}
