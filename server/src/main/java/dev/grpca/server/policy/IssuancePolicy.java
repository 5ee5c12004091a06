package dev.grpca.server.policy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.x509.HostNames;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.PublicKeyInfo;
import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * Decides what a certificate will say, in four steps that always run in this order, each testable
 * alone: {@link #validateRequest} (syntax, INVALID_ARGUMENT), {@link #fillTemplate} (subject, SANs,
 * usages, validity from request and profile), {@link #enforceLimits} (key, lifetime, SAN count, the
 * issuer's validity) and {@link #checkNames} (what the profile allows, PERMISSION_DENIED).
 */
public final class IssuancePolicy {
  static final int MAX_SANS = 100;
  static final int MAX_LABELS = 64;
  private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");
  private static final Pattern COUNTRY = Pattern.compile("[A-Za-z]{2}");
  private static final BigInteger F4 = BigInteger.valueOf(65537);

  /** A request whose every field has the right syntax, in canonical form. */
  record Checked(
      SubjectFields subject,
      List<String> dnsNames,
      List<InetAddress> ipAddresses,
      Duration lifetime,
      Map<String, String> labels) {}

  /** Runs every step on {@code request} for a key described by {@code key}. */
  public Template apply(
      IssuanceRequest request,
      Profile profile,
      PublicKeyInfo key,
      String keyField,
      Issuer issuer,
      Instant now) {
    Checked checked = validateRequest(request);
    Template template = fillTemplate(checked, profile, key, now);
    template = enforceLimits(template, checked, profile, key, keyField, issuer);
    checkNames(template, profile);
    return template;
  }

  /** Step 1: every field's syntax. Names come back normalised. */
  static Checked validateRequest(IssuanceRequest r) {
    SubjectFields s = r.subject();
    SubjectFields subject =
        new SubjectFields(
            text("subject.common_name", s.commonName(), 64),
            text("subject.organization", s.organization(), 64),
            text("subject.organizational_unit", s.organizationalUnit(), 64),
            country(s.country()),
            text("subject.province", s.province(), 128),
            text("subject.locality", s.locality(), 128),
            email("subject.email_address", s.emailAddress()));
    List<String> dns = new ArrayList<>();
    for (int i = 0; i < r.dnsNames().size(); i++) {
      dns.add(NameSyntax.dnsName("dns_names[" + i + "]", r.dnsNames().get(i)));
    }
    List<InetAddress> ips = new ArrayList<>();
    for (int i = 0; i < r.ipAddresses().size(); i++) {
      ips.add(NameSyntax.ipAddress("ip_addresses[" + i + "]", r.ipAddresses().get(i)));
    }
    Duration lifetime = r.lifetime();
    if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
      throw CaException.invalid("lifetime", Durations.human(lifetime) + " (expected: > 0)");
    }
    if (lifetime != null && lifetime.getNano() != 0) {
      throw CaException.invalid(
          "lifetime", lifetime + " (expected: whole seconds; certificates have no finer time)");
    }
    checkLabels(r.labels());
    return new Checked(subject, dns, ips, lifetime, r.labels());
  }

  /** Step 2: the certificate's content, from the checked request and the profile. */
  static Template fillTemplate(Checked c, Profile profile, PublicKeyInfo key, Instant now) {
    String cn = c.subject().commonName();
    LinkedHashSet<String> dns = new LinkedHashSet<>(c.dnsNames());
    LinkedHashSet<InetAddress> ips = new LinkedHashSet<>(c.ipAddresses());
    if (NameSyntax.isIpAddress(cn)) {
      ips.add(NameSyntax.ipAddress("subject.common_name", cn));
    } else if (isDnsName(cn)) {
      cn = NameSyntax.dnsName("subject.common_name", cn);
      dns.add(cn);
    }
    SubjectFields s = c.subject();
    X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
    add(subject, BCStyle.C, s.country());
    add(subject, BCStyle.ST, s.province());
    add(subject, BCStyle.L, s.locality());
    add(subject, BCStyle.O, s.organization());
    add(subject, BCStyle.OU, s.organizationalUnit());
    add(subject, BCStyle.CN, cn);
    add(subject, BCStyle.EmailAddress, s.emailAddress());
    X500Name name = subject.build();

    Instant start = now.truncatedTo(ChronoUnit.SECONDS);
    Duration lifetime = c.lifetime() == null ? profile.defaultLifetime() : c.lifetime();
    int keyUsage = KeyUsage.digitalSignature;
    if (key.family() == PublicKeyInfo.Family.RSA) {
      keyUsage |= KeyUsage.keyEncipherment;
    }
    return new Template(
        name,
        rfc4514(name),
        cn,
        List.copyOf(dns),
        List.copyOf(ips),
        start.minus(profile.backdate()),
        start.plus(lifetime),
        keyUsage,
        List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth));
  }

  /** Step 3: the key, the lifetime, the number of names and the issuer's own validity. */
  static Template enforceLimits(
      Template t, Checked c, Profile profile, PublicKeyInfo key, String keyField, Issuer issuer) {
    checkKey(key, keyField);
    if (c.lifetime() != null && c.lifetime().compareTo(profile.maxLifetime()) > 0) {
      throw CaException.denied(
          "lifetime",
          Durations.human(c.lifetime())
              + " is longer than profile '"
              + profile.name()
              + "' allows (max_lifetime "
              + Durations.human(profile.maxLifetime())
              + ")");
    }
    int sans = t.dnsNames().size() + t.ipAddresses().size();
    if (sans == 0) {
      throw CaException.invalid(
          "dns_names",
          "the certificate needs at least one DNS name or IP address"
              + " (or a common name that is one)");
    }
    if (sans > MAX_SANS) {
      throw CaException.invalid(
          "dns_names", sans + " names (expected: at most " + MAX_SANS + " DNS names and IPs)");
    }
    Instant notBefore = t.notBefore();
    Instant notAfter = t.notAfter();
    if (notBefore.isBefore(issuer.notBefore())) {
      notBefore = issuer.notBefore();
    }
    if (notAfter.isAfter(issuer.notAfter())) {
      if (profile.notAfterBehavior() == NotAfterBehavior.ERROR) {
        throw CaException.field(
            ErrorKind.FAILED_PRECONDITION,
            "lifetime",
            "the certificate would end at "
                + notAfter
                + ", after its issuer ends at "
                + issuer.notAfter()
                + " (ask for a shorter lifetime)");
      }
      notAfter = issuer.notAfter();
    }
    if (!notBefore.isBefore(notAfter)) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION, "lifetime", "the issuer's validity has ended");
    }
    return new Template(
        t.subject(),
        t.subjectText(),
        t.commonName(),
        t.dnsNames(),
        t.ipAddresses(),
        notBefore,
        notAfter,
        t.keyUsage(),
        t.extendedKeyUsages());
  }

  /** Step 4: whether the profile allows these names. */
  static void checkNames(Template t, Profile profile) {
    for (int i = 0; i < t.dnsNames().size(); i++) {
      String name = t.dnsNames().get(i);
      if (name.startsWith("*.")) {
        throw CaException.denied(
            "dns_names[" + i + "]",
            "'"
                + name
                + "' is a wildcard name, which profile '"
                + profile.name()
                + "' does not allow");
      }
    }
  }

  static void checkKey(PublicKeyInfo key, String field) {
    String expected = "expected: RSA 2048-8192 with e = 65537, EC P-256, P-384, P-521 or Ed25519";
    switch (key.family()) {
      case RSA:
        if (key.bits() < 2048 || key.bits() > 8192 || !F4.equals(key.rsaExponent())) {
          throw CaException.invalid(
              field,
              "public key is RSA "
                  + key.bits()
                  + " bits with e = "
                  + key.rsaExponent()
                  + " ("
                  + expected
                  + ")");
        }
        return;
      case EC:
      case ED25519:
        return;
      default:
        throw CaException.invalid(
            field, "public key is " + key.displayName() + " (" + expected + ")");
    }
  }

  private static void checkLabels(Map<String, String> labels) {
    if (labels.size() > MAX_LABELS) {
      throw CaException.invalid(
          "labels", labels.size() + " labels (expected: <= " + MAX_LABELS + ")");
    }
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (!LABEL_KEY.matcher(e.getKey()).matches()) {
        throw CaException.invalid(
            "labels",
            "key '"
                + NameSyntax.printable(e.getKey())
                + "' (expected: 1-63 of a-z 0-9 . _ / -, starting and ending with a letter or digit)");
      }
      text("labels[" + e.getKey() + "]", e.getValue(), 256);
    }
  }

  private static boolean isDnsName(String cn) {
    String lower = cn.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".")) {
      lower = lower.substring(0, lower.length() - 1);
    }
    return HostNames.isValid(lower, true);
  }

  private static String text(String field, String value, int max) {
    if (value.codePointCount(0, value.length()) > max) {
      throw CaException.invalid(field, "longer than " + max + " characters");
    }
    if (value.codePoints().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw CaException.invalid(
          field, "'" + NameSyntax.printable(value) + "' contains a control character");
    }
    if (!value.equals(value.strip())) {
      throw CaException.invalid(field, "'" + value + "' has leading or trailing spaces");
    }
    return value;
  }

  private static String country(String value) {
    if (value.isEmpty()) {
      return value;
    }
    if (!COUNTRY.matcher(value).matches()) {
      throw CaException.invalid(
          "subject.country",
          "'" + NameSyntax.printable(value) + "' (expected: ISO 3166 two-letter code, e.g. DE)");
    }
    return value.toUpperCase(Locale.ROOT);
  }

  private static String email(String field, String value) {
    if (value.isEmpty()) {
      return value;
    }
    text(field, value, 255);
    int at = value.lastIndexOf('@');
    boolean ok =
        at > 0
            && value.chars().allMatch(c -> c > 0x20 && c < 0x7f)
            && value.indexOf('@') == at
            && HostNames.isValid(value.substring(at + 1).toLowerCase(Locale.ROOT), false);
    if (!ok) {
      throw CaException.invalid(field, "'" + value + "' is not an email address");
    }
    return value;
  }

  private static void add(X500NameBuilder builder, ASN1ObjectIdentifier type, String value) {
    if (!value.isEmpty()) {
      builder.addRDN(type, value);
    }
  }

  /** RFC 4514 order: the most specific RDN (CN) first. */
  static String rfc4514(X500Name name) {
    RDN[] rdns = name.getRDNs();
    RDN[] reversed = new RDN[rdns.length];
    for (int i = 0; i < rdns.length; i++) {
      reversed[i] = rdns[rdns.length - 1 - i];
    }
    return new X500Name(BCStyle.INSTANCE, reversed).toString();
  }
}
