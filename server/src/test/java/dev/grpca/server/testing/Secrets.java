package dev.grpca.server.testing;

import java.io.IOException;
import java.io.StringReader;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;

/** For tests that a key or token is nowhere it must not be. */
public final class Secrets {
  private Secrets() {}

  /** The PKCS#8 DER of a PEM private key. */
  public static byte[] pkcs8(String pem) throws IOException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return ((PrivateKeyInfo) parser.readObject()).getEncoded();
    }
  }

  /** Whether {@code needle} occurs in {@code haystack}. */
  public static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
