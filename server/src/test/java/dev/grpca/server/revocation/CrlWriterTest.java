package dev.grpca.server.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.store.CrlStore.Revoked;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.api.Test;

/** CrlWriter's hand-written CRL entries are byte for byte what Bouncy Castle encodes. */
class CrlWriterTest {

  @Test
  void entriesAreTheBytesBouncyCastleEncodes() throws IOException {
    Random random = new Random(6);
    List<String> serials = new ArrayList<>(List.of("1", "7f", "80", "00ff", "0000000001"));
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[1 + random.nextInt(20)];
      random.nextBytes(bytes);
      serials.add(HexFormat.of().formatHex(bytes));
    }
    List<Instant> times =
        List.of(
            Instant.parse("1950-01-01T00:00:00Z"),
            Instant.parse("1949-12-31T23:59:59Z"),
            Instant.parse("2049-12-31T23:59:59.999Z"),
            Instant.parse("2050-01-01T00:00:00Z"),
            Instant.parse("2026-02-28T09:08:07.654321Z"),
            Instant.parse("2000-02-29T12:00:00Z"),
            Instant.parse("9999-12-31T23:59:59Z"));
    int checked = 0;
    for (int reason = 0; reason <= 10; reason++) {
      for (Instant time : times) {
        for (String serial : serials) {
          Revoked r = new Revoked(serial, time, reason);
          assertThat(CrlWriter.entry(r)).as("%s", r).isEqualTo(bouncyCastle(r));
          checked++;
        }
      }
    }
    assertThat(checked).isEqualTo(11 * times.size() * serials.size());
  }

  @Test
  void aReasonCodeRfc5280DoesNotDefineIsRefused() {
    assertThatThrownBy(() -> CrlWriter.entry(new Revoked("01", Instant.EPOCH, 11)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** The entry as Bouncy Castle's X509v2CRLBuilder.addCRLEntry writes it. */
  private static byte[] bouncyCastle(Revoked r) throws IOException {
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(new BigInteger(r.serialNumber(), 16)));
    v.add(new Time(Date.from(r.revocationTime())));
    if (r.reason() != CRLReason.unspecified) {
      v.add(
          new Extensions(
              new Extension(
                  Extension.reasonCode,
                  false,
                  new DEROctetString(CRLReason.lookup(r.reason()).getEncoded(ASN1Encoding.DER)))));
    }
    return new DERSequence(v).getEncoded(ASN1Encoding.DER);
  }
}
