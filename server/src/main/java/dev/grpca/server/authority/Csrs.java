package dev.grpca.server.authority;

import dev.grpca.server.hsm.Signer;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.Pem;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SignedCertificates;
import dev.grpca.server.x509.TbsCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;

/** What an intermediate for an external root needs of its token key before it is signed. */
final class Csrs {
  private Csrs() {}

  /** A PKCS#10 request for {@code subject}, signed in the token by {@code signer}, PEM. */
  static String request(Signer signer, X500Name subject) {
    try {
      CertificationRequestInfo info =
          new CertificationRequestInfo(
              subject,
              SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()),
              new DERSet());
      byte[] signature = signer.sign(info.getEncoded(ASN1Encoding.DER));
      CertificationRequest csr =
          new CertificationRequest(
              info, signer.algorithm().signatureAlgorithmIdentifier(), new DERBitString(signature));
      return Pem.encode("CERTIFICATE REQUEST", csr.getEncoded(ASN1Encoding.DER));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The subject of a CSR {@link #request} made. */
  static X500Name subject(String pem) {
    try (org.bouncycastle.openssl.PEMParser parser =
        new org.bouncycastle.openssl.PEMParser(new java.io.StringReader(pem))) {
      return ((org.bouncycastle.pkcs.PKCS10CertificationRequest) parser.readObject()).getSubject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A self-signed certificate for the key, a day long, that the token keeps beside it until the
   * real one comes (the PKCS#11 KeyStore lists no key without one). Never served nor trusted.
   */
  static X509Certificate placeholder(Signer signer, X500Name subject, Instant now) {
    Instant start = now.truncatedTo(ChronoUnit.SECONDS);
    CertificateSpec spec =
        CertificateSpec.builder(
                subject,
                SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()),
                start,
                start.plus(1, ChronoUnit.DAYS))
            .ca(0)
            .keyUsage(KeyUsage.keyCertSign)
            .build(new SerialNumbers(new SecureRandom()).next());
    TBSCertificate tbs =
        TbsCertificates.build(spec, TbsCertificates.selfIssuer(spec, signer.algorithm()));
    byte[] signature = signer.sign(SignedCertificates.der(tbs));
    return Certificates.parse(SignedCertificates.assemble(tbs, tbs.getSignature(), signature));
  }
}
