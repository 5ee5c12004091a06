package dev.grpca.server.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Certificates, in the order of the issuance cycle: record, then complete. */
public interface CertificateStore {
  /**
   * Durably records what is about to be signed, holding its resource name if it has one. Throws
   * {@link NameTakenException} when another certificate holds that name; fails if the serial is
   * already taken.
   */
  default void recordPending(PendingCertificate pending) {
    recordPending(pending, null);
  }

  /**
   * {@link #recordPending(PendingCertificate)}, with the record of the call's request id (null:
   * none) in the same transaction. Throws {@link RequestTakenException} when another call recorded
   * that principal's request id first.
   */
  default void recordPending(PendingCertificate pending, RequestKey request) {
    recordPending(pending, request, Upkeep.NONE);
  }

  /**
   * {@link #recordPending(PendingCertificate, RequestKey)}, with its {@code upkeep} (the key the CA
   * holds for it, its auto-renewal) in the same transaction.
   */
  void recordPending(PendingCertificate pending, RequestKey request, Upkeep upkeep);

  /** The auto-renewal choice recorded for {@code serialNumber} at issuance ("ON", "OFF", null). */
  Optional<String> renewChoice(String serialNumber);

  /**
   * A certificate due for auto-renewal, who asked for it, and when it was due (what a claim on it
   * compares).
   */
  record DueRenewal(String serialNumber, String profile, String requestedBy, Instant renewAt) {}

  /**
   * Up to {@code limit} issued, undeleted certificates whose auto-renewal was due at {@code now},
   * the longest due first.
   */
  List<DueRenewal> dueRenewals(Instant now, int limit);

  /**
   * Takes {@code due} for this process: moves its renew_at to {@code retryAt}, if it is still what
   * {@code due} says (false: another process took it).
   */
  boolean claimRenewal(DueRenewal due, Instant retryAt);

  /** Ends the auto-renewal of {@code serialNumber}: it was renewed. */
  void renewalDone(String serialNumber);

  /**
   * Ends the auto-renewal of {@code serialNumber} for {@code reason}, in the audit log; its
   * watchers are told it is about to expire at the next {@link #noticeExpiring}.
   */
  void stopRenewal(String serialNumber, String profile, String reason, Instant now);

  /** What a run of {@link #noticeExpiring} did: rows whose notice time had come, notices made. */
  record Notices(int taken, int told) {}

  /**
   * Takes up to {@code limit} certificates whose notice time has come by {@code now}, once across
   * replicas, and for each that is still valid, unrevoked and not renewed writes an EXPIRING event
   * (and its audit record) for its watchers.
   */
  Notices noticeExpiring(Instant now, int limit);

  /** What the call with {@code requestId} from {@code principal} did, if it is recorded. */
  Optional<StoredRequest> findRequest(String principal, String requestId);

  /** Forgets a recorded request id, if it is still the one recorded at {@code createTime}. */
  void forgetRequest(String principal, String requestId, Instant createTime);

  /** Forgets up to {@code limit} request ids recorded before {@code before}; returns how many. */
  int forgetRequestsBefore(Instant before, int limit);

  /**
   * Durably stores the signed certificate of a pending row; for a renewal, moves the resource name
   * of the certificate it renewed to it in the same transaction. Returns the issue time as stored
   * (the store keeps microseconds) and the name the row now holds.
   */
  Issued markIssued(String serialNumber, String certificatePem, String sha256, Instant issueTime);

  /** What {@link #markIssued} stored: the issue time and the name held (null: none). */
  record Issued(Instant issueTime, String name) {}

  /** Marks a pending row whose signing failed; it gives up its name. */
  void markFailed(String serialNumber);

  /** The certificate (in any state) holding resource name {@code name}. */
  Optional<StoredCertificate> findByName(String name);

  /**
   * Marks FAILED every row still PENDING that was recorded before {@code recordedBefore}: the
   * process that recorded it stopped before it stored the certificate. Their serials stay taken;
   * their names are given up. Returns how many there were.
   */
  int failAbandoned(Instant recordedBefore);

  /** How many rows are PENDING now (recorded, not yet signed and stored); never reads the table. */
  int countPending();

  /** A certificate row in any state. */
  Optional<StoredCertificate> find(String serialNumber);

  /**
   * The issuer, state and revocation of a certificate row, and nothing else: what OCSP asks for
   * every request, including the many a flood of unknown serials makes, so it reads one index entry
   * with no mapping of the whole row.
   */
  Optional<OcspStanding> ocspStanding(String serialNumber);

  /** The issued certificates holding one of {@code names}, in no particular order. */
  List<StoredCertificate> findAllByName(Collection<String> names);

  /** The issued certificates among {@code serialNumbers}, in no particular order. */
  List<StoredCertificate> findAll(Collection<String> serialNumbers);

  /**
   * Revokes an issued certificate, keeping the first revocation if it already is revoked. Returns
   * the revocation in force; empty when no issued certificate has that serial.
   */
  default Optional<Revocation> revoke(String serialNumber, Revocation revocation) {
    return revoke(serialNumber, revocation, null);
  }

  /**
   * {@link #revoke(String, Revocation)}, recording the call's request id (null: none) in the same
   * transaction; {@link RequestTakenException} when another call recorded it first.
   */
  Optional<Revocation> revoke(String serialNumber, Revocation revocation, RequestKey request);

  /**
   * Replaces the labels of the issued certificate {@code serialNumber}, recording the call's
   * request id (null: none) with its {@code answer} in the same transaction, and audits it. Returns
   * false when there is no such certificate in the inventory.
   */
  boolean updateLabels(
      String serialNumber,
      java.util.Map<String, String> labels,
      Instant time,
      RequestKey request,
      byte[] answer);

  /**
   * Deletes {@code serialNumbers} from the inventory (their rows stay, for the CRL and OCSP, until
   * tidy) and gives up their names, each audited, recording the call's request id (null: none) with
   * its {@code answer}, all in one transaction. Returns how many were deleted now.
   */
  int delete(Collection<String> serialNumbers, Instant time, RequestKey request, byte[] answer);

  /**
   * Removes up to {@code limit} certificate rows that expired before {@code expiredBefore} (CA
   * certificates and rows still pending excepted), with their names and labels, in one short
   * transaction that is audited; returns how many.
   */
  int tidy(Instant expiredBefore, int limit, Instant time);

  /**
   * Stores an imported certificate, its sealed key if any, and (for a replacement) moves the name
   * of the certificate it replaces to it, recording the call's request id (null: none), all in one
   * audited transaction. {@link NameTakenException} when its name is held; {@link
   * DuplicateCertificateException} when the certificate is already stored; {@link
   * RequestTakenException} as for {@link #recordPending(PendingCertificate, RequestKey)}.
   */
  void insertImported(ImportedCertificate imported, RequestKey request);

  /** The sealed private key the CA holds for {@code serialNumber}, if any. */
  Optional<ImportedCertificate.SealedKey> heldKey(String serialNumber);

  /** The key the CA holds for {@code serialNumber} at {@code now}: none once its hold ended. */
  Optional<HeldKey> heldKey(String serialNumber, Instant now);

  /** Up to {@code limit} certificates matching {@code query}, in issue order, after its cursor. */
  List<StoredCertificate> list(CertificateQuery query, int limit);

  /** How many certificates match {@code query} (its cursor ignored). */
  long count(CertificateQuery query);

  /** Rows in any state. */
  long count();
}
