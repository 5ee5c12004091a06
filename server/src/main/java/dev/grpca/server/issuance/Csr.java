package dev.grpca.server.issuance;

import dev.grpca.server.error.CaException;
import dev.grpca.server.x509.IpAddressText;
import dev.grpca.server.x509.SubjectFields;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/** A PKCS#10 request whose self-signature verified: its key and the names it asks for. */
public record Csr(
    SubjectPublicKeyInfo publicKey,
    SubjectFields subject,
    List<String> dnsNames,
    List<String> ipAddresses,
    List<String> emailAddresses,
    List<String> uris,
    X500Name subjectName) {

  /** A request whose subject is known only by its fields. */
  public Csr(
      SubjectPublicKeyInfo publicKey,
      SubjectFields subject,
      List<String> dnsNames,
      List<String> ipAddresses,
      List<String> emailAddresses,
      List<String> uris) {
    this(publicKey, subject, dnsNames, ipAddresses, emailAddresses, uris, null);
  }

  static final int MAX_PEM_CHARS = 64 * 1024;
  private static final String FIELD = "csr_pem";

  /**
   * Parses {@code pem} and checks its signature with {@code verifier} (Bouncy Castle: faster than
   * the JDK's EC on JDK 17). Every failure is INVALID_ARGUMENT on {@code csr_pem}.
   */
  public static Csr parse(String pem, Provider verifier) {
    if (pem == null || pem.isBlank()) {
      throw CaException.invalid(FIELD, "required (a PEM PKCS#10 certificate request)");
    }
    if (pem.length() > MAX_PEM_CHARS) {
      throw CaException.invalid(
          FIELD, pem.length() + " characters (expected: <= " + MAX_PEM_CHARS + ")");
    }
    PKCS10CertificationRequest csr = read(pem);
    String algorithm =
        new DefaultAlgorithmNameFinder().getAlgorithmName(csr.getSignatureAlgorithm());
    String upper = algorithm.toUpperCase(Locale.ROOT);
    if (upper.startsWith("SHA1") || upper.startsWith("MD5") || upper.startsWith("MD2")) {
      throw CaException.invalid(
          FIELD, "signed with " + algorithm + " (expected: SHA-256 or stronger, or Ed25519)");
    }
    boolean valid;
    try {
      valid =
          csr.isSignatureValid(
              new JcaContentVerifierProviderBuilder()
                  .setProvider(verifier)
                  .build(csr.getSubjectPublicKeyInfo()));
    } catch (Exception e) {
      throw CaException.invalid(
          FIELD, "cannot check its " + algorithm + " signature: " + e.getMessage());
    }
    if (!valid) {
      throw CaException.invalid(
          FIELD,
          "the signature does not verify with the CSR's own key (proof of possession failed)");
    }
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    readSans(csr, dns, ips, emails, uris);
    return new Csr(
        csr.getSubjectPublicKeyInfo(),
        SubjectFields.of(csr.getSubject()),
        dns,
        ips,
        emails,
        uris,
        csr.getSubject());
  }

  private static PKCS10CertificationRequest read(String pem) {
    Object object;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      object = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw CaException.invalid(FIELD, "malformed PEM: " + e.getMessage());
    }
    if (!(object instanceof PKCS10CertificationRequest)) {
      throw CaException.invalid(
          FIELD,
          (object == null ? "no PEM block found" : "the PEM block is not a certificate request")
              + " (expected: -----BEGIN CERTIFICATE REQUEST-----)");
    }
    return (PKCS10CertificationRequest) object;
  }

  private static void readSans(
      PKCS10CertificationRequest csr,
      List<String> dns,
      List<String> ips,
      List<String> emails,
      List<String> uris) {
    for (Attribute attribute :
        csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      Extensions extensions;
      try {
        extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
      } catch (RuntimeException e) {
        throw CaException.invalid(FIELD, "malformed extensionRequest attribute");
      }
      GeneralNames names =
          GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
      if (names == null) {
        continue;
      }
      for (GeneralName name : names.getNames()) {
        if (name.getTagNo() == GeneralName.dNSName) {
          dns.add(ASN1IA5String.getInstance(name.getName()).getString());
        } else if (name.getTagNo() == GeneralName.iPAddress) {
          try {
            ips.add(
                IpAddressText.text(
                    InetAddress.getByAddress(
                        ASN1OctetString.getInstance(name.getName()).getOctets())));
          } catch (UnknownHostException e) {
            throw CaException.invalid(FIELD, "an iPAddress SAN is neither 4 nor 16 octets");
          }
        } else if (name.getTagNo() == GeneralName.rfc822Name) {
          emails.add(ASN1IA5String.getInstance(name.getName()).getString());
        } else if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
          uris.add(ASN1IA5String.getInstance(name.getName()).getString());
        } else {
          throw CaException.invalid(
              FIELD,
              "asks for a subjectAltName of type "
                  + name.getTagNo()
                  + "; this server issues DNS, IP, email and URI SANs only");
        }
      }
    }
  }
}
