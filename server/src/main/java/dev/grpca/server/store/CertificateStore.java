package dev.grpca.server.store;

import java.time.Instant;
import java.util.Optional;

/** Certificates, in the order of the issuance cycle: record, then complete. */
public interface CertificateStore {
  /** Durably records what is about to be signed. Fails if the serial is already taken. */
  void recordPending(PendingCertificate pending);

  /** Durably stores the signed certificate of a pending row. */
  void markIssued(String serialNumber, String certificatePem, String sha256, Instant issueTime);

  /** Marks a pending row whose signing failed. */
  void markFailed(String serialNumber);

  Optional<StoredCertificate> find(String serialNumber);

  /** Rows in any state. */
  long count();
}
