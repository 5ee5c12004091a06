package dev.grpca.server.access;

import dev.grpca.proto.v1.Operation;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.error.CaException;
import dev.grpca.server.issuance.Importer;
import dev.grpca.server.issuance.Inventory;
import dev.grpca.server.policy.ProfileCatalog;
import dev.grpca.server.store.StoredCertificate;

/**
 * Who may do what with certificates: every decision CertificateService's RPCs take about the
 * caller, in one place, so the gRPC edge only maps. A grant names a profile and, through it, an
 * authority; a profile that names no authority is the default issuer's.
 */
public final class CertificatePermissions {
  private final ProfileCatalog profiles;
  private final Authorities authorities;

  public CertificatePermissions(ProfileCatalog profiles, Authorities authorities) {
    this.profiles = profiles;
    this.authorities = authorities;
  }

  /**
   * The caller may do {@code operation} under the profile a request names (checked against no
   * authority when the profile or its authority is unknown: only a grant for any authority passes,
   * and the request then fails on the profile itself).
   */
  public void requireForProfile(Caller caller, Operation operation, String profile) {
    String authority =
        profiles
            .find(profile)
            .map(
                p -> p.authorityId().isEmpty() ? authorities.defaultIssuer().id() : p.authorityId())
            .filter(authorities::contains)
            .orElse(null);
    caller.require(operation, profile, authority);
  }

  /** The caller may do {@code operation} with an existing certificate. */
  public void requireFor(Caller caller, Operation operation, StoredCertificate certificate) {
    caller.require(operation, certificate.profile(), certificate.authorityId());
  }

  /**
   * Renew: presenting the very certificate being renewed (as the TLS client certificate) needs no
   * grant; anyone else needs RENEW on its profile. Returns whether the caller renews itself.
   */
  public boolean requireRenew(Caller caller, StoredCertificate old) {
    boolean self = old.serialNumber().equals(caller.peerSerial());
    if (!self) {
      requireFor(caller, Operation.OPERATION_RENEW, old);
    }
    return self;
  }

  /**
   * Revoke: REVOKE on the certificate's profile, and the certificate must be one the caller
   * requested unless its grant revokes any.
   */
  public void requireRevoke(Caller caller, StoredCertificate target) {
    requireFor(caller, Operation.OPERATION_REVOKE, target);
    if (!caller.revokesAny() && !caller.name().equals(target.requestedBy())) {
      throw CaException.denied(
          "serial_number",
          "principal '"
              + caller.name()
              + "' may revoke only certificates it requested (this one: '"
              + target.requestedBy()
              + "')");
    }
  }

  /** UpdateCertificate: UPDATE on the certificate's profile, or ADMIN (which updates any). */
  public void requireUpdate(Caller caller, StoredCertificate target) {
    if (!caller.allows(Operation.OPERATION_ADMIN, null, null)) {
      requireFor(caller, Operation.OPERATION_UPDATE, target);
    }
  }

  /** Import, and replacing an imported certificate: IMPORT on "imported", or ADMIN. */
  /**
   * CreateDownloadToken: a key goes out, so what made the certificate (ISSUE on its profile, IMPORT
   * for an imported one) and being the principal that made it, or ADMIN.
   */
  public void requireDownload(Caller caller, StoredCertificate certificate) {
    if (caller.allows(Operation.OPERATION_ADMIN, null, null)) {
      return;
    }
    if (certificate.imported() != null) {
      caller.require(Operation.OPERATION_IMPORT, Importer.PROFILE, null);
    } else {
      requireFor(caller, Operation.OPERATION_ISSUE, certificate);
    }
    if (!caller.name().equals(certificate.requestedBy())) {
      throw CaException.denied(
          "serial_number",
          "principal '"
              + caller.name()
              + "' may not download the key of a certificate another principal made");
    }
  }

  public void requireImport(Caller caller) {
    if (!caller.allows(Operation.OPERATION_ADMIN, null, null)) {
      caller.require(Operation.OPERATION_IMPORT, Importer.PROFILE, null);
    }
  }

  /**
   * Delete: what Revoke needs (REVOKE on its profile, and only certificates the caller requested
   * unless its grant revokes any), or ADMIN. Returns why not, or null when the caller may; a
   * certificate the caller may not even read is as good as not there.
   */
  public Inventory.Refusal deleteRefusal(Caller caller, StoredCertificate target) {
    if (caller.allows(Operation.OPERATION_ADMIN, null, null)) {
      return null;
    }
    if (!mayRead(caller, target)) {
      return new Inventory.Refusal(Inventory.Verdict.NOT_FOUND, "no such certificate");
    }
    try {
      requireRevoke(caller, target);
      return null;
    } catch (CaException e) {
      return new Inventory.Refusal(Inventory.Verdict.DENIED, e.getMessage());
    }
  }

  /** Status: whether the caller may see {@code certificate}; to it, others are unknown. */
  public boolean mayRead(Caller caller, StoredCertificate certificate) {
    return caller.allows(
        Operation.OPERATION_READ, certificate.profile(), certificate.authorityId());
  }

  /** List: under the profile named, or (none named) only for a caller that reads every profile. */
  public void requireList(Caller caller, String profile) {
    if (!profile.isEmpty()) {
      requireForProfile(caller, Operation.OPERATION_READ, profile);
    } else if (!caller.allowsEveryProfile(Operation.OPERATION_READ)) {
      throw CaException.denied(
          "profile", "principal '" + caller.name() + "' may read only some profiles: name one");
    }
  }
}
