package dev.grpca.server.policy;

import dev.grpca.server.x509.IpAddressText;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What policy decided a certificate will say: the request after every step has run. {@code
 * subjectText} is the subject as an RFC 4514 string; {@code keyUsage} holds KeyUsage bits.
 */
public record Template(
    X500Name subject,
    String subjectText,
    String commonName,
    List<String> dnsNames,
    List<InetAddress> ipAddresses,
    List<String> emailAddresses,
    List<String> uris,
    Instant notBefore,
    Instant notAfter,
    int keyUsage,
    List<KeyPurposeId> extendedKeyUsages) {

  public Template {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    emailAddresses = List.copyOf(emailAddresses);
    uris = List.copyOf(uris);
    extendedKeyUsages = List.copyOf(extendedKeyUsages);
  }

  /** The IP SANs in canonical text form. */
  public List<String> ipTexts() {
    return ipAddresses.stream().map(IpAddressText::text).toList();
  }

  Template withValidity(Instant from, Instant to) {
    return new Template(
        subject,
        subjectText,
        commonName,
        dnsNames,
        ipAddresses,
        emailAddresses,
        uris,
        from,
        to,
        keyUsage,
        extendedKeyUsages);
  }

  int sanCount() {
    return dnsNames.size() + ipAddresses.size() + emailAddresses.size() + uris.size();
  }
}
