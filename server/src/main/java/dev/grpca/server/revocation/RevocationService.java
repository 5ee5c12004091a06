package dev.grpca.server.revocation;

import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.issuance.RequestIds;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.RequestTakenException;
import dev.grpca.server.store.Revocation;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.SerialNumbers;
import java.time.Clock;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revokes certificates. The store keeps the first revocation, so repeating one is harmless. The CRL
 * and OCSP that publish revocations come with the HTTP sidecar.
 */
public final class RevocationService {
  private static final Logger log = LoggerFactory.getLogger(RevocationService.class);

  /** cACompromise (2), removeFromCRL (8), aACompromise (10): meaningless for a leaf. */
  private static final int CA_COMPROMISE = 2;

  private static final int REMOVE_FROM_CRL = 8;
  private static final int AA_COMPROMISE = 10;

  private final CertificateStore store;
  private final Clock clock;
  private final BiConsumer<String, String> revokedIn;

  /**
   * @param revokedIn told the authority id and serial after each revocation (the CRL publisher, the
   *     OCSP cache)
   */
  private final Metrics metrics;

  /** RFC 5280 CRLReason names by code (7 is unused; 8 and 10 are refused above). */
  private static final String[] REASONS = {
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "unused",
    "removeFromCRL",
    "privilegeWithdrawn",
    "aACompromise"
  };

  private final RequestIds requests;

  public RevocationService(
      CertificateStore store, Clock clock, BiConsumer<String, String> revokedIn, Metrics metrics) {
    this(store, clock, revokedIn, metrics, new RequestIds(store, clock, RequestIds.DEFAULT_WINDOW));
  }

  public RevocationService(
      CertificateStore store,
      Clock clock,
      BiConsumer<String, String> revokedIn,
      Metrics metrics,
      RequestIds requests) {
    this.requests = requests;
    this.metrics = metrics;
    this.store = store;
    this.clock = clock;
    this.revokedIn = revokedIn;
  }

  /**
   * Revokes the certificate with serial {@code serialText} for RFC 5280 reason {@code reason};
   * returns the revocation in force (the first one when it already was revoked).
   */
  public Revocation revoke(String serialText, int reason, String principal) {
    return revoke(serialText, reason, principal, null);
  }

  /**
   * Revoke; a repeat of the call's request {@code key} answers the revocation the first call made
   * and does nothing else.
   */
  public Revocation revoke(String serialText, int reason, String principal, RequestKey key) {
    String serial = SerialNumbers.requireHex("serial_number", serialText);
    if (reason == REMOVE_FROM_CRL) {
      throw CaException.invalid(
          "reason", "removeFromCRL belongs in delta CRLs; it revokes nothing");
    }
    if (reason < 0 || reason > AA_COMPROMISE || reason == 7) {
      throw CaException.invalid("reason", reason + " is not an RFC 5280 reason code");
    }
    Optional<StoredCertificate> earlier = requests.earlierCertificate(key);
    if (earlier.isPresent() && earlier.get().revocation() != null) {
      return earlier.get().revocation();
    }
    StoredCertificate certificate =
        store.find(serial).orElseThrow(() -> SerialNumbers.notIssuedHere(serial));
    if (certificate.imported() != null) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "serial_number",
          serial
              + " was imported: only its own CA ("
              + certificate.imported().issuer()
              + ") can"
              + " revoke it");
    }
    if ((reason == CA_COMPROMISE || reason == AA_COMPROMISE)
        && !AuthorityBootstrap.SUBORDINATE_PROFILE.equals(certificate.profile())) {
      throw CaException.invalid(
          "reason",
          "cACompromise and aACompromise are for CA certificates (SignSubordinate's), not the"
              + " leaves this CA issues");
    }
    if (AuthorityBootstrap.PROFILE.equals(certificate.profile())) {
      // A CA's certificate is recorded like any other, but revoking one is a hierarchy decision
      // (it would invalidate everything below it), not a Revoke call.
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "serial_number",
          serial + " is a CA certificate of this server; Revoke takes the certificates it issues");
    }
    Revocation revocation;
    try {
      revocation =
          store
              .revoke(serial, new Revocation(clock.instant(), reason), key)
              .orElseThrow(() -> SerialNumbers.notIssuedHere(serial));
    } catch (RequestTakenException e) {
      // Another call with this id revoked first: its answer.
      return requests
          .earlierCertificate(key)
          .map(StoredCertificate::revocation)
          .orElseThrow(() -> e);
    }
    log.info("certificate {} revoked by {} (reason {})", serial, principal, revocation.reason());
    if (certificate.revocation() == null) {
      metrics.counter(MetricNames.CERTIFICATES_REVOKED, REASONS[revocation.reason()]).inc();
    }
    revokedIn.accept(certificate.authorityId(), serial);
    return revocation;
  }
}
