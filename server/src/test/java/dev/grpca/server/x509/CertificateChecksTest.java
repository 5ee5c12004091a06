package dev.grpca.server.x509;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.junit.jupiter.api.Test;

/** The TBS builder and the pre-signing check, held against RFC 5280. */
class CertificateChecksTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final SubjectPublicKeyInfo EC_KEY = ecKey();
  private static final Issuer ISSUER =
      new Issuer(
          new X500Name("CN=Issuing CA,O=Test"),
          new byte[] {1, 2, 3, 4},
          KeyAlgorithm.EC_P256.signatureAlgorithmIdentifier(),
          NOW.minusSeconds(86400),
          NOW.plusSeconds(365L * 86400));

  @Test
  void aLeafBuiltFromASpecPassesAndHasTheRfc5280Shape() throws Exception {
    CertificateSpec spec = leaf(subject("svc.example.com"), List.of("svc.example.com"));
    byte[] der = SignedCertificates.withPlaceholderSignature(TbsCertificates.build(spec, ISSUER));

    assertThat(CertificateChecks.problems(der, spec, ISSUER)).isEmpty();
    TBSCertificate tbs = Certificate.getInstance(der).getTBSCertificate();
    assertThat(tbs.getVersionNumber()).isEqualTo(3);
    assertThat(tbs.getSerialNumber().getValue()).isEqualTo(spec.serial());
    assertThat(tbs.getStartDate().toASN1Primitive()).isInstanceOf(ASN1UTCTime.class);
    var cn = tbs.getSubject().getRDNs(BCStyle.CN)[0].getFirst().getValue();
    var c = tbs.getSubject().getRDNs(BCStyle.C)[0].getFirst().getValue();
    assertThat(cn).isInstanceOf(ASN1UTF8String.class);
    assertThat(c).isInstanceOf(ASN1PrintableString.class);
    var x509 = Certificates.parse(der);
    assertThat(x509.getBasicConstraints()).isEqualTo(-1);
    assertThat(x509.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    assertThat(x509.getKeyUsage()[0]).isTrue(); // digitalSignature
    assertThat(x509.getKeyUsage()[2]).isFalse(); // no keyEncipherment on EC
    assertThat(x509.getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(x509.getNonCriticalExtensionOIDs()).contains("2.5.29.14", "2.5.29.35", "2.5.29.17");
  }

  @Test
  void notAfterFrom2050IsAGeneralizedTime() {
    Issuer longIssuer =
        new Issuer(
            ISSUER.subject(),
            ISSUER.keyIdentifier(),
            ISSUER.signatureAlgorithm(),
            ISSUER.notBefore(),
            Instant.parse("2060-01-01T00:00:00Z"));
    CertificateSpec spec =
        CertificateSpec.builder(
                subject("a.example.com"), EC_KEY, NOW, Instant.parse("2051-01-01T00:00:00Z"))
            .keyUsage(KeyUsage.digitalSignature)
            .extendedKeyUsages(List.of(KeyPurposeId.id_kp_serverAuth))
            .dnsNames(List.of("a.example.com"))
            .build(BigInteger.TEN);
    TBSCertificate tbs = TbsCertificates.build(spec, longIssuer);
    assertThat(tbs.getEndDate().toASN1Primitive()).isInstanceOf(ASN1GeneralizedTime.class);
    assertThat(
            CertificateChecks.problems(
                SignedCertificates.withPlaceholderSignature(tbs), spec, longIssuer))
        .isEmpty();
  }

  @Test
  void anEmptySubjectMakesTheSanCritical() {
    CertificateSpec spec = leaf(new X500Name(new RDN[0]), List.of("only-san.example.com"));
    byte[] der = SignedCertificates.withPlaceholderSignature(TbsCertificates.build(spec, ISSUER));
    assertThat(CertificateChecks.problems(der, spec, ISSUER)).isEmpty();
    assertThat(Certificates.parse(der).getCriticalExtensionOIDs()).contains("2.5.29.17");
  }

  @Test
  void validityOutsideTheIssuersIsCaught() {
    CertificateSpec spec =
        CertificateSpec.builder(
                subject("a.example.com"), EC_KEY, NOW, ISSUER.notAfter().plusSeconds(1))
            .keyUsage(KeyUsage.digitalSignature)
            .extendedKeyUsages(List.of(KeyPurposeId.id_kp_serverAuth))
            .dnsNames(List.of("a.example.com"))
            .build(BigInteger.TWO);
    assertThat(problems(spec, ISSUER)).anyMatch(p -> p.contains("outside the issuer's"));
  }

  @Test
  void aWrongAuthorityKeyIdentifierIsCaught() {
    CertificateSpec spec = leaf(subject("a.example.com"), List.of("a.example.com"));
    byte[] der = SignedCertificates.withPlaceholderSignature(TbsCertificates.build(spec, ISSUER));
    Issuer other =
        new Issuer(
            ISSUER.subject(),
            new byte[] {9, 9},
            ISSUER.signatureAlgorithm(),
            ISSUER.notBefore(),
            ISSUER.notAfter());
    assertThat(CertificateChecks.problems(der, spec, other))
        .anyMatch(p -> p.contains("authorityKeyIdentifier"));
  }

  @Test
  void aDnsCommonNameMissingFromTheSansIsCaught() {
    CertificateSpec spec = leaf(subject("svc.example.com"), List.of("other.example.com"));
    assertThat(problems(spec, ISSUER)).anyMatch(p -> p.contains("not in subjectAltName"));
  }

  @Test
  void keyEnciphermentOnAnEcKeyIsCaught() {
    CertificateSpec spec =
        CertificateSpec.builder(subject("a.example.com"), EC_KEY, NOW, NOW.plusSeconds(60))
            .keyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment)
            .extendedKeyUsages(List.of(KeyPurposeId.id_kp_serverAuth))
            .dnsNames(List.of("a.example.com"))
            .build(BigInteger.ONE);
    assertThat(problems(spec, ISSUER)).anyMatch(p -> p.contains("keyEncipherment"));
  }

  @Test
  void aLeafWithoutSansOrEkuIsCaught() {
    CertificateSpec spec =
        CertificateSpec.builder(new X500Name("CN=Alice"), EC_KEY, NOW, NOW.plusSeconds(60))
            .keyUsage(KeyUsage.digitalSignature)
            .build(BigInteger.ONE);
    assertThat(problems(spec, ISSUER))
        .anyMatch(p -> p.contains("without subjectAltName"))
        .anyMatch(p -> p.contains("without extendedKeyUsage"));
  }

  @Test
  void aPrintableStringOrganizationIsCaught() {
    X500Name printable =
        X500Name.getInstance(
            new DERSequence(
                new ASN1Encodable[] {
                  new DERSet(
                      new org.bouncycastle.asn1.x500.AttributeTypeAndValue(
                          BCStyle.O, new org.bouncycastle.asn1.DERPrintableString("Acme"))),
                  new DERSet(
                      new org.bouncycastle.asn1.x500.AttributeTypeAndValue(
                          BCStyle.CN, new DERUTF8String("a.example.com")))
                }));
    CertificateSpec spec = leaf(printable, List.of("a.example.com"));
    assertThat(problems(spec, ISSUER)).anyMatch(p -> p.contains("must be a UTF8String"));
  }

  @Test
  void ipSansRoundTrip() throws Exception {
    CertificateSpec spec =
        CertificateSpec.builder(subject("a.example.com"), EC_KEY, NOW, NOW.plusSeconds(60))
            .keyUsage(KeyUsage.digitalSignature)
            .extendedKeyUsages(List.of(KeyPurposeId.id_kp_clientAuth))
            .dnsNames(List.of("a.example.com"))
            .ipAddresses(List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")))
            .build(BigInteger.ONE);
    assertThat(problems(spec, ISSUER)).isEmpty();
  }

  @Test
  void anOcspResponderCertificateHasOnlyOcspSigningNocheckAndNoNames() throws Exception {
    CertificateSpec responder = responder(List.of(KeyPurposeId.id_kp_OCSPSigning), List.of());
    assertThat(problems(responder, ISSUER)).isEmpty();
    var x509 = Certificates.parse(built(responder));
    assertThat(x509.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.9");
    assertThat(x509.getNonCriticalExtensionOIDs()).contains("1.3.6.1.5.5.7.48.1.5");
    assertThat(x509.getSubjectAlternativeNames()).isNull();

    assertThat(problems(responder(List.of(KeyPurposeId.id_kp_serverAuth), List.of()), ISSUER))
        .containsExactly(
            "OCSP responder certificate whose extendedKeyUsage is not id-kp-OCSPSigning");
    assertThat(
            problems(
                responder(List.of(KeyPurposeId.id_kp_OCSPSigning), List.of("ocsp.example.com")),
                ISSUER))
        .containsExactly("OCSP responder certificate with a subjectAltName");
    CertificateSpec withoutNocheck = leaf(subject("svc.example.com"), List.of("svc.example.com"));
    assertThat(
            CertificateChecks.problems(
                built(withoutNocheck), responderLike(withoutNocheck), ISSUER))
        .contains("OCSP responder certificate without id-pkix-ocsp-nocheck");
  }

  private static byte[] built(CertificateSpec spec) {
    return SignedCertificates.withPlaceholderSignature(TbsCertificates.build(spec, ISSUER));
  }

  private static CertificateSpec responder(List<KeyPurposeId> ekus, List<String> dns) {
    CertificateSpec leaf = leaf(subject("Issuing CA OCSP Responder"), dns);
    return responderLike(
        CertificateSpec.builder(leaf.subject(), leaf.publicKey(), leaf.notBefore(), leaf.notAfter())
            .keyUsage(KeyUsage.digitalSignature)
            .extendedKeyUsages(ekus)
            .dnsNames(dns)
            .build(leaf.serial()));
  }

  private static CertificateSpec responderLike(CertificateSpec spec) {
    return new CertificateSpec(
        spec.serial(),
        spec.subject(),
        spec.notBefore(),
        spec.notAfter(),
        spec.publicKey(),
        false,
        null,
        spec.keyUsage(),
        spec.extendedKeyUsages(),
        spec.dnsNames(),
        List.of(),
        List.of(),
        List.of(),
        IssuerUrls.Urls.NONE,
        true,
        spec.nameConstraints());
  }

  private static List<String> problems(CertificateSpec spec, Issuer issuer) {
    return CertificateChecks.problems(
        SignedCertificates.withPlaceholderSignature(TbsCertificates.build(spec, issuer)),
        spec,
        issuer);
  }

  private static CertificateSpec leaf(X500Name subject, List<String> dns) {
    return CertificateSpec.builder(subject, EC_KEY, NOW, NOW.plusSeconds(86400))
        .keyUsage(KeyUsage.digitalSignature)
        .extendedKeyUsages(List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth))
        .dnsNames(dns)
        .build(new BigInteger("5e62eb2e44dd0483a1b2c3d4e5f60718", 16));
  }

  private static X500Name subject(String cn) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.C, "DE")
        .addRDN(BCStyle.O, "Acme")
        .addRDN(BCStyle.CN, cn)
        .build();
  }

  private static SubjectPublicKeyInfo ecKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return SubjectPublicKeyInfo.getInstance(generator.generateKeyPair().getPublic().getEncoded());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
