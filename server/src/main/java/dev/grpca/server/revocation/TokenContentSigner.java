package dev.grpca.server.revocation;

import dev.grpca.server.hsm.Signer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;

/** Bouncy Castle's ContentSigner over a token key: the bytes are gathered, then signed once. */
final class TokenContentSigner implements ContentSigner {
  private final Signer signer;
  private final ByteArrayOutputStream data = new ByteArrayOutputStream(1024);

  TokenContentSigner(Signer signer) {
    this.signer = signer;
  }

  @Override
  public AlgorithmIdentifier getAlgorithmIdentifier() {
    return signer.algorithm().signatureAlgorithmIdentifier();
  }

  @Override
  public OutputStream getOutputStream() {
    return data;
  }

  @Override
  public byte[] getSignature() {
    return signer.sign(data.toByteArray());
  }
}
