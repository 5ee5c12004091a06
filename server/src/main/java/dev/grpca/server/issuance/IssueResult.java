package dev.grpca.server.issuance;

import dev.grpca.server.x509.PrivateKeys;
import java.security.KeyPair;
import java.security.PrivateKey;

/**
 * What Issue hands back once: the certificate and the key pair made for it. Both are {@code null}
 * for a validate-only request.
 */
public record IssueResult(IssuedCertificate certificate, KeyPair keyPair) {
  /**
   * A repeat of an earlier Issue's request id: its certificate, and no key (it went out once, with
   * the first answer, and was never stored).
   */
  public static IssueResult repeat(IssuedCertificate earlier) {
    return new IssueResult(earlier, null);
  }

  /** Whether this answers a repeat: the certificate is the earlier call's, and there is no key. */
  public boolean isRepeat() {
    return certificate != null && keyPair == null;
  }

  public PrivateKey privateKey() {
    return keyPair.getPrivate();
  }

  /** The private key as PEM text in {@code format}, the form OpenSSL writes. */
  public String privateKeyPem(PrivateKeys.Format format) {
    return PrivateKeys.pem(keyPair, format);
  }
}
