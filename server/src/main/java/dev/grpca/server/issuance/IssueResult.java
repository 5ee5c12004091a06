package dev.grpca.server.issuance;

import dev.grpca.server.x509.PrivateKeys;
import java.security.KeyPair;
import java.security.PrivateKey;

/**
 * What Issue hands back once: the certificate and the key pair made for it. Both are {@code null}
 * for a validate-only request.
 */
public record IssueResult(IssuedCertificate certificate, KeyPair keyPair) {
  public PrivateKey privateKey() {
    return keyPair.getPrivate();
  }

  /** The private key as PEM text in {@code format}, the form OpenSSL writes. */
  public String privateKeyPem(PrivateKeys.Format format) {
    return PrivateKeys.pem(keyPair, format);
  }
}
