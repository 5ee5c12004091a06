package dev.grpca.server.policy;

import com.google.protobuf.Duration;
import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.KeyUsage;
import dev.grpca.proto.v1.NotAfterBehavior;
import dev.grpca.proto.v1.Profile;
import dev.grpca.proto.v1.SubjectField;
import dev.grpca.proto.v1.SubjectFieldMode;
import dev.grpca.proto.v1.SubjectFieldRule;
import dev.grpca.server.proto.ProtoTime;
import java.util.List;

/**
 * The profiles a server starts with when its configuration declares none: a permissive {@code
 * default} for development, and three examples to copy (a web server, an mTLS client, a SPIFFE
 * workload). Their domains are examples: declare your own in the configuration or over the API.
 */
public final class BuiltInProfiles {
  private BuiltInProfiles() {}

  public static List<Profile> all() {
    return List.of(general("default"), webServer(), mtlsClient(), spiffeWorkload());
  }

  /**
   * Any valid DNS name or IP (no wildcards), any subject field, every key type; serverAuth and
   * clientAuth; the CSR's names when the request gives none.
   */
  public static Profile general(String name) {
    Profile.Builder p =
        Profile.newBuilder()
            .setName(name)
            .setAllowAnyName(true)
            .setAllowLocalhost(true)
            .setAllowIpSans(true)
            .setUseCsrSubject(true)
            .setUseCsrSans(true)
            .addAllAllowedKeyTypes(
                List.of(
                    KeyType.KEY_TYPE_EC_P256,
                    KeyType.KEY_TYPE_EC_P384,
                    KeyType.KEY_TYPE_EC_P521,
                    KeyType.KEY_TYPE_RSA_2048,
                    KeyType.KEY_TYPE_RSA_3072,
                    KeyType.KEY_TYPE_RSA_4096,
                    KeyType.KEY_TYPE_ED25519))
            .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
            .addKeyUsages(KeyUsage.KEY_USAGE_KEY_ENCIPHERMENT)
            .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH)
            .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH);
    for (SubjectField field : SubjectField.values()) {
      if (field != SubjectField.SUBJECT_FIELD_UNSPECIFIED && field != SubjectField.UNRECOGNIZED) {
        p.addSubjectRules(rule(field, SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED, ""));
      }
    }
    return p.build();
  }

  /** TLS servers under example.com: the domain, its subdomains and wildcards; serverAuth only. */
  public static Profile webServer() {
    return Profile.newBuilder()
        .setName("web-server")
        .addAllowedDomains("example.com")
        .setAllowBareDomains(true)
        .setAllowSubdomains(true)
        .setAllowWildcardCertificates(true)
        .setEnforceHostnames(true)
        .setUseCsrSans(true)
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_COMMON_NAME,
                SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED,
                ""))
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_ORGANIZATION,
                SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED,
                ""))
        .addAllAllowedKeyTypes(
            List.of(
                KeyType.KEY_TYPE_EC_P256,
                KeyType.KEY_TYPE_EC_P384,
                KeyType.KEY_TYPE_RSA_2048,
                KeyType.KEY_TYPE_RSA_3072))
        .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
        .addKeyUsages(KeyUsage.KEY_USAGE_KEY_ENCIPHERMENT)
        .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH)
        .setDefaultLifetime(days(7))
        .setMaxLifetime(days(90))
        .setRenewBefore(days(2))
        .build();
  }

  /**
   * Client certificates for services in a Kubernetes cluster: a required common name, the
   * organisation fixed, DNS names under svc.cluster.local; clientAuth only.
   */
  public static Profile mtlsClient() {
    return Profile.newBuilder()
        .setName("mtls-client")
        .addAllowedDomains("svc.cluster.local")
        .setAllowSubdomains(true)
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_COMMON_NAME,
                SubjectFieldMode.SUBJECT_FIELD_MODE_REQUIRED,
                ""))
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_ORGANIZATION,
                SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED,
                "Example Services"))
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_ORGANIZATIONAL_UNIT,
                SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED,
                ""))
        .addAllAllowedKeyTypes(
            List.of(KeyType.KEY_TYPE_EC_P256, KeyType.KEY_TYPE_EC_P384, KeyType.KEY_TYPE_ED25519))
        .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
        .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH)
        .setDefaultLifetime(hours(24))
        .setMaxLifetime(days(7))
        .setRenewBefore(hours(8))
        .build();
  }

  /**
   * SPIFFE X.509-SVIDs for the example.org trust domain: one URI SAN, no subject, short lives;
   * serverAuth and clientAuth.
   */
  public static Profile spiffeWorkload() {
    return Profile.newBuilder()
        .setName("spiffe-workload")
        .addAllowedUriSans("spiffe://example.org/ns/*/sa/*")
        .setUseCsrSans(true)
        .addAllAllowedKeyTypes(
            List.of(KeyType.KEY_TYPE_EC_P256, KeyType.KEY_TYPE_EC_P384, KeyType.KEY_TYPE_ED25519))
        .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
        .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH)
        .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH)
        .setDefaultLifetime(hours(1))
        .setMaxLifetime(hours(24))
        .setRenewBefore(minutes(30))
        .setNotAfterBehavior(NotAfterBehavior.NOT_AFTER_BEHAVIOR_TRUNCATE)
        .build();
  }

  /**
   * The server's own TLS certificate: its host names and IPs, serverAuth, truncated at the issuer.
   */
  public static Profile serverTls(String name, java.time.Duration lifetime) {
    return general(name).toBuilder()
        .setAllowIpSans(true)
        .setDefaultLifetime(ProtoTime.duration(java.time.Duration.ofSeconds(lifetime.getSeconds())))
        .setMaxLifetime(ProtoTime.duration(java.time.Duration.ofSeconds(lifetime.getSeconds())))
        .setNotAfterBehavior(NotAfterBehavior.NOT_AFTER_BEHAVIOR_TRUNCATE)
        .build();
  }

  private static SubjectFieldRule rule(SubjectField field, SubjectFieldMode mode, String value) {
    return SubjectFieldRule.newBuilder().setField(field).setMode(mode).setValue(value).build();
  }

  private static Duration days(long days) {
    return ProtoTime.duration(java.time.Duration.ofDays(days));
  }

  private static Duration hours(long hours) {
    return ProtoTime.duration(java.time.Duration.ofHours(hours));
  }

  private static Duration minutes(long minutes) {
    return ProtoTime.duration(java.time.Duration.ofMinutes(minutes));
  }
}
