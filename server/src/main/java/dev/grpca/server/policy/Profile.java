package dev.grpca.server.policy;

import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.KeyUsage;
import dev.grpca.proto.v1.SubjectField;
import dev.grpca.proto.v1.SubjectFieldMode;
import dev.grpca.proto.v1.SubjectFieldRule;
import dev.grpca.server.error.CaException;
import dev.grpca.server.proto.ProtoTime;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.PublicKeyInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * An issuance profile: its spec (the {@code grpca.v1.Profile} message, as stored and returned) and
 * the rules compiled from it. Constructing one validates the spec; every problem is an
 * INVALID_ARGUMENT naming the field, e.g. {@code profile.allowed_ip_ranges[0]: '10.0.0.0/33' ...}.
 */
public final class Profile {
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
  public static final Duration MAX_LIFETIME = Duration.ofDays(90);
  public static final Duration BACKDATE = Duration.ofSeconds(30);
  static final int DEFAULT_MAX_SANS = 100;
  static final int DEFAULT_MIN_RSA_BITS = 2048;
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?");
  private static final Pattern OID = Pattern.compile("[0-2](\\.(0|[1-9][0-9]*))+");

  /** How a profile treats one subject field. */
  public record SubjectRule(SubjectFieldMode mode, String value) {}

  private static final int MAX_DESCRIPTION = 1024;

  private final dev.grpca.proto.v1.Profile spec;
  private final NamePolicy names;
  private final Map<SubjectField, SubjectRule> subjectRules;
  private final Set<KeyAlgorithm> keyTypes;
  private final int minRsaBits;
  private final int maxSanCount;
  private final Duration defaultLifetime;
  private final Duration maxLifetime;
  private final Duration backdate;
  private final NotAfterBehavior notAfterBehavior;
  private final Duration renewGrace;
  private final Duration renewBefore;
  private final Set<KeyUsage> keyUsages;
  private final List<KeyPurposeId> extendedKeyUsages;

  /** Validates {@code spec}; the error names the offending field and value. */
  public Profile(dev.grpca.proto.v1.Profile spec) {
    this.spec = spec;
    if (!NAME.matcher(spec.getName()).matches()) {
      throw invalid(
          "name", "'" + spec.getName() + "' (expected: lower-case letters, digits and '-', 1-64)");
    }
    if (spec.getDescription().length() > MAX_DESCRIPTION
        || spec.getDescription().chars().anyMatch(Character::isISOControl)) {
      throw invalid(
          "description",
          "expected: at most " + MAX_DESCRIPTION + " characters, no control characters");
    }
    this.names = new NamePolicy(spec);
    this.subjectRules = subjectRules(spec.getSubjectRulesList());
    this.keyTypes = keyTypes(spec.getAllowedKeyTypesList());
    this.minRsaBits = spec.getMinRsaBits() == 0 ? DEFAULT_MIN_RSA_BITS : spec.getMinRsaBits();
    if (minRsaBits < 2048 || minRsaBits > 8192) {
      throw invalid("min_rsa_bits", minRsaBits + " (expected: 2048..8192)");
    }
    this.maxSanCount = spec.getMaxSanCount() == 0 ? DEFAULT_MAX_SANS : spec.getMaxSanCount();
    if (maxSanCount < 1 || maxSanCount > 1000) {
      throw invalid("max_san_count", maxSanCount + " (expected: 1..1000)");
    }
    this.defaultLifetime =
        spec.hasDefaultLifetime()
            ? positive("default_lifetime", spec.getDefaultLifetime())
            : DEFAULT_LIFETIME;
    this.maxLifetime =
        spec.hasMaxLifetime() ? positive("max_lifetime", spec.getMaxLifetime()) : MAX_LIFETIME;
    if (maxLifetime.compareTo(defaultLifetime) < 0) {
      throw invalid(
          "max_lifetime",
          DurationText.human(maxLifetime)
              + " (expected: >= default_lifetime "
              + DurationText.human(defaultLifetime)
              + ")");
    }
    this.backdate = spec.hasBackdate() ? duration("backdate", spec.getBackdate()) : BACKDATE;
    if (backdate.isNegative() || backdate.compareTo(Duration.ofHours(1)) > 0) {
      throw invalid("backdate", DurationText.human(backdate) + " (expected: 0s..1h)");
    }
    this.renewBefore =
        spec.hasRenewBefore() ? positive("renew_before", spec.getRenewBefore()) : null;
    if (renewBefore != null) {
      if (renewBefore.compareTo(maxLifetime) >= 0) {
        throw invalid(
            "renew_before",
            DurationText.human(renewBefore)
                + " (expected: shorter than max_lifetime "
                + DurationText.human(maxLifetime)
                + ")");
      }
    }
    switch (spec.getNotAfterBehavior()) {
      case NOT_AFTER_BEHAVIOR_UNSPECIFIED, NOT_AFTER_BEHAVIOR_ERROR ->
          notAfterBehavior = NotAfterBehavior.ERROR;
      case NOT_AFTER_BEHAVIOR_TRUNCATE -> notAfterBehavior = NotAfterBehavior.TRUNCATE;
      default -> throw invalid("not_after_behavior", "unknown value");
    }
    this.renewGrace =
        spec.hasRenewGrace() ? duration("renew_grace", spec.getRenewGrace()) : Duration.ZERO;
    if (renewGrace.isNegative() || renewGrace.compareTo(Duration.ofDays(30)) > 0) {
      throw invalid("renew_grace", DurationText.human(renewGrace) + " (expected: 0s..30d)");
    }
    this.keyUsages = keyUsages(spec.getKeyUsagesList());
    this.extendedKeyUsages =
        extendedKeyUsages(
            spec.getExtendedKeyUsagesList(), spec.getCustomExtendedKeyUsageOidsList());
  }

  /** The spec as stored and returned. */
  public dev.grpca.proto.v1.Profile spec() {
    return spec;
  }

  public String name() {
    return spec.getName();
  }

  /** The issuing authority's id; empty for the default issuer. */
  public String authorityId() {
    return spec.getAuthorityId();
  }

  public NamePolicy names() {
    return names;
  }

  /** The rule for {@code field}; {@code null} when the profile refuses the field. */
  public SubjectRule subjectRule(SubjectField field) {
    return subjectRules.get(field);
  }

  public boolean useCsrSubject() {
    return spec.getUseCsrSubject();
  }

  public boolean useCsrSans() {
    return spec.getUseCsrSans();
  }

  public boolean enforceHostnames() {
    return spec.getEnforceHostnames();
  }

  public Set<KeyAlgorithm> keyTypes() {
    return keyTypes;
  }

  /** The key Issue makes when the request names none: the first allowed key type. */
  public KeyAlgorithm defaultKeyType() {
    return spec.getAllowedKeyTypesCount() == 0
        ? KeyAlgorithm.EC_P256
        : KeyAlgorithm.valueOf(spec.getAllowedKeyTypes(0).name().substring("KEY_TYPE_".length()));
  }

  public int minRsaBits() {
    return minRsaBits;
  }

  public int maxSanCount() {
    return maxSanCount;
  }

  public Duration defaultLifetime() {
    return defaultLifetime;
  }

  public Duration maxLifetime() {
    return maxLifetime;
  }

  public Duration backdate() {
    return backdate;
  }

  /** Whether it may issue straight from a root CA. */
  public boolean issueFromRoot() {
    return spec.getIssueFromRoot();
  }

  /** Whether the CA renews certificates under this profile itself (unless they opted out). */
  public boolean autoRenew() {
    return spec.getAutoRenew();
  }

  /**
   * When the CA renews a certificate valid from {@code notBefore} to {@code notAfter}: renew_before
   * ahead of notAfter, or when a third of its lifetime is left; never before notBefore.
   */
  public java.time.Instant renewAt(java.time.Instant notBefore, java.time.Instant notAfter) {
    Duration ahead =
        renewBefore != null ? renewBefore : Duration.between(notBefore, notAfter).dividedBy(3);
    java.time.Instant at = notAfter.minus(ahead);
    return at.isBefore(notBefore) ? notBefore : at;
  }

  /** How long after notAfter an expired certificate may still be renewed. */
  public Duration renewGrace() {
    return renewGrace;
  }

  public NotAfterBehavior notAfterBehavior() {
    return notAfterBehavior;
  }

  /**
   * The key usage bits ({@link org.bouncycastle.asn1.x509.KeyUsage}) for a key of {@code family}:
   * the profile's usages less those that do not fit the key.
   */
  public int keyUsageBits(PublicKeyInfo.Family family) {
    int bits = 0;
    for (KeyUsage usage : keyUsages) {
      boolean fits =
          switch (usage) {
            case KEY_USAGE_DIGITAL_SIGNATURE, KEY_USAGE_CONTENT_COMMITMENT -> true;
            case KEY_USAGE_KEY_ENCIPHERMENT, KEY_USAGE_DATA_ENCIPHERMENT ->
                family == PublicKeyInfo.Family.RSA;
            case KEY_USAGE_KEY_AGREEMENT -> family == PublicKeyInfo.Family.EC;
            default -> false;
          };
      if (fits) {
        bits |= bit(usage);
      }
    }
    return bits;
  }

  public List<KeyPurposeId> extendedKeyUsages() {
    return extendedKeyUsages;
  }

  @Override
  public String toString() {
    return "Profile[" + name() + "]";
  }

  private static int bit(KeyUsage usage) {
    return switch (usage) {
      case KEY_USAGE_DIGITAL_SIGNATURE -> org.bouncycastle.asn1.x509.KeyUsage.digitalSignature;
      case KEY_USAGE_CONTENT_COMMITMENT -> org.bouncycastle.asn1.x509.KeyUsage.nonRepudiation;
      case KEY_USAGE_KEY_ENCIPHERMENT -> org.bouncycastle.asn1.x509.KeyUsage.keyEncipherment;
      case KEY_USAGE_DATA_ENCIPHERMENT -> org.bouncycastle.asn1.x509.KeyUsage.dataEncipherment;
      case KEY_USAGE_KEY_AGREEMENT -> org.bouncycastle.asn1.x509.KeyUsage.keyAgreement;
      default -> 0;
    };
  }

  private static Map<SubjectField, SubjectRule> subjectRules(List<SubjectFieldRule> rules) {
    Map<SubjectField, SubjectRule> out = new EnumMap<>(SubjectField.class);
    for (int i = 0; i < rules.size(); i++) {
      SubjectFieldRule r = rules.get(i);
      String field = "subject_rules[" + i + "]";
      if (r.getField() == SubjectField.SUBJECT_FIELD_UNSPECIFIED
          || r.getField() == SubjectField.UNRECOGNIZED) {
        throw invalid(field + ".field", "required (a SubjectField)");
      }
      if (r.getMode() == SubjectFieldMode.SUBJECT_FIELD_MODE_UNSPECIFIED
          || r.getMode() == SubjectFieldMode.UNRECOGNIZED) {
        throw invalid(field + ".mode", "required (ALLOWED, REQUIRED or FIXED)");
      }
      if (r.getMode() == SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED && r.getValue().isEmpty()) {
        throw invalid(field + ".value", "required for SUBJECT_FIELD_MODE_FIXED");
      }
      if (r.getMode() != SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED && !r.getValue().isEmpty()) {
        throw invalid(field + ".value", "only SUBJECT_FIELD_MODE_FIXED takes a value");
      }
      String value = r.getValue();
      if (r.getField() == SubjectField.SUBJECT_FIELD_COUNTRY && !value.isEmpty()) {
        value = SubjectSyntax.country("profile." + field + ".value", value);
      }
      if (out.put(r.getField(), new SubjectRule(r.getMode(), value)) != null) {
        throw invalid(field + ".field", r.getField() + " has two rules");
      }
    }
    return Map.copyOf(out);
  }

  private static Set<KeyAlgorithm> keyTypes(List<KeyType> types) {
    if (types.isEmpty()) {
      return Set.of(KeyAlgorithm.EC_P256);
    }
    Set<KeyAlgorithm> out = EnumSet.noneOf(KeyAlgorithm.class);
    for (int i = 0; i < types.size(); i++) {
      KeyType type = types.get(i);
      if (type == KeyType.KEY_TYPE_UNSPECIFIED || type == KeyType.UNRECOGNIZED) {
        throw invalid("allowed_key_types[" + i + "]", "not a key type");
      }
      out.add(KeyAlgorithm.valueOf(type.name().substring("KEY_TYPE_".length())));
    }
    return Set.copyOf(out);
  }

  private static Set<KeyUsage> keyUsages(List<KeyUsage> usages) {
    Set<KeyUsage> out = EnumSet.noneOf(KeyUsage.class);
    if (usages.isEmpty()) {
      out.add(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE);
      out.add(KeyUsage.KEY_USAGE_KEY_ENCIPHERMENT);
      return out;
    }
    for (int i = 0; i < usages.size(); i++) {
      if (usages.get(i) == KeyUsage.KEY_USAGE_UNSPECIFIED
          || usages.get(i) == KeyUsage.UNRECOGNIZED) {
        throw invalid("key_usages[" + i + "]", "not a key usage");
      }
      out.add(usages.get(i));
    }
    return out;
  }

  private static List<KeyPurposeId> extendedKeyUsages(
      List<ExtendedKeyUsage> usages, List<String> customOids) {
    List<KeyPurposeId> out = new ArrayList<>();
    for (int i = 0; i < usages.size(); i++) {
      KeyPurposeId id =
          switch (usages.get(i)) {
            case EXTENDED_KEY_USAGE_SERVER_AUTH -> KeyPurposeId.id_kp_serverAuth;
            case EXTENDED_KEY_USAGE_CLIENT_AUTH -> KeyPurposeId.id_kp_clientAuth;
            case EXTENDED_KEY_USAGE_CODE_SIGNING -> KeyPurposeId.id_kp_codeSigning;
            case EXTENDED_KEY_USAGE_EMAIL_PROTECTION -> KeyPurposeId.id_kp_emailProtection;
            case EXTENDED_KEY_USAGE_TIME_STAMPING -> KeyPurposeId.id_kp_timeStamping;
            default -> throw invalid("extended_key_usages[" + i + "]", "not an extended key usage");
          };
      if (!out.contains(id)) {
        out.add(id);
      }
    }
    for (int i = 0; i < customOids.size(); i++) {
      String oid = customOids.get(i);
      if (!OID.matcher(oid).matches()) {
        throw invalid(
            "custom_extended_key_usage_oids[" + i + "]",
            "'" + oid + "' (expected: a dotted OID such as 1.3.6.1.5.5.7.3.17)");
      }
      KeyPurposeId id = KeyPurposeId.getInstance(new ASN1ObjectIdentifier(oid));
      if (!out.contains(id)) {
        out.add(id);
      }
    }
    if (out.isEmpty()) {
      throw invalid(
          "extended_key_usages", "empty (expected: at least one, e.g. SERVER_AUTH or CLIENT_AUTH)");
    }
    return List.copyOf(out);
  }

  private static Duration positive(String field, com.google.protobuf.Duration d) {
    Duration duration = duration(field, d);
    if (duration.isNegative() || duration.isZero()) {
      throw invalid(field, DurationText.human(duration) + " (expected: > 0)");
    }
    return duration;
  }

  private static Duration duration(String field, com.google.protobuf.Duration d) {
    if (!ProtoTime.isValid(d) || d.getNanos() != 0) {
      throw invalid(
          field,
          "seconds " + d.getSeconds() + ", nanos " + d.getNanos() + " (expected: whole seconds)");
    }
    return Duration.ofSeconds(d.getSeconds());
  }

  static CaException invalid(String field, String description) {
    return CaException.invalid("profile." + field, description);
  }
}
