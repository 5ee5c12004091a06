package dev.grpca.server.x509;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;

/** Encodes a {@link CertificateSpec} as the TBSCertificate an issuer will sign (RFC 5280 §4.1). */
public final class TbsCertificates {
  private TbsCertificates() {}

  /** The subject key identifier of a key: RFC 5280 §4.2.1.2 method 1 (SHA-1 of the key bits). */
  public static byte[] keyIdentifier(SubjectPublicKeyInfo publicKey) {
    return new BcX509ExtensionUtils().createSubjectKeyIdentifier(publicKey).getKeyIdentifier();
  }

  /** The issuer of a self-signed certificate for {@code spec}. */
  public static Issuer selfIssuer(CertificateSpec spec, KeyAlgorithm key) {
    return new Issuer(
        spec.subject(),
        keyIdentifier(spec.publicKey()),
        key.signatureAlgorithmIdentifier(),
        spec.notBefore(),
        spec.notAfter());
  }

  public static TBSCertificate build(CertificateSpec spec, Issuer issuer) {
    V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
    tbs.setSerialNumber(new ASN1Integer(spec.serial()));
    tbs.setSignature(issuer.signatureAlgorithm());
    tbs.setIssuer(issuer.subject());
    // Time picks UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
    tbs.setStartDate(new Time(Date.from(spec.notBefore())));
    tbs.setEndDate(new Time(Date.from(spec.notAfter())));
    tbs.setSubject(spec.subject());
    tbs.setSubjectPublicKeyInfo(spec.publicKey());
    tbs.setExtensions(extensions(spec, issuer));
    return tbs.generateTBSCertificate();
  }

  private static org.bouncycastle.asn1.x509.Extensions extensions(
      CertificateSpec spec, Issuer issuer) {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    try {
      ext.addExtension(
          Extension.basicConstraints,
          true,
          spec.ca()
              ? (spec.pathLength() == null
                  ? new BasicConstraints(true)
                  : new BasicConstraints(spec.pathLength()))
              : new BasicConstraints(false));
      ext.addExtension(Extension.keyUsage, true, new KeyUsage(spec.keyUsage()));
      if (spec.nameConstraints() != null && !spec.nameConstraints().isEmpty()) {
        ext.addExtension(Extension.nameConstraints, true, spec.nameConstraints().extension());
      }
      if (!spec.extendedKeyUsages().isEmpty()) {
        ext.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(spec.extendedKeyUsages().toArray(new KeyPurposeId[0])));
      }
      ext.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          new SubjectKeyIdentifier(keyIdentifier(spec.publicKey())));
      ext.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          new AuthorityKeyIdentifier(issuer.keyIdentifier()));
      GeneralNames sans = subjectAltNames(spec);
      if (sans != null) {
        // An empty subject makes the SAN extension the only name: it must then be critical.
        boolean critical = spec.subject().getRDNs().length == 0;
        ext.addExtension(Extension.subjectAlternativeName, critical, sans);
      }
      IssuerUrls.Urls urls = spec.urls();
      if (!urls.crl().isEmpty()) {
        // One distribution point: every name is a way to the same CRL (RFC 5280 4.2.1.13).
        GeneralNames where = new GeneralNames(uris(urls.crl()));
        ext.addExtension(
            Extension.cRLDistributionPoints,
            false,
            new CRLDistPoint(
                new DistributionPoint[] {
                  new DistributionPoint(new DistributionPointName(where), null, null)
                }));
      }
      List<AccessDescription> access = new ArrayList<>();
      for (GeneralName ocsp : uris(urls.ocsp())) {
        access.add(new AccessDescription(AccessDescription.id_ad_ocsp, ocsp));
      }
      for (GeneralName caIssuers : uris(urls.caIssuers())) {
        access.add(new AccessDescription(AccessDescription.id_ad_caIssuers, caIssuers));
      }
      if (!access.isEmpty()) {
        ext.addExtension(
            Extension.authorityInfoAccess,
            false,
            new AuthorityInformationAccess(access.toArray(new AccessDescription[0])));
      }
      if (spec.ocspNoCheck()) {
        ext.addExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("encoding certificate extensions", e);
    }
    return ext.generate();
  }

  private static GeneralNames subjectAltNames(CertificateSpec spec) {
    List<GeneralName> names = new ArrayList<>();
    spec.dnsNames().forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
    for (InetAddress ip : spec.ipAddresses()) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
    }
    spec.emailAddresses().forEach(e -> names.add(new GeneralName(GeneralName.rfc822Name, e)));
    spec.uris().forEach(u -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
    return names.isEmpty() ? null : new GeneralNames(names.toArray(new GeneralName[0]));
  }

  private static GeneralName[] uris(List<String> urls) {
    return urls.stream()
        .map(u -> new GeneralName(GeneralName.uniformResourceIdentifier, u))
        .toArray(GeneralName[]::new);
  }
}
