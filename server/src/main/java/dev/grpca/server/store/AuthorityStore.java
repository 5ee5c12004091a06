package dev.grpca.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The CAs this server runs. */
public interface AuthorityStore {
  Optional<StoredAuthority> find(String id);

  /** Every CA, in the order they were made. */
  List<StoredAuthority> list();

  /**
   * Adds a CA; its certificate may be null, to be {@link #complete}d once it is signed. A second CA
   * with an id that is taken is {@link DuplicateAuthorityException}.
   */
  void insert(StoredAuthority authority);

  /**
   * Stores the certificate of a CA inserted without one, in one transaction with its audit record
   * and the TRUST event that tells trust-bundle watchers a CA is there ({@code subject} for the
   * record).
   */
  void complete(String id, String certificatePem, String subject, Instant now);

  /** The CSR of a PENDING_CSR intermediate, once its key is made. */
  void pendingCsr(String id, String csrPem);

  /**
   * Stores the certificate an external root signed for a PENDING_CSR intermediate, and the chain
   * above it, as {@link #complete} does; false when it is no longer pending (activated already).
   */
  boolean activate(String id, String certificatePem, String chainPem, String subject, Instant now);

  /**
   * Marks an ACTIVE CA DISABLED, with its audit record ({@code detail}) and a TRUST event, in one
   * transaction; false when it is not ACTIVE. With {@code newDefault}, that CA becomes the default
   * issuer in the same transaction (null: the default stays).
   */
  boolean disable(String id, String newDefault, String detail, Instant now);

  /**
   * The id of the default issuer: the CA marked so, or {@code id}, marked now, when none is (the
   * first start, or a database from before the default could move).
   */
  String claimDefault(String id);

  /** The URLs and CRL validity set for authorities (UpdateAuthority), by authority id. */
  java.util.Map<String, dev.grpca.server.x509.IssuerSettings> settings();

  /**
   * Stores what was set for CA {@code id}, replacing what was, with its audit record ({@code
   * detail}) and an AUTHORITY event that tells other replicas, in one transaction.
   */
  void updateSettings(
      String id, dev.grpca.server.x509.IssuerSettings settings, String detail, Instant now);

  /** An id that is taken already. */
  final class DuplicateAuthorityException extends RuntimeException {
    public DuplicateAuthorityException(String id, Throwable cause) {
      super("authority '" + id + "' exists already", cause);
    }
  }
}
