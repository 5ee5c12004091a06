package dev.grpca.server.store;

import dev.grpca.server.x509.Pem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A signed CRL as stored: what {@link CrlInfo} says of it, and its DER. A CRL of a million entries
 * is about 40 MiB, so the DER and its PEM are handed out as read-only views, never copied per use.
 */
public final class StoredCrl {
  private final CrlInfo info;
  private final byte[] der;
  private volatile ByteBuffer pem;

  /** Takes {@code der} as it is, without a copy: the caller must not change it afterwards. */
  public StoredCrl(CrlInfo info, byte[] der) {
    if (info.size() != der.length) {
      throw new IllegalArgumentException(
          "CRL " + info.number() + " is " + der.length + " bytes, not " + info.size());
    }
    this.info = info;
    this.der = der;
  }

  public CrlInfo info() {
    return info;
  }

  public String authorityId() {
    return info.authorityId();
  }

  public long number() {
    return info.number();
  }

  public Instant thisUpdate() {
    return info.thisUpdate();
  }

  public Instant nextUpdate() {
    return info.nextUpdate();
  }

  /** A copy of the DER. */
  public byte[] der() {
    return der.clone();
  }

  /** The DER, read-only and not copied. */
  public ByteBuffer derView() {
    return ByteBuffer.wrap(der).asReadOnlyBuffer();
  }

  /** The PEM ("-----BEGIN X509 CRL-----"), ASCII, read-only; encoded once. */
  public ByteBuffer pemView() {
    ByteBuffer p = pem;
    if (p == null) {
      p = ByteBuffer.wrap(Pem.encode("X509 CRL", der).getBytes(StandardCharsets.US_ASCII));
      pem = p;
    }
    return p.asReadOnlyBuffer();
  }
}
