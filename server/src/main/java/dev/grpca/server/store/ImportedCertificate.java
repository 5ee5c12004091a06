package dev.grpca.server.store;

/**
 * A certificate issued elsewhere, checked and about to be stored: the row (keyed by its
 * fingerprint), its resource name, and the sealed private key if the CA is to hold one. {@code
 * replaces} is the imported certificate whose resource it takes over (its name moves), or null.
 */
public record ImportedCertificate(
    StoredCertificate row, byte[] tbsCertificate, SealedKey key, String replaces) {

  /** A private key encrypted by the token's key {@code label}. */
  public record SealedKey(String label, byte[] sealed) {
    public SealedKey {
      sealed = sealed.clone();
    }

    @Override
    public byte[] sealed() {
      return sealed.clone();
    }
  }

  public ImportedCertificate {
    tbsCertificate = tbsCertificate.clone();
  }

  @Override
  public byte[] tbsCertificate() {
    return tbsCertificate.clone();
  }
}
