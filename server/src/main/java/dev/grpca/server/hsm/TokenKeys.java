package dev.grpca.server.hsm;

import dev.grpca.server.x509.KeyAlgorithm;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * The keys of a PKCS#11 token, as the CAs and OCSP signers use them: made inside it, labelled with
 * their certificate, found again, destroyed. {@link Pkcs11Token} is the one implementation.
 */
public interface TokenKeys {
  /** The key pair stored under {@code label}, if the token has one with its certificate. */
  Optional<TokenKey> find(String label);

  /** Generates a key pair inside the token. It has no label until {@link #store} is called. */
  Signer generate(KeyAlgorithm algorithm);

  /** Labels the token key behind {@code signer} and stores its certificate beside it. */
  void store(String label, Signer signer, X509Certificate certificate);

  /** The labels of the key pairs in the token that start with {@code prefix}, read afresh. */
  List<String> labels(String prefix);

  /** Destroys the key pair under {@code label} and its certificate; no-op when there is none. */
  void delete(String label);
}
