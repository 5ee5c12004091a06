package dev.grpca.server.x509;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;

/**
 * The check every certificate passes before the HSM signs it: the DER is parsed back and held
 * against RFC 5280 and against the spec it was built from. It is cheap (one ASN.1 parse, a few
 * comparisons) because it runs on every issuance. A failure is a bug in grpca, never in the
 * request.
 */
public final class CertificateChecks {
  private static final Instant GENERALIZED_TIME_FROM = Instant.parse("2050-01-01T00:00:00Z");

  private CertificateChecks() {}

  /** Returns what is wrong with {@code der}; empty when it is fit to be signed. */
  public static List<String> problems(byte[] der, CertificateSpec spec, Issuer issuer) {
    List<String> problems = new ArrayList<>();
    TBSCertificate tbs;
    try {
      Certificate certificate = Certificate.getInstance(ASN1Primitive.fromByteArray(der));
      tbs = certificate.getTBSCertificate();
      if (!certificate.getSignatureAlgorithm().equals(tbs.getSignature())) {
        problems.add("outer signatureAlgorithm differs from the TBS signature field");
      }
    } catch (Exception e) {
      return List.of("does not parse back: " + e.getMessage());
    }
    if (tbs.getVersionNumber() != 3) {
      problems.add("version " + tbs.getVersionNumber() + " (expected: 3)");
    }
    var serial = tbs.getSerialNumber().getValue();
    if (serial.signum() <= 0 || serial.toByteArray().length > 20) {
      problems.add("serial " + serial.toString(16) + " (expected: positive, <= 20 octets)");
    }
    if (!serial.equals(spec.serial())) {
      problems.add("serial differs from the one recorded");
    }
    if (!tbs.getSignature().equals(issuer.signatureAlgorithm())) {
      problems.add("signature algorithm is not the issuer's");
    }
    if (!tbs.getIssuer().equals(issuer.subject())) {
      problems.add("issuer name differs from the issuer's subject");
    }
    if (!tbs.getSubject().equals(spec.subject())) {
      problems.add("subject differs from the spec");
    }
    checkValidity(tbs, issuer, problems);
    checkNameEncoding(tbs.getSubject(), problems);
    checkExtensions(tbs, spec, issuer, problems);
    return problems;
  }

  /** As {@link #problems}, throwing when there is any. */
  public static void require(byte[] der, CertificateSpec spec, Issuer issuer) {
    List<String> problems = problems(der, spec, issuer);
    if (!problems.isEmpty()) {
      throw new IllegalStateException("certificate failed its pre-signing check: " + problems);
    }
  }

  private static void checkValidity(TBSCertificate tbs, Issuer issuer, List<String> problems) {
    Instant notBefore = tbs.getStartDate().getDate().toInstant();
    Instant notAfter = tbs.getEndDate().getDate().toInstant();
    if (!notBefore.isBefore(notAfter)) {
      problems.add("notBefore is not before notAfter");
    }
    if (notBefore.isBefore(issuer.notBefore()) || notAfter.isAfter(issuer.notAfter())) {
      problems.add(
          "validity "
              + notBefore
              + ".."
              + notAfter
              + " is outside the issuer's "
              + issuer.notBefore()
              + ".."
              + issuer.notAfter());
    }
    checkTimeEncoding("notBefore", tbs.getStartDate(), notBefore, problems);
    checkTimeEncoding("notAfter", tbs.getEndDate(), notAfter, problems);
  }

  private static void checkTimeEncoding(
      String field, Time time, Instant value, List<String> problems) {
    ASN1Primitive encoded = time.toASN1Primitive();
    boolean utc = encoded instanceof ASN1UTCTime;
    boolean wantUtc = value.isBefore(GENERALIZED_TIME_FROM);
    if (utc != wantUtc || (!utc && !(encoded instanceof ASN1GeneralizedTime))) {
      problems.add(
          field
              + " "
              + value.atOffset(ZoneOffset.UTC)
              + " encoded as "
              + encoded.getClass().getSimpleName()
              + " (expected: UTCTime through 2049, GeneralizedTime from 2050)");
    }
  }

  private static void checkNameEncoding(X500Name name, List<String> problems) {
    for (RDN rdn : name.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        ASN1Encodable value = atv.getValue();
        if (atv.getType().equals(BCStyle.C)) {
          if (!(value instanceof ASN1PrintableString) || value.toString().length() != 2) {
            problems.add("subject C must be a two-letter PrintableString");
          }
        } else if (atv.getType().equals(BCStyle.EmailAddress)) {
          if (!(value instanceof ASN1IA5String)) {
            problems.add("subject emailAddress must be an IA5String");
          }
        } else if (!(value instanceof ASN1UTF8String)) {
          problems.add("subject " + atv.getType().getId() + " must be a UTF8String");
        }
      }
    }
  }

  private static void checkExtensions(
      TBSCertificate tbs, CertificateSpec spec, Issuer issuer, List<String> problems) {
    Extensions ext = tbs.getExtensions();
    if (ext == null) {
      problems.add("no extensions");
      return;
    }
    Extension bc = ext.getExtension(Extension.basicConstraints);
    if (bc == null || !bc.isCritical()) {
      problems.add("basicConstraints missing or not critical");
    } else if (BasicConstraints.getInstance(bc.getParsedValue()).isCA() != spec.ca()) {
      problems.add("basicConstraints cA is not " + spec.ca());
    }
    Extension ku = ext.getExtension(Extension.keyUsage);
    if (ku == null || !ku.isCritical()) {
      problems.add("keyUsage missing or not critical");
    } else {
      checkKeyUsage(KeyUsage.getInstance(ku.getParsedValue()), spec, problems);
    }
    Extension ski = ext.getExtension(Extension.subjectKeyIdentifier);
    if (ski == null
        || ski.isCritical()
        || !Arrays.equals(
            SubjectKeyIdentifier.getInstance(ski.getParsedValue()).getKeyIdentifier(),
            TbsCertificates.keyIdentifier(spec.publicKey()))) {
      problems.add("subjectKeyIdentifier missing, critical or not the key's");
    }
    Extension aki = ext.getExtension(Extension.authorityKeyIdentifier);
    if (aki == null
        || aki.isCritical()
        || !Arrays.equals(
            AuthorityKeyIdentifier.getInstance(aki.getParsedValue()).getKeyIdentifier(),
            issuer.keyIdentifier())) {
      problems.add("authorityKeyIdentifier missing, critical or not the issuer's key id");
    }
    if (!spec.urls().crl().isEmpty() && ext.getExtension(Extension.cRLDistributionPoints) == null) {
      problems.add("cRLDistributionPoints missing");
    }
    if (!(spec.urls().caIssuers().isEmpty() && spec.urls().ocsp().isEmpty())
        && ext.getExtension(Extension.authorityInfoAccess) == null) {
      problems.add("authorityInfoAccess missing");
    }
    if (!spec.ca()) {
      Extension eku = ext.getExtension(Extension.extendedKeyUsage);
      if (eku == null
          || ExtendedKeyUsage.getInstance(eku.getParsedValue()).getUsages().length == 0) {
        problems.add("end-entity certificate without extendedKeyUsage");
      }
      if (spec.ocspNoCheck()) {
        checkOcspResponder(ext, eku, problems);
      } else {
        checkSubjectAltNames(
            tbs, ext.getExtension(Extension.subjectAlternativeName), spec, problems);
      }
    } else if (spec.ocspNoCheck()) {
      problems.add("id-pkix-ocsp-nocheck on a CA certificate");
    }
  }

  /** RFC 6960 §4.2.2.2: EKU id-kp-OCSPSigning only, id-pkix-ocsp-nocheck, no names to match. */
  private static void checkOcspResponder(Extensions ext, Extension eku, List<String> problems) {
    if (eku == null
        || !Arrays.equals(
            ExtendedKeyUsage.getInstance(eku.getParsedValue()).getUsages(),
            new KeyPurposeId[] {KeyPurposeId.id_kp_OCSPSigning})) {
      problems.add("OCSP responder certificate whose extendedKeyUsage is not id-kp-OCSPSigning");
    }
    if (ext.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck) == null) {
      problems.add("OCSP responder certificate without id-pkix-ocsp-nocheck");
    }
    if (ext.getExtension(Extension.subjectAlternativeName) != null) {
      problems.add("OCSP responder certificate with a subjectAltName");
    }
  }

  private static void checkKeyUsage(KeyUsage ku, CertificateSpec spec, List<String> problems) {
    boolean certSign = ku.hasUsages(KeyUsage.keyCertSign);
    if (spec.ca() != certSign) {
      problems.add("keyCertSign is " + certSign + " on a certificate with cA " + spec.ca());
    }
    PublicKeyInfo.Family family = PublicKeyInfo.of(spec.publicKey()).family();
    if (family != PublicKeyInfo.Family.RSA
        && (ku.hasUsages(KeyUsage.keyEncipherment) || ku.hasUsages(KeyUsage.dataEncipherment))) {
      problems.add("keyEncipherment/dataEncipherment on a " + family + " key");
    }
  }

  private static void checkSubjectAltNames(
      TBSCertificate tbs, Extension san, CertificateSpec spec, List<String> problems) {
    if (san == null) {
      problems.add("end-entity certificate without subjectAltName");
      return;
    }
    if (tbs.getSubject().getRDNs().length == 0 && !san.isCritical()) {
      problems.add("empty subject with a non-critical subjectAltName");
    }
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    for (GeneralName name : GeneralNames.getInstance(san.getParsedValue()).getNames()) {
      if (name.getTagNo() == GeneralName.dNSName) {
        String value = ASN1IA5String.getInstance(name.getName()).getString();
        if (!HostNames.isValid(value, true)) {
          problems.add("dNSName '" + value + "' is not a valid host name");
        }
        dns.add(value);
      } else if (name.getTagNo() == GeneralName.iPAddress) {
        try {
          ips.add(
              InetAddress.getByAddress(ASN1OctetString.getInstance(name.getName()).getOctets()));
        } catch (UnknownHostException e) {
          problems.add("iPAddress of a length other than 4 or 16 octets");
        }
      } else if (name.getTagNo() == GeneralName.rfc822Name) {
        emails.add(ASN1IA5String.getInstance(name.getName()).getString());
      } else if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
        uris.add(ASN1IA5String.getInstance(name.getName()).getString());
      } else {
        problems.add("subjectAltName of unexpected type " + name.getTagNo());
      }
    }
    if (!dns.equals(spec.dnsNames())
        || !ips.equals(spec.ipAddresses())
        || !emails.equals(spec.emailAddresses())
        || !uris.equals(spec.uris())) {
      problems.add("subjectAltName differs from the spec");
    }
    RDN[] cn = tbs.getSubject().getRDNs(BCStyle.CN);
    if (cn.length > 0) {
      String commonName = cn[0].getFirst().getValue().toString();
      if (HostNames.isDnsCommonName(commonName) && !dns.contains(commonName)) {
        problems.add("common name '" + commonName + "' is a DNS name but not in subjectAltName");
      }
    }
  }
}
