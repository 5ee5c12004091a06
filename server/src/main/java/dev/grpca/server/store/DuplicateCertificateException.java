package dev.grpca.server.store;

/** The certificate is already in the store (the same SHA-256 fingerprint). */
public final class DuplicateCertificateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DuplicateCertificateException(String serialNumber) {
    super("the certificate is already stored as " + serialNumber, null, false, false);
  }
}
