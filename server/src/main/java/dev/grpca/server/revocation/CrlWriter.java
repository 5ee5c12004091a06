package dev.grpca.server.revocation;

import dev.grpca.server.authority.Authority;
import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.Time;

/**
 * Writes a full X.509 v2 CRL (RFC 5280 §5) without holding its entries as objects: each entry is
 * encoded as it is read and appended to one byte buffer, in a single pass over the revoked rows, in
 * whatever order the database lists them (RFC 5280 sets none). Only the CRL's own bytes are in
 * memory: about 40 bytes per entry, in three arrays at the end (entries, TBS, CRL).
 */
public final class CrlWriter {
  private final CrlStore store;
  private final Provider verifier;

  public CrlWriter(CrlStore store, Provider verifier) {
    this.store = store;
    this.verifier = verifier;
  }

  /** The signed CRL of {@code issuer}. */
  public StoredCrl write(Authority issuer, long number, Instant thisUpdate, Instant nextUpdate) {
    ByteArrayOutputStream entries = new ByteArrayOutputStream(64 * 1024);
    long[] count = {0};
    store.forEachRevoked(
        issuer.id(),
        thisUpdate,
        r -> {
          entries.writeBytes(entry(r));
          count[0]++;
        });
    byte[] head =
        concat(
            der(new ASN1Integer(1)),
            der(issuer.issuer().signatureAlgorithm()),
            der(issuer.issuer().subject()),
            der(new Time(Date.from(thisUpdate))),
            der(new Time(Date.from(nextUpdate))));
    byte[] tail = der(new DERTaggedObject(true, 0, extensions(issuer, number)));
    long size = entries.size();
    byte[] revokedHeader = size == 0 ? new byte[0] : header(0x30, size);
    long tbsLength = head.length + revokedHeader.length + size + tail.length;
    byte[] tbsHeader = header(0x30, tbsLength);
    // Exactly sized arrays, filled in place: the entries are copied once into the TBS, and the TBS
    // once into the CRL.
    Fill tbs = new Fill(tbsHeader.length + tbsLength);
    tbs.put(tbsHeader).put(head).put(revokedHeader);
    try {
      entries.writeTo(tbs); // its array as it is, no copy
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tbs.put(tail);
    byte[] tbsBytes = tbs.full();
    byte[] signature = issuer.signer().sign(tbsBytes);
    verify(issuer, tbsBytes, signature);
    byte[] algorithm = der(issuer.issuer().signatureAlgorithm());
    byte[] bits = der(new DERBitString(signature));
    long crlLength = (long) tbsBytes.length + algorithm.length + bits.length;
    byte[] crlHeader = header(0x30, crlLength);
    byte[] der =
        new Fill(crlHeader.length + crlLength)
            .put(crlHeader)
            .put(tbsBytes)
            .put(algorithm)
            .put(bits)
            .full();
    return new StoredCrl(
        new CrlInfo(issuer.id(), number, thisUpdate, nextUpdate, count[0], der.length), der);
  }

  /**
   * The crlEntryExtensions of each reason code (index = code; none for unspecified), encoded once
   * by Bouncy Castle.
   */
  private static final byte[][] REASON_EXTENSIONS = new byte[11][];

  static {
    for (int code = 1; code < REASON_EXTENSIONS.length; code++) {
      try {
        REASON_EXTENSIONS[code] =
            der(
                new Extensions(
                    new Extension(
                        Extension.reasonCode,
                        false,
                        new DEROctetString(CRLReason.lookup(code).getEncoded(ASN1Encoding.DER)))));
      } catch (IOException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  /**
   * revokedCertificates entry: serial, date, and the reason code unless it is unspecified. Written
   * byte by byte, since it runs once per revoked certificate (a million times for a large CRL):
   * Bouncy Castle's {@code Time(Date)} formats each date with a {@code SimpleDateFormat} and parses
   * it back, half the build time of a 1M-entry CRL. The bytes are Bouncy Castle's (CrlWriterTest
   * compares them): a DER INTEGER, then UTCTime for 1950-2049 and GeneralizedTime otherwise (RFC
   * 5280 §4.1.2.5), in whole seconds.
   */
  static byte[] entry(CrlStore.Revoked r) {
    byte[] serial = new BigInteger(r.serialNumber(), 16).toByteArray();
    byte[] serialHeader = header(0x02, serial.length);
    byte[] time = time(r.revocationTime());
    byte[] extensions =
        r.reason() == CRLReason.unspecified ? new byte[0] : reasonExtensions(r.reason());
    long length = serialHeader.length + serial.length + time.length + extensions.length;
    byte[] sequenceHeader = header(0x30, length);
    return new Fill(sequenceHeader.length + length)
        .put(sequenceHeader)
        .put(serialHeader)
        .put(serial)
        .put(time)
        .put(extensions)
        .full();
  }

  private static byte[] reasonExtensions(int code) {
    if (code < 1 || code >= REASON_EXTENSIONS.length) {
      throw new IllegalArgumentException("no CRL reason code " + code);
    }
    return REASON_EXTENSIONS[code];
  }

  /** An X.509 Time in whole seconds, as Bouncy Castle's {@code new Time(Date)} encodes it. */
  static byte[] time(Instant instant) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
    if (t.getYear() < 0 || t.getYear() > 9999) {
      throw new IllegalArgumentException("no X.509 time for " + instant);
    }
    boolean utc = t.getYear() >= 1950 && t.getYear() <= 2049;
    int digits = utc ? 12 : 14;
    byte[] out = new byte[2 + digits + 1];
    out[0] = (byte) (utc ? 0x17 : 0x18);
    out[1] = (byte) (digits + 1);
    int at = 2;
    at =
        utc
            ? two(out, at, t.getYear() % 100)
            : two(out, two(out, at, t.getYear() / 100), t.getYear() % 100);
    at = two(out, at, t.getMonthValue());
    at = two(out, at, t.getDayOfMonth());
    at = two(out, at, t.getHour());
    at = two(out, at, t.getMinute());
    at = two(out, at, t.getSecond());
    out[at] = 'Z';
    return out;
  }

  private static int two(byte[] out, int at, int value) {
    out[at] = (byte) ('0' + value / 10);
    out[at + 1] = (byte) ('0' + value % 10);
    return at + 2;
  }

  private static Extensions extensions(Authority issuer, long number) {
    try {
      return new Extensions(
          new Extension[] {
            new Extension(
                Extension.authorityKeyIdentifier,
                false,
                new DEROctetString(
                    new AuthorityKeyIdentifier(issuer.issuer().keyIdentifier())
                        .getEncoded(ASN1Encoding.DER))),
            new Extension(
                Extension.cRLNumber,
                false,
                new DEROctetString(
                    new CRLNumber(BigInteger.valueOf(number)).getEncoded(ASN1Encoding.DER)))
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void verify(Authority issuer, byte[] tbs, byte[] signature) {
    try {
      Signature check =
          Signature.getInstance(issuer.signer().algorithm().signatureAlgorithm(), verifier);
      check.initVerify(issuer.certificate().getPublicKey());
      check.update(tbs);
      if (!check.verify(signature)) {
        throw new IllegalStateException("the token's CRL signature does not verify");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("checking the token's CRL signature", e);
    }
  }

  /** An array of a known size, filled from the start. */
  private static final class Fill extends OutputStream {
    private final byte[] bytes;
    private int at;

    Fill(long size) {
      if (size > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("a CRL of " + size + " bytes is too large");
      }
      bytes = new byte[(int) size];
    }

    Fill put(byte[] b) {
      write(b, 0, b.length);
      return this;
    }

    @Override
    public void write(int b) {
      bytes[at++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, bytes, at, len);
      at += len;
    }

    byte[] full() {
      if (at != bytes.length) {
        throw new IllegalStateException("wrote " + at + " of " + bytes.length + " bytes");
      }
      return bytes;
    }
  }

  /** A DER tag and definite length (X.690 §8.1.3). */
  static byte[] header(int tag, long length) {
    if (length < 0x80) {
      return new byte[] {(byte) tag, (byte) length};
    }
    int octets = (64 - Long.numberOfLeadingZeros(length) + 7) / 8;
    byte[] out = new byte[2 + octets];
    out[0] = (byte) tag;
    out[1] = (byte) (0x80 | octets);
    for (int i = 0; i < octets; i++) {
      out[2 + i] = (byte) (length >>> (8 * (octets - 1 - i)));
    }
    return out;
  }

  private static byte[] der(ASN1Encodable value) {
    try {
      return value.toASN1Primitive().getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
