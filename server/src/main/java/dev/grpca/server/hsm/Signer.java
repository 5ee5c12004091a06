package dev.grpca.server.hsm;

import dev.grpca.server.x509.KeyAlgorithm;
import java.security.PublicKey;

/** Signs with a key that stays where it is (in the token). Safe to call from many threads. */
public interface Signer {
  KeyAlgorithm algorithm();

  PublicKey publicKey();

  /** The signature over {@code data} in the form certificates carry (DER for ECDSA). */
  byte[] sign(byte[] data);
}
