package dev.grpca.server.policy;

import dev.grpca.proto.v1.SubjectField;
import dev.grpca.proto.v1.SubjectFieldMode;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.HostNames;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.NameConstraintRules;
import dev.grpca.server.x509.PublicKeyInfo;
import dev.grpca.server.x509.SubjectFields;
import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Decides what a certificate will say, in four steps that always run in this order, each testable
 * alone: {@link #validateRequest} (syntax, INVALID_ARGUMENT), {@link #fillTemplate} (subject rules,
 * SANs, usages and validity from request and profile), {@link #enforceLimits} (key, lifetime, SAN
 * count, the issuer's validity) and {@link #checkNames} (which names the profile allows,
 * PERMISSION_DENIED). A request is refused whole on its first fault.
 */
public final class IssuancePolicy {
  static final int MAX_LABELS = 64;
  private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");
  private static final BigInteger F4 = BigInteger.valueOf(65537);

  /** A request whose every field has the right syntax, in canonical form. */
  record Checked(
      SubjectFields subject,
      List<String> dnsNames,
      List<InetAddress> ipAddresses,
      List<String> emailAddresses,
      List<String> uris,
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
    checkNames(template, checked, profile);
    checkNameConstraints(template, checked, issuer);
    return template;
  }

  /**
   * Step 5: the names within the name constraints of the issuer and of every CA above it; a name
   * outside them is PERMISSION_DENIED naming the constraint, before anything is signed (a relying
   * party would refuse the certificate).
   */
  static void checkNameConstraints(Template t, Checked c, Issuer issuer) {
    for (NameConstraintRules rules : issuer.nameConstraints()) {
      for (String name : t.dnsNames()) {
        int i = c.dnsNames().indexOf(name);
        refuseOutside(
            i < 0 ? "subject.common_name" : "dns_names[" + i + "]", name, rules.dnsViolation(name));
      }
      for (int j = 0; j < t.ipAddresses().size(); j++) {
        int i = c.ipAddresses().indexOf(t.ipAddresses().get(j));
        refuseOutside(
            i < 0 ? "subject.common_name" : "ip_addresses[" + i + "]",
            t.ipTexts().get(j),
            rules.ipViolation(t.ipAddresses().get(j)));
      }
      for (int i = 0; i < t.emailAddresses().size(); i++) {
        String email = t.emailAddresses().get(i);
        refuseOutside("email_addresses[" + i + "]", email, rules.emailViolation(email));
      }
      for (int i = 0; i < t.uris().size(); i++) {
        String uri = t.uris().get(i);
        refuseOutside("uris[" + i + "]", uri, rules.uriViolation(uri));
      }
    }
  }

  private static void refuseOutside(String field, String name, Optional<String> violation) {
    if (violation.isPresent()) {
      throw CaException.denied(
          field,
          "'" + name + "' is outside the issuing CA's name constraints (" + violation.get() + ")");
    }
  }

  /** Step 1: every field's syntax. Names come back normalised. */
  static Checked validateRequest(IssuanceRequest r) {
    SubjectFields s = r.subject();
    SubjectFields subject =
        new SubjectFields(
            SubjectSyntax.text("subject.common_name", s.commonName(), 64),
            SubjectSyntax.text("subject.organization", s.organization(), 64),
            SubjectSyntax.text("subject.organizational_unit", s.organizationalUnit(), 64),
            s.country().isEmpty() ? "" : SubjectSyntax.country("subject.country", s.country()),
            SubjectSyntax.text("subject.province", s.province(), 128),
            SubjectSyntax.text("subject.locality", s.locality(), 128),
            s.emailAddress().isEmpty()
                ? ""
                : SubjectSyntax.email("subject.email_address", s.emailAddress()));
    List<String> dns = new ArrayList<>();
    for (int i = 0; i < r.dnsNames().size(); i++) {
      dns.add(NameSyntax.dnsName("dns_names[" + i + "]", r.dnsNames().get(i)));
    }
    List<InetAddress> ips = new ArrayList<>();
    for (int i = 0; i < r.ipAddresses().size(); i++) {
      ips.add(NameSyntax.ipAddress("ip_addresses[" + i + "]", r.ipAddresses().get(i)));
    }
    List<String> emails = new ArrayList<>();
    for (int i = 0; i < r.emailAddresses().size(); i++) {
      emails.add(SubjectSyntax.email("email_addresses[" + i + "]", r.emailAddresses().get(i)));
    }
    List<String> uris = new ArrayList<>();
    for (int i = 0; i < r.uris().size(); i++) {
      uris.add(UriSyntax.check("uris[" + i + "]", r.uris().get(i)));
    }
    Duration lifetime = r.lifetime();
    if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
      throw CaException.invalid("lifetime", DurationText.human(lifetime) + " (expected: > 0)");
    }
    if (lifetime != null && lifetime.getNano() != 0) {
      throw CaException.invalid(
          "lifetime", lifetime + " (expected: whole seconds; certificates have no finer time)");
    }
    checkLabels(r.labels());
    return new Checked(subject, dns, ips, emails, uris, lifetime, r.labels());
  }

  /** Step 2: the certificate's content, from the checked request and the profile. */
  static Template fillTemplate(Checked c, Profile profile, PublicKeyInfo key, Instant now) {
    SubjectFields s = subjectUnderRules(c.subject(), profile);
    String cn = s.commonName();
    LinkedHashSet<String> dns = new LinkedHashSet<>(c.dnsNames());
    LinkedHashSet<InetAddress> ips = new LinkedHashSet<>(c.ipAddresses());
    if (NameSyntax.isIpAddress(cn)) {
      ips.add(NameSyntax.ipAddress("subject.common_name", cn));
    } else if (HostNames.isDnsCommonName(cn)) {
      cn = NameSyntax.dnsName("subject.common_name", cn);
      dns.add(cn);
    }
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
    return new Template(
        name,
        Certificates.rfc4514(name),
        cn,
        List.copyOf(dns),
        List.copyOf(ips),
        List.copyOf(new LinkedHashSet<>(c.emailAddresses())),
        List.copyOf(new LinkedHashSet<>(c.uris())),
        start.minus(profile.backdate()),
        start.plus(lifetime),
        profile.keyUsageBits(key.family()),
        profile.extendedKeyUsages());
  }

  /** The subject the profile's rules make of the request's: fixed values in, refused fields out. */
  static SubjectFields subjectUnderRules(SubjectFields s, Profile profile) {
    return new SubjectFields(
        field(
            SubjectField.SUBJECT_FIELD_COMMON_NAME, "subject.common_name", s.commonName(), profile),
        field(
            SubjectField.SUBJECT_FIELD_ORGANIZATION,
            "subject.organization",
            s.organization(),
            profile),
        field(
            SubjectField.SUBJECT_FIELD_ORGANIZATIONAL_UNIT,
            "subject.organizational_unit",
            s.organizationalUnit(),
            profile),
        field(SubjectField.SUBJECT_FIELD_COUNTRY, "subject.country", s.country(), profile),
        field(SubjectField.SUBJECT_FIELD_PROVINCE, "subject.province", s.province(), profile),
        field(SubjectField.SUBJECT_FIELD_LOCALITY, "subject.locality", s.locality(), profile),
        field(
            SubjectField.SUBJECT_FIELD_EMAIL_ADDRESS,
            "subject.email_address",
            s.emailAddress(),
            profile));
  }

  private static String field(SubjectField f, String name, String value, Profile profile) {
    Profile.SubjectRule rule = profile.subjectRule(f);
    if (rule == null) {
      if (f == SubjectField.SUBJECT_FIELD_COMMON_NAME) {
        return ruleLessCommonName(value, profile);
      }
      if (!value.isEmpty()) {
        throw CaException.denied(
            name, "profile '" + profile.name() + "' does not allow this field");
      }
      return value;
    }
    if (rule.mode() == SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED) {
      if (!value.isEmpty() && !value.equals(rule.value())) {
        throw CaException.denied(
            name,
            "'" + value + "': profile '" + profile.name() + "' fixes it to '" + rule.value() + "'");
      }
      return rule.value();
    }
    if (rule.mode() == SubjectFieldMode.SUBJECT_FIELD_MODE_REQUIRED && value.isEmpty()) {
      throw CaException.invalid(name, "required by profile '" + profile.name() + "'");
    }
    return value;
  }

  /**
   * A common name under a profile that sets no rule for it, as Vault and Infisical read it: a host
   * name or an IP address is accepted (it goes into the SANs, where the name rules judge it); any
   * other text only when the profile allows any name.
   */
  private static String ruleLessCommonName(String value, Profile profile) {
    if (value.isEmpty()
        || HostNames.isDnsCommonName(value)
        || NameSyntax.isIpAddress(value)
        || profile.spec().getAllowAnyName()) {
      return value;
    }
    throw CaException.denied(
        "subject.common_name",
        "'"
            + value
            + "' is not a host name or IP address, and profile '"
            + profile.name()
            + "' has no subject rule for the common name (add one, or allow_any_name)");
  }

  /** Step 3: the key, the lifetime, the number of names and the issuer's own validity. */
  static Template enforceLimits(
      Template t, Checked c, Profile profile, PublicKeyInfo key, String keyField, Issuer issuer) {
    checkKey(key, keyField);
    checkKeyAllowed(key, keyField, profile);
    if (t.keyUsage() == 0) {
      throw CaException.denied(
          keyField,
          "profile '"
              + profile.name()
              + "' has no key usage that fits a "
              + key.displayName()
              + " key");
    }
    if (c.lifetime() != null && c.lifetime().compareTo(profile.maxLifetime()) > 0) {
      throw CaException.denied(
          "lifetime",
          DurationText.human(c.lifetime())
              + " is longer than profile '"
              + profile.name()
              + "' allows (max_lifetime "
              + DurationText.human(profile.maxLifetime())
              + ")");
    }
    int sans = t.sanCount();
    if (sans == 0) {
      throw CaException.invalid(
          "dns_names",
          "the certificate needs at least one SAN: a DNS name, IP address, email address or URI"
              + " (or a common name that is a host name)");
    }
    if (sans > profile.maxSanCount()) {
      throw CaException.denied(
          "dns_names",
          sans
              + " SANs; profile '"
              + profile.name()
              + "' allows at most "
              + profile.maxSanCount()
              + " (max_san_count)");
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
    return t.withValidity(notBefore, notAfter);
  }

  /** Step 4: whether the profile allows every name; the first refused one refuses the request. */
  static void checkNames(Template t, Checked c, Profile profile) {
    NamePolicy names = profile.names();
    String cn = t.commonName();
    if (profile.enforceHostnames()
        && !cn.isEmpty()
        && !HostNames.isDnsCommonName(cn)
        && !NameSyntax.isIpAddress(cn)) {
      throw CaException.denied(
          "subject.common_name",
          "'"
              + cn
              + "' is not a host name and profile '"
              + profile.name()
              + "' enforces host names");
    }
    for (String name : t.dnsNames()) {
      int i = c.dnsNames().indexOf(name);
      names.checkDns(i < 0 ? "subject.common_name" : "dns_names[" + i + "]", name);
    }
    List<String> ipTexts = t.ipTexts();
    for (int j = 0; j < ipTexts.size(); j++) {
      int i = c.ipAddresses().indexOf(t.ipAddresses().get(j));
      names.checkIp(
          i < 0 ? "subject.common_name" : "ip_addresses[" + i + "]",
          t.ipAddresses().get(j),
          ipTexts.get(j));
    }
    for (int i = 0; i < t.emailAddresses().size(); i++) {
      names.checkEmail("email_addresses[" + i + "]", t.emailAddresses().get(i));
    }
    for (int i = 0; i < t.uris().size(); i++) {
      names.checkUri("uris[" + i + "]", t.uris().get(i));
    }
  }

  /** What any certificate's key must be, whatever the profile: INVALID_ARGUMENT otherwise. */
  public static void checkKey(PublicKeyInfo key, String field) {
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

  /** What this profile allows: PERMISSION_DENIED otherwise. */
  static void checkKeyAllowed(PublicKeyInfo key, String field, Profile profile) {
    boolean allowed =
        switch (key.family()) {
          case RSA ->
              key.bits() >= profile.minRsaBits()
                  && profile.keyTypes().stream().anyMatch(KeyAlgorithm::isRsa);
          case EC ->
              profile.keyTypes().stream()
                  .anyMatch(a -> !a.isRsa() && a != KeyAlgorithm.ED25519 && a.bits() == key.bits());
          case ED25519 -> profile.keyTypes().contains(KeyAlgorithm.ED25519);
          default -> false;
        };
    if (!allowed) {
      throw CaException.denied(
          field,
          key.displayName()
              + " keys are not allowed by profile '"
              + profile.name()
              + "' (allowed_key_types "
              + profile.keyTypes().stream().map(KeyAlgorithm::displayName).sorted().toList()
              + ", min_rsa_bits "
              + profile.minRsaBits()
              + ")");
    }
  }

  /** The syntax and number of labels, whoever sets them (issuance, UpdateCertificate). */
  public static void checkLabels(Map<String, String> labels) {
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
                + "' (expected: 1-63 of a-z 0-9 . _ / -, starting and ending with a letter or"
                + " digit)");
      }
      SubjectSyntax.text("labels[" + e.getKey() + "]", e.getValue(), 256);
    }
  }

  private static void add(X500NameBuilder builder, ASN1ObjectIdentifier type, String value) {
    if (!value.isEmpty()) {
      builder.addRDN(type, value);
    }
  }
}
