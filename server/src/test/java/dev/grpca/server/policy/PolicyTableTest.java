package dev.grpca.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.KeyUsage;
import dev.grpca.proto.v1.NotAfterBehavior;
import dev.grpca.proto.v1.SubjectField;
import dev.grpca.proto.v1.SubjectFieldMode;
import dev.grpca.proto.v1.SubjectFieldRule;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.PublicKeyInfo;
import dev.grpca.server.x509.SubjectFields;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole policy (all four steps) as a table: each row a profile, a request, a key, and what must
 * come of it. Names are the rows' own: read them as sentences.
 */
class PolicyTableTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final Issuer ISSUER =
      new Issuer(
          new X500Name("CN=Issuing"),
          new byte[] {1},
          KeyAlgorithm.EC_P256.signatureAlgorithmIdentifier(),
          NOW.minus(Duration.ofDays(30)),
          NOW.plus(Duration.ofDays(365)));
  private static final PublicKeyInfo P256 = PublicKeyInfo.of(KeyAlgorithm.EC_P256);
  private static final PublicKeyInfo P384 = PublicKeyInfo.of(KeyAlgorithm.EC_P384);
  private static final PublicKeyInfo P521 = PublicKeyInfo.of(KeyAlgorithm.EC_P521);
  private static final PublicKeyInfo ED25519 = PublicKeyInfo.of(KeyAlgorithm.ED25519);
  private static final PublicKeyInfo RSA2048 = PublicKeyInfo.of(KeyAlgorithm.RSA_2048);

  /** What a row expects: the template passes {@code check}, or a refusal of this kind and field. */
  record Expect(ErrorKind kind, String field, String message, Consumer<Template> check) {
    @Override
    public String toString() {
      return kind == null ? "allowed" : kind + " on " + field;
    }
  }

  static Expect ok() {
    return new Expect(null, null, null, t -> {});
  }

  static Expect ok(Consumer<Template> check) {
    return new Expect(null, null, null, check);
  }

  static Expect denied(String field) {
    return new Expect(ErrorKind.PERMISSION_DENIED, field, null, null);
  }

  static Expect denied(String field, String message) {
    return new Expect(ErrorKind.PERMISSION_DENIED, field, message, null);
  }

  static Expect invalid(String field) {
    return new Expect(ErrorKind.INVALID_ARGUMENT, field, null, null);
  }

  static Expect invalid(String field, String message) {
    return new Expect(ErrorKind.INVALID_ARGUMENT, field, message, null);
  }

  static Expect failedPrecondition(String field) {
    return new Expect(ErrorKind.FAILED_PRECONDITION, field, null, null);
  }

  /** A request under construction. */
  static final class Req {
    String cn = "";
    String o = "";
    String ou = "";
    String c = "";
    String email = "";
    final List<String> dns = new ArrayList<>();
    final List<String> ips = new ArrayList<>();
    final List<String> emails = new ArrayList<>();
    final List<String> uris = new ArrayList<>();
    Duration lifetime;

    Req dns(String... names) {
      dns.addAll(List.of(names));
      return this;
    }

    Req ip(String... values) {
      ips.addAll(List.of(values));
      return this;
    }

    Req email(String... values) {
      emails.addAll(List.of(values));
      return this;
    }

    Req uri(String... values) {
      uris.addAll(List.of(values));
      return this;
    }

    Req cn(String value) {
      cn = value;
      return this;
    }

    Req o(String value) {
      o = value;
      return this;
    }

    Req ou(String value) {
      ou = value;
      return this;
    }

    Req c(String value) {
      c = value;
      return this;
    }

    Req subjectEmail(String value) {
      email = value;
      return this;
    }

    Req lifetime(Duration value) {
      lifetime = value;
      return this;
    }

    IssuanceRequest build() {
      return new IssuanceRequest(
          "p",
          new SubjectFields(cn, o, ou, c, "", "", email),
          dns,
          ips,
          emails,
          uris,
          lifetime,
          Map.of(),
          false,
          "test");
    }

    @Override
    public String toString() {
      return "request";
    }
  }

  static Req req() {
    return new Req();
  }

  /** A profile that allows nothing but CN and serverAuth with EC P-256 keys; rows add to it. */
  static dev.grpca.proto.v1.Profile.Builder base() {
    return dev.grpca.proto.v1.Profile.newBuilder()
        .setName("p")
        .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH)
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_COMMON_NAME,
                SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED,
                ""));
  }

  static SubjectFieldRule rule(SubjectField field, SubjectFieldMode mode, String value) {
    return SubjectFieldRule.newBuilder().setField(field).setMode(mode).setValue(value).build();
  }

  static Arguments row(
      String name,
      UnaryOperator<dev.grpca.proto.v1.Profile.Builder> profile,
      Req request,
      Expect expect) {
    return row(name, profile, request, P256, expect);
  }

  static Arguments row(
      String name,
      UnaryOperator<dev.grpca.proto.v1.Profile.Builder> profile,
      Req request,
      PublicKeyInfo key,
      Expect expect) {
    return Arguments.of(name, profile, request, key, expect);
  }

  // Profile shapes the rows share.
  static dev.grpca.proto.v1.Profile.Builder bare(dev.grpca.proto.v1.Profile.Builder p) {
    return p.addAllowedDomains("example.com").setAllowBareDomains(true);
  }

  static dev.grpca.proto.v1.Profile.Builder subdomains(dev.grpca.proto.v1.Profile.Builder p) {
    return p.addAllowedDomains("example.com").setAllowSubdomains(true);
  }

  static dev.grpca.proto.v1.Profile.Builder globs(dev.grpca.proto.v1.Profile.Builder p) {
    return p.setAllowGlobDomains(true)
        .addAllowedDomains("web-*.example.com")
        .addAllowedDomains("*.svc.cluster.local");
  }

  static dev.grpca.proto.v1.Profile.Builder any(dev.grpca.proto.v1.Profile.Builder p) {
    return p.setAllowAnyName(true);
  }

  static dev.grpca.proto.v1.Profile.Builder ips(dev.grpca.proto.v1.Profile.Builder p) {
    return p.setAllowAnyName(true).setAllowIpSans(true);
  }

  static dev.grpca.proto.v1.Profile.Builder ranges(dev.grpca.proto.v1.Profile.Builder p) {
    return ips(p).addAllowedIpRanges("10.0.0.0/8").addAllowedIpRanges("2001:db8::/32");
  }

  static dev.grpca.proto.v1.Profile.Builder emails(dev.grpca.proto.v1.Profile.Builder p) {
    return p.addAllowedEmailDomains("example.com");
  }

  static dev.grpca.proto.v1.Profile.Builder spiffe(dev.grpca.proto.v1.Profile.Builder p) {
    return p.addAllowedUriSans("spiffe://example.org/ns/*/sa/*")
        .addAllowedUriSans("https://example.org/*");
  }

  static dev.grpca.proto.v1.Profile.Builder keys(dev.grpca.proto.v1.Profile.Builder p) {
    return any(p)
        .addAllowedKeyTypes(KeyType.KEY_TYPE_EC_P256)
        .addAllowedKeyTypes(KeyType.KEY_TYPE_RSA_2048);
  }

  static dev.grpca.proto.v1.Profile.Builder subject(dev.grpca.proto.v1.Profile.Builder p) {
    return any(p)
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_ORGANIZATION,
                SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED,
                "Acme"))
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_ORGANIZATIONAL_UNIT,
                SubjectFieldMode.SUBJECT_FIELD_MODE_REQUIRED,
                ""))
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_COUNTRY,
                SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED,
                ""))
        .addSubjectRules(
            rule(
                SubjectField.SUBJECT_FIELD_EMAIL_ADDRESS,
                SubjectFieldMode.SUBJECT_FIELD_MODE_ALLOWED,
                ""));
  }

  static PublicKeyInfo rsa(int bits, int exponent) {
    return new PublicKeyInfo(
        PublicKeyInfo.Family.RSA, bits, null, BigInteger.valueOf(exponent), "RSA " + bits);
  }

  static Consumer<Template> dnsIs(String... names) {
    return t -> assertThat(t.dnsNames()).containsExactly(names);
  }

  static Consumer<Template> keyUsage(int bits) {
    return t -> assertThat(t.keyUsage()).isEqualTo(bits);
  }

  static Consumer<Template> subjectIs(String text) {
    return t -> assertThat(t.subjectText()).isEqualTo(text);
  }

  static Consumer<Template> lifetimeIs(Duration d) {
    return t -> assertThat(Duration.between(NOW, t.notAfter())).isEqualTo(d);
  }

  static final int DS = org.bouncycastle.asn1.x509.KeyUsage.digitalSignature;
  static final int KE = org.bouncycastle.asn1.x509.KeyUsage.keyEncipherment;
  static final int KA = org.bouncycastle.asn1.x509.KeyUsage.keyAgreement;
  static final int CC = org.bouncycastle.asn1.x509.KeyUsage.nonRepudiation;
  static final int DE = org.bouncycastle.asn1.x509.KeyUsage.dataEncipherment;

  static Stream<Arguments> rows() {
    return Stream.of(
        // Exact names and base domains.
        row("bare domain allowed", PolicyTableTest::bare, req().dns("example.com"), ok()),
        row(
            "bare domain in capitals with a trailing dot",
            PolicyTableTest::bare,
            req().dns("EXAMPLE.com."),
            ok(dnsIs("example.com"))),
        row(
            "subdomain refused when only the bare domain is allowed",
            PolicyTableTest::bare,
            req().dns("www.example.com"),
            denied("dns_names[0]")),
        row(
            "bare domain refused when only subdomains are allowed",
            PolicyTableTest::subdomains,
            req().dns("example.com"),
            denied("dns_names[0]")),
        row(
            "one-level subdomain allowed",
            PolicyTableTest::subdomains,
            req().dns("www.example.com"),
            ok()),
        row(
            "deep subdomain allowed",
            PolicyTableTest::subdomains,
            req().dns("a.b.c.example.com"),
            ok()),
        row(
            "suffix without a dot is not a subdomain",
            PolicyTableTest::subdomains,
            req().dns("badexample.com"),
            denied("dns_names[0]")),
        row(
            "allowed domain as a prefix of another domain",
            PolicyTableTest::subdomains,
            req().dns("example.com.evil.net"),
            denied("dns_names[0]")),
        row(
            "other domain refused",
            PolicyTableTest::subdomains,
            req().dns("example.org"),
            denied("dns_names[0]")),
        row(
            "both bare and subdomains",
            p -> subdomains(p).setAllowBareDomains(true),
            req().dns("example.com", "api.example.com"),
            ok()),
        row(
            "one refused name refuses the whole request",
            PolicyTableTest::subdomains,
            req().dns("a.example.com", "b.example.org"),
            denied("dns_names[1]")),
        row(
            "exact name entry allows only itself",
            p -> p.addAllowedDomains("api.example.com").setAllowBareDomains(true),
            req().dns("api.example.com"),
            ok()),
        row(
            "exact name entry refuses its sibling",
            p -> p.addAllowedDomains("api.example.com").setAllowBareDomains(true),
            req().dns("web.example.com"),
            denied("dns_names[0]")),
        row(
            "no allowed domains refuses every name",
            p -> p,
            req().dns("example.com"),
            denied("dns_names[0]", "is not allowed")),
        row(
            "refusal names the value and the profile",
            PolicyTableTest::subdomains,
            req().dns("x.example.org"),
            denied("dns_names[0]", "'x.example.org' is not allowed")),
        row(
            "allowed domain entry in capitals",
            p -> p.addAllowedDomains("Example.COM").setAllowSubdomains(true),
            req().dns("www.example.com"),
            ok()),
        // Globs.
        row(
            "glob matches within a label",
            PolicyTableTest::globs,
            req().dns("web-1.example.com"),
            ok()),
        row(
            "glob matches several characters",
            PolicyTableTest::globs,
            req().dns("web-frontend.example.com"),
            ok()),
        row(
            "glob needs at least one character",
            PolicyTableTest::globs,
            req().dns("web-.example.com"),
            invalid("dns_names[0]")),
        row(
            "glob does not cross a dot",
            PolicyTableTest::globs,
            req().dns("web-1.x.example.com"),
            denied("dns_names[0]")),
        row(
            "glob prefix must match",
            PolicyTableTest::globs,
            req().dns("api-1.example.com"),
            denied("dns_names[0]")),
        row(
            "glob domain must match",
            PolicyTableTest::globs,
            req().dns("web-1.example.org"),
            denied("dns_names[0]")),
        row(
            "leading-label glob",
            PolicyTableTest::globs,
            req().dns("billing.svc.cluster.local"),
            ok()),
        row(
            "leading-label glob is one label only",
            PolicyTableTest::globs,
            req().dns("a.billing.svc.cluster.local"),
            denied("dns_names[0]")),
        row(
            "leading-label glob does not match its base",
            PolicyTableTest::globs,
            req().dns("svc.cluster.local"),
            denied("dns_names[0]")),
        row(
            "glob and exact entries together",
            p -> globs(p).addAllowedDomains("example.net").setAllowBareDomains(true),
            req().dns("web-2.example.com", "example.net"),
            ok()),
        // Wildcard certificates.
        row(
            "wildcard allowed over allowed subdomains",
            p -> subdomains(p).setAllowWildcardCertificates(true),
            req().dns("*.example.com"),
            ok()),
        row(
            "wildcard refused when wildcards are off",
            PolicyTableTest::subdomains,
            req().dns("*.example.com"),
            denied("dns_names[0]", "allow_wildcard_certificates is off")),
        row(
            "wildcard refused over a bare-only domain",
            p -> bare(p).setAllowWildcardCertificates(true),
            req().dns("*.example.com"),
            denied("dns_names[0]")),
        row(
            "wildcard of a deeper level",
            p -> subdomains(p).setAllowWildcardCertificates(true),
            req().dns("*.api.example.com"),
            ok()),
        row(
            "wildcard over a leading-label glob",
            p -> globs(p).setAllowWildcardCertificates(true),
            req().dns("*.svc.cluster.local"),
            ok()),
        row(
            "wildcard cannot stand for a glob's fixed part",
            p -> globs(p).setAllowWildcardCertificates(true),
            req().dns("*.example.com"),
            denied("dns_names[0]")),
        row(
            "wildcard with any-name and wildcards on",
            p -> any(p).setAllowWildcardCertificates(true),
            req().dns("*.anything.test"),
            ok()),
        row(
            "wildcard with any-name but wildcards off",
            PolicyTableTest::any,
            req().dns("*.anything.test"),
            denied("dns_names[0]")),
        row(
            "partial-label wildcard is syntax error",
            p -> any(p).setAllowWildcardCertificates(true),
            req().dns("w*.example.com"),
            invalid("dns_names[0]")),
        row(
            "wildcard not in the leftmost label",
            p -> any(p).setAllowWildcardCertificates(true),
            req().dns("www.*.example.com"),
            invalid("dns_names[0]")),
        row(
            "double wildcard",
            p -> any(p).setAllowWildcardCertificates(true),
            req().dns("*.*.example.com"),
            invalid("dns_names[0]")),
        row(
            "wildcard over a public suffix shape",
            p -> any(p).setAllowWildcardCertificates(true),
            req().dns("*.com"),
            invalid("dns_names[0]")),
        row(
            "wildcard covering a denied domain",
            p ->
                subdomains(p)
                    .setAllowWildcardCertificates(true)
                    .addDeniedDomains("internal.example.com"),
            req().dns("*.internal.example.com"),
            denied("dns_names[0]", "denied_domains")),
        // localhost.
        row("localhost allowed", p -> p.setAllowLocalhost(true), req().dns("localhost"), ok()),
        row("localhost refused", p -> p, req().dns("localhost"), denied("dns_names[0]")),
        row(
            "LOCALHOST. normalised and allowed",
            p -> p.setAllowLocalhost(true),
            req().dns("LOCALHOST."),
            ok(dnsIs("localhost"))),
        row(
            "localhost switch is not a domain",
            p -> p.setAllowLocalhost(true),
            req().dns("localhost.example.com"),
            denied("dns_names[0]")),
        row(
            "localhost as a common name joins the SANs",
            p -> p.setAllowLocalhost(true),
            req().cn("localhost"),
            ok(dnsIs("localhost"))),
        // Any name and denied names.
        row("any name allowed", PolicyTableTest::any, req().dns("anything.test"), ok()),
        row(
            "any name allows many",
            PolicyTableTest::any,
            req().dns("a.test", "b.example", "c.internal"),
            ok()),
        row(
            "denied domain refused under any-name",
            p -> any(p).addDeniedDomains("evil.com"),
            req().dns("evil.com"),
            denied("dns_names[0]", "denied_domains entry 'evil.com'")),
        row(
            "denied domain's subdomain refused",
            p -> any(p).addDeniedDomains("evil.com"),
            req().dns("x.y.evil.com"),
            denied("dns_names[0]")),
        row(
            "denied domain does not catch look-alikes",
            p -> any(p).addDeniedDomains("evil.com"),
            req().dns("notevil.com"),
            ok()),
        row(
            "denied wins over allowed subdomains",
            p -> subdomains(p).addDeniedDomains("internal.example.com"),
            req().dns("db.internal.example.com"),
            denied("dns_names[0]")),
        row(
            "denied leaves the rest allowed",
            p -> subdomains(p).addDeniedDomains("internal.example.com"),
            req().dns("www.example.com"),
            ok()),
        row(
            "denied wins over bare",
            p -> bare(p).addDeniedDomains("example.com"),
            req().dns("example.com"),
            denied("dns_names[0]")),
        row(
            "denied wins over localhost",
            p -> p.setAllowLocalhost(true).addDeniedDomains("localhost"),
            req().dns("localhost"),
            denied("dns_names[0]")),
        row(
            "denied wins over globs",
            p -> globs(p).addDeniedDomains("web-admin.example.com"),
            req().dns("web-admin.example.com"),
            denied("dns_names[0]")),
        // Syntax.
        row(
            "underscore refused",
            PolicyTableTest::any,
            req().dns("bad_name.example.com"),
            invalid("dns_names[0]")),
        row(
            "leading hyphen refused",
            PolicyTableTest::any,
            req().dns("-a.example.com"),
            invalid("dns_names[0]")),
        row(
            "trailing hyphen refused",
            PolicyTableTest::any,
            req().dns("a-.example.com"),
            invalid("dns_names[0]")),
        row(
            "empty label refused",
            PolicyTableTest::any,
            req().dns("a..example.com"),
            invalid("dns_names[0]")),
        row(
            "64-octet label refused",
            PolicyTableTest::any,
            req().dns("a".repeat(64) + ".example.com"),
            invalid("dns_names[0]")),
        row(
            "63-octet label allowed",
            PolicyTableTest::any,
            req().dns("a".repeat(63) + ".example.com"),
            ok()),
        row(
            "254-octet name refused",
            PolicyTableTest::any,
            req().dns(("a".repeat(63) + ".").repeat(3) + "b".repeat(62)),
            invalid("dns_names[0]")),
        row(
            "NUL in a name refused",
            PolicyTableTest::any,
            req().dns("a\u0000.example.com"),
            invalid("dns_names[0]", "control character")),
        row(
            "space in a name refused",
            PolicyTableTest::any,
            req().dns("a b.example.com"),
            invalid("dns_names[0]")),
        row(
            "IP-like DNS name refused",
            PolicyTableTest::any,
            req().dns("10.0.0.1"),
            invalid("dns_names[0]")),
        row("empty DNS name refused", PolicyTableTest::any, req().dns(""), invalid("dns_names[0]")),
        // Internationalised names.
        row(
            "valid A-label allowed",
            PolicyTableTest::any,
            req().dns("xn--bcher-kva.example"),
            ok()),
        row(
            "second valid A-label allowed",
            PolicyTableTest::any,
            req().dns("www.xn--mnchen-3ya.de"),
            ok()),
        row(
            "U-label refused: give the A-label",
            PolicyTableTest::any,
            req().dns("bücher.example"),
            invalid("dns_names[0]", "A-labels")),
        row(
            "invalid punycode refused",
            PolicyTableTest::any,
            req().dns("xn--zz.example"),
            invalid("dns_names[0]", "not a valid A-label")),
        row(
            "short invalid punycode refused",
            PolicyTableTest::any,
            req().dns("xn--a.example"),
            invalid("dns_names[0]")),
        row(
            "A-label domain matched as such",
            p -> p.addAllowedDomains("xn--bcher-kva.example").setAllowSubdomains(true),
            req().dns("www.xn--bcher-kva.example"),
            ok()),
        row(
            "A-label in capitals normalised",
            PolicyTableTest::any,
            req().dns("XN--BCHER-KVA.example"),
            ok(dnsIs("xn--bcher-kva.example"))),
        // IP SANs.
        row(
            "IP SANs refused when off",
            PolicyTableTest::any,
            req().ip("10.1.2.3"),
            denied("ip_addresses[0]", "allow_ip_sans is off")),
        row("IPv4 allowed with no ranges", PolicyTableTest::ips, req().ip("192.0.2.7"), ok()),
        row("IPv6 allowed with no ranges", PolicyTableTest::ips, req().ip("2001:db8::7"), ok()),
        row("IPv4 inside 10/8", PolicyTableTest::ranges, req().ip("10.255.0.1"), ok()),
        row("IPv4 at the start of 10/8", PolicyTableTest::ranges, req().ip("10.0.0.0"), ok()),
        row(
            "IPv4 just outside 10/8",
            PolicyTableTest::ranges,
            req().ip("11.0.0.0"),
            denied("ip_addresses[0]", "outside allowed_ip_ranges")),
        row(
            "IPv4 below 10/8",
            PolicyTableTest::ranges,
            req().ip("9.255.255.255"),
            denied("ip_addresses[0]")),
        row(
            "IPv6 inside 2001:db8::/32",
            PolicyTableTest::ranges,
            req().ip("2001:db8:ffff::1"),
            ok()),
        row(
            "IPv6 outside 2001:db8::/32",
            PolicyTableTest::ranges,
            req().ip("2001:db9::1"),
            denied("ip_addresses[0]")),
        row(
            "IPv6 loopback outside the ranges",
            PolicyTableTest::ranges,
            req().ip("::1"),
            denied("ip_addresses[0]")),
        row(
            "/32 allows exactly one address",
            p -> ips(p).addAllowedIpRanges("192.168.1.10/32"),
            req().ip("192.168.1.10"),
            ok()),
        row(
            "/32 refuses its neighbour",
            p -> ips(p).addAllowedIpRanges("192.168.1.10/32"),
            req().ip("192.168.1.11"),
            denied("ip_addresses[0]")),
        row(
            "/0 allows any IPv4",
            p -> ips(p).addAllowedIpRanges("0.0.0.0/0"),
            req().ip("203.0.113.9"),
            ok()),
        row(
            "IPv4 /0 does not allow IPv6",
            p -> ips(p).addAllowedIpRanges("0.0.0.0/0"),
            req().ip("::1"),
            denied("ip_addresses[0]")),
        row(
            "/20 boundary inside",
            p -> ips(p).addAllowedIpRanges("172.16.0.0/20"),
            req().ip("172.16.15.255"),
            ok()),
        row(
            "/20 boundary outside",
            p -> ips(p).addAllowedIpRanges("172.16.0.0/20"),
            req().ip("172.16.16.0"),
            denied("ip_addresses[0]")),
        row(
            "second IP out of range refuses all",
            PolicyTableTest::ranges,
            req().ip("10.0.0.1", "8.8.8.8"),
            denied("ip_addresses[1]")),
        row(
            "IP common name in range joins the SANs",
            PolicyTableTest::ranges,
            req().cn("10.9.9.9"),
            ok(t -> assertThat(t.ipTexts()).containsExactly("10.9.9.9"))),
        row(
            "IP common name out of range refused",
            PolicyTableTest::ranges,
            req().cn("8.8.4.4"),
            denied("subject.common_name")),
        row(
            "IPv4 with a leading zero is syntax error",
            PolicyTableTest::ips,
            req().ip("10.0.0.01"),
            invalid("ip_addresses[0]")),
        row(
            "IPv4 octet over 255",
            PolicyTableTest::ips,
            req().ip("10.0.0.256"),
            invalid("ip_addresses[0]")),
        row(
            "IPv6 zone id refused",
            PolicyTableTest::ips,
            req().ip("fe80::1%eth0"),
            invalid("ip_addresses[0]")),
        row(
            "host name in the IP field refused",
            PolicyTableTest::ips,
            req().ip("example.com"),
            invalid("ip_addresses[0]")),
        row(
            "IPv6 canonicalised",
            PolicyTableTest::ips,
            req().ip("2001:DB8:0:0:0:0:0:1"),
            ok(t -> assertThat(t.ipTexts()).containsExactly("2001:db8::1"))),
        // Email SANs.
        row(
            "email in an allowed domain",
            PolicyTableTest::emails,
            req().email("ops@example.com"),
            ok()),
        row(
            "email domain in capitals",
            PolicyTableTest::emails,
            req().email("ops@EXAMPLE.com"),
            ok(t -> assertThat(t.emailAddresses()).containsExactly("ops@example.com"))),
        row(
            "email in a subdomain refused",
            PolicyTableTest::emails,
            req().email("ops@mail.example.com"),
            denied("email_addresses[0]")),
        row(
            "email in another domain refused",
            PolicyTableTest::emails,
            req().email("ops@example.org"),
            denied("email_addresses[0]", "allowed_email_domains")),
        row(
            "email refused when no domains are listed",
            PolicyTableTest::any,
            req().email("ops@example.com"),
            denied("email_addresses[0]")),
        row(
            "email without @ is syntax error",
            PolicyTableTest::emails,
            req().email("ops.example.com"),
            invalid("email_addresses[0]")),
        row(
            "email with two @ is syntax error",
            PolicyTableTest::emails,
            req().email("a@b@example.com"),
            invalid("email_addresses[0]")),
        row(
            "email with a space is syntax error",
            PolicyTableTest::emails,
            req().email("a b@example.com"),
            invalid("email_addresses[0]")),
        row(
            "email with a bad domain is syntax error",
            PolicyTableTest::emails,
            req().email("a@exa_mple.com"),
            invalid("email_addresses[0]")),
        row(
            "email local part with a dot",
            PolicyTableTest::emails,
            req().email("first.last@example.com"),
            ok()),
        row(
            "email local part starting with a dot",
            PolicyTableTest::emails,
            req().email(".first@example.com"),
            invalid("email_addresses[0]")),
        // URI SANs and SPIFFE IDs.
        row(
            "SPIFFE ID matching the pattern",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/prod/sa/web"),
            ok()),
        row(
            "SPIFFE ID with dots in a segment",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/prod/sa/web.v2"),
            ok()),
        row(
            "SPIFFE ID longer than the pattern",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/prod/sa/web/extra"),
            denied("uris[0]")),
        row(
            "SPIFFE ID shorter than the pattern",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/prod"),
            denied("uris[0]")),
        row(
            "SPIFFE ID in another trust domain",
            PolicyTableTest::spiffe,
            req().uri("spiffe://other.org/ns/a/sa/b"),
            denied("uris[0]", "matches no allowed_uri_sans")),
        row(
            "SPIFFE trust domain in capitals",
            PolicyTableTest::spiffe,
            req().uri("spiffe://Example.org/ns/a/sa/b"),
            invalid("uris[0]", "trust domain")),
        row(
            "SPIFFE scheme in capitals",
            PolicyTableTest::spiffe,
            req().uri("SPIFFE://example.org/ns/a/sa/b"),
            invalid("uris[0]")),
        row(
            "SPIFFE ID with a port",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org:8443/ns/a/sa/b"),
            invalid("uris[0]", "port")),
        row(
            "SPIFFE ID with user info",
            PolicyTableTest::spiffe,
            req().uri("spiffe://me@example.org/ns/a/sa/b"),
            invalid("uris[0]", "user info")),
        row(
            "SPIFFE ID with a query",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/a/sa/b?x=1"),
            invalid("uris[0]", "query")),
        row(
            "SPIFFE ID with a fragment",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/a/sa/b#f"),
            invalid("uris[0]", "fragment")),
        row(
            "SPIFFE ID with an empty path",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/"),
            invalid("uris[0]", "path is empty")),
        row(
            "SPIFFE ID with an empty segment",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns//sa/b"),
            invalid("uris[0]")),
        row(
            "SPIFFE ID with a dot-dot segment",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/../sa/b"),
            invalid("uris[0]")),
        row(
            "SPIFFE ID with a trailing slash",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/a/sa/b/"),
            invalid("uris[0]")),
        row(
            "SPIFFE ID with a percent escape",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/a%20b/sa/b"),
            invalid("uris[0]")),
        row(
            "https URI matching its pattern",
            PolicyTableTest::spiffe,
            req().uri("https://example.org/service"),
            ok()),
        row(
            "https URI outside its pattern",
            PolicyTableTest::spiffe,
            req().uri("https://example.org/a/b"),
            denied("uris[0]")),
        row(
            "relative URI is syntax error",
            PolicyTableTest::spiffe,
            req().uri("/ns/a"),
            invalid("uris[0]", "no scheme")),
        row(
            "URI with a space is syntax error",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/a b"),
            invalid("uris[0]")),
        row(
            "URIs refused when no patterns are listed",
            PolicyTableTest::any,
            req().uri("spiffe://example.org/ns/a/sa/b"),
            denied("uris[0]")),
        row(
            "a URI alone is enough of a SAN",
            PolicyTableTest::spiffe,
            req().uri("spiffe://example.org/ns/a/sa/b"),
            ok(t -> assertThat(t.subjectText()).isEmpty())),
        // Key types and sizes.
        row("EC P-256 allowed", PolicyTableTest::keys, req().dns("a.test"), P256, ok()),
        row(
            "EC P-384 not listed",
            PolicyTableTest::keys,
            req().dns("a.test"),
            P384,
            denied("key_type", "EC P-384 keys are not allowed")),
        row(
            "EC P-521 not listed",
            PolicyTableTest::keys,
            req().dns("a.test"),
            P521,
            denied("key_type")),
        row(
            "EC P-521 when listed",
            p -> keys(p).addAllowedKeyTypes(KeyType.KEY_TYPE_EC_P521),
            req().dns("a.test"),
            P521,
            ok()),
        row(
            "Ed25519 not listed",
            PolicyTableTest::keys,
            req().dns("a.test"),
            ED25519,
            denied("key_type")),
        row(
            "Ed25519 when listed",
            p -> keys(p).addAllowedKeyTypes(KeyType.KEY_TYPE_ED25519),
            req().dns("a.test"),
            ED25519,
            ok()),
        row("RSA 2048 allowed", PolicyTableTest::keys, req().dns("a.test"), RSA2048, ok()),
        row(
            "RSA 4096 allowed by any RSA entry",
            PolicyTableTest::keys,
            req().dns("a.test"),
            rsa(4096, 65537),
            ok()),
        row(
            "RSA 8192 allowed by any RSA entry",
            PolicyTableTest::keys,
            req().dns("a.test"),
            rsa(8192, 65537),
            ok()),
        row(
            "RSA 1024 is refused whatever the profile",
            PolicyTableTest::keys,
            req().dns("a.test"),
            rsa(1024, 65537),
            invalid("key_type", "RSA 1024 bits")),
        row(
            "RSA with e = 3 refused",
            PolicyTableTest::keys,
            req().dns("a.test"),
            rsa(2048, 3),
            invalid("key_type", "e = 3")),
        row(
            "RSA over 8192 bits refused",
            PolicyTableTest::keys,
            req().dns("a.test"),
            rsa(9000, 65537),
            invalid("key_type")),
        row(
            "RSA below min_rsa_bits",
            p -> keys(p).setMinRsaBits(3072),
            req().dns("a.test"),
            RSA2048,
            denied("key_type", "min_rsa_bits 3072")),
        row(
            "RSA at min_rsa_bits",
            p -> keys(p).setMinRsaBits(3072),
            req().dns("a.test"),
            rsa(3072, 65537),
            ok()),
        row(
            "RSA when no RSA type is listed",
            PolicyTableTest::any,
            req().dns("a.test"),
            RSA2048,
            denied("key_type")),
        row("empty key types mean EC P-256", PolicyTableTest::any, req().dns("a.test"), P256, ok()),
        row(
            "unknown key algorithm refused",
            PolicyTableTest::keys,
            req().dns("a.test"),
            new PublicKeyInfo(PublicKeyInfo.Family.UNSUPPORTED, 0, null, null, "DSA"),
            invalid("key_type")),
        // Lifetimes.
        row(
            "default lifetime is 24h",
            PolicyTableTest::any,
            req().dns("a.test"),
            ok(lifetimeIs(Duration.ofHours(24)))),
        row(
            "profile default lifetime",
            p -> any(p).setDefaultLifetime(seconds(3600)),
            req().dns("a.test"),
            ok(lifetimeIs(Duration.ofHours(1)))),
        row(
            "requested lifetime under the maximum",
            PolicyTableTest::any,
            req().dns("a.test").lifetime(Duration.ofDays(30)),
            ok(lifetimeIs(Duration.ofDays(30)))),
        row(
            "requested lifetime at the maximum",
            PolicyTableTest::any,
            req().dns("a.test").lifetime(Duration.ofDays(90)),
            ok(lifetimeIs(Duration.ofDays(90)))),
        row(
            "requested lifetime over the maximum",
            PolicyTableTest::any,
            req().dns("a.test").lifetime(Duration.ofDays(90).plusSeconds(1)),
            denied("lifetime", "max_lifetime 90d")),
        row(
            "profile maximum of 1h",
            p -> any(p).setDefaultLifetime(seconds(600)).setMaxLifetime(seconds(3600)),
            req().dns("a.test").lifetime(Duration.ofHours(2)),
            denied("lifetime", "max_lifetime 1h")),
        row(
            "zero lifetime is syntax error",
            PolicyTableTest::any,
            req().dns("a.test").lifetime(Duration.ZERO),
            invalid("lifetime")),
        row(
            "negative lifetime is syntax error",
            PolicyTableTest::any,
            req().dns("a.test").lifetime(Duration.ofSeconds(-5)),
            invalid("lifetime")),
        row(
            "fractional lifetime is syntax error",
            PolicyTableTest::any,
            req().dns("a.test").lifetime(Duration.ofMillis(2500)),
            invalid("lifetime")),
        row(
            "past the issuer's end: error",
            p -> any(p).setMaxLifetime(seconds(400L * 86400)),
            req().dns("a.test").lifetime(Duration.ofDays(366)),
            failedPrecondition("lifetime")),
        row(
            "past the issuer's end: truncate",
            p ->
                any(p)
                    .setMaxLifetime(seconds(400L * 86400))
                    .setNotAfterBehavior(NotAfterBehavior.NOT_AFTER_BEHAVIOR_TRUNCATE),
            req().dns("a.test").lifetime(Duration.ofDays(366)),
            ok(t -> assertThat(t.notAfter()).isEqualTo(ISSUER.notAfter()))),
        row(
            "backdate 30s by default",
            PolicyTableTest::any,
            req().dns("a.test"),
            ok(t -> assertThat(t.notBefore()).isEqualTo(NOW.minusSeconds(30)))),
        row(
            "backdate 0",
            p -> any(p).setBackdate(seconds(0)),
            req().dns("a.test"),
            ok(t -> assertThat(t.notBefore()).isEqualTo(NOW))),
        row(
            "backdate 5m",
            p -> any(p).setBackdate(seconds(300)),
            req().dns("a.test"),
            ok(t -> assertThat(t.notBefore()).isEqualTo(NOW.minusSeconds(300)))),
        // Key usage and extended key usage.
        row(
            "default key usage for EC",
            PolicyTableTest::any,
            req().dns("a.test"),
            P256,
            ok(keyUsage(DS))),
        row(
            "default key usage for RSA",
            p -> keys(p),
            req().dns("a.test"),
            RSA2048,
            ok(keyUsage(DS | KE))),
        row(
            "default key usage for Ed25519",
            p -> keys(p).addAllowedKeyTypes(KeyType.KEY_TYPE_ED25519),
            req().dns("a.test"),
            ED25519,
            ok(keyUsage(DS))),
        row(
            "keyAgreement kept for EC",
            p ->
                any(p)
                    .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
                    .addKeyUsages(KeyUsage.KEY_USAGE_KEY_AGREEMENT),
            req().dns("a.test"),
            P256,
            ok(keyUsage(DS | KA))),
        row(
            "keyAgreement dropped for RSA",
            p ->
                keys(p)
                    .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
                    .addKeyUsages(KeyUsage.KEY_USAGE_KEY_AGREEMENT),
            req().dns("a.test"),
            RSA2048,
            ok(keyUsage(DS))),
        row(
            "dataEncipherment kept for RSA",
            p ->
                keys(p)
                    .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
                    .addKeyUsages(KeyUsage.KEY_USAGE_DATA_ENCIPHERMENT),
            req().dns("a.test"),
            RSA2048,
            ok(keyUsage(DS | DE))),
        row(
            "dataEncipherment dropped for EC",
            p ->
                any(p)
                    .addKeyUsages(KeyUsage.KEY_USAGE_DIGITAL_SIGNATURE)
                    .addKeyUsages(KeyUsage.KEY_USAGE_DATA_ENCIPHERMENT),
            req().dns("a.test"),
            P256,
            ok(keyUsage(DS))),
        row(
            "contentCommitment kept for every key",
            p -> any(p).addKeyUsages(KeyUsage.KEY_USAGE_CONTENT_COMMITMENT),
            req().dns("a.test"),
            P256,
            ok(keyUsage(CC))),
        row(
            "only keyEncipherment leaves an EC key nothing",
            p -> any(p).addKeyUsages(KeyUsage.KEY_USAGE_KEY_ENCIPHERMENT),
            req().dns("a.test"),
            P256,
            denied("key_type", "no key usage that fits")),
        row(
            "serverAuth only",
            PolicyTableTest::any,
            req().dns("a.test"),
            ok(
                t ->
                    assertThat(t.extendedKeyUsages())
                        .containsExactly(KeyPurposeId.id_kp_serverAuth))),
        row(
            "clientAuth and codeSigning",
            p ->
                any(p)
                    .clearExtendedKeyUsages()
                    .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH)
                    .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CODE_SIGNING),
            req().dns("a.test"),
            ok(
                t ->
                    assertThat(t.extendedKeyUsages())
                        .containsExactly(
                            KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_codeSigning))),
        row(
            "emailProtection and timeStamping",
            p ->
                any(p)
                    .clearExtendedKeyUsages()
                    .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_EMAIL_PROTECTION)
                    .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_TIME_STAMPING),
            req().dns("a.test"),
            ok(
                t ->
                    assertThat(t.extendedKeyUsages())
                        .containsExactly(
                            KeyPurposeId.id_kp_emailProtection, KeyPurposeId.id_kp_timeStamping))),
        row(
            "custom OID after the named usages",
            p -> any(p).addCustomExtendedKeyUsageOids("1.3.6.1.5.5.7.3.17"),
            req().dns("a.test"),
            ok(
                t ->
                    assertThat(t.extendedKeyUsages())
                        .extracting(k -> k.toOID().getId())
                        .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.17"))),
        row(
            "custom OID only",
            p -> any(p).clearExtendedKeyUsages().addCustomExtendedKeyUsageOids("1.2.3.4"),
            req().dns("a.test"),
            ok(
                t ->
                    assertThat(t.extendedKeyUsages())
                        .extracting(k -> k.toOID().getId())
                        .containsExactly("1.2.3.4"))),
        // Subject rules.
        row(
            "a field without a rule is refused",
            PolicyTableTest::any,
            req().dns("a.test").o("Acme"),
            denied("subject.organization", "does not allow this field")),
        row(
            "no CN rule: a CN the name rules allow is accepted and goes into the SANs (Vault)",
            p -> p.clearSubjectRules().addAllowedDomains("example.com").setAllowSubdomains(true),
            req().cn("svc.example.com"),
            ok(
                t -> {
                  assertThat(t.subject().toString()).isEqualTo("CN=svc.example.com");
                  assertThat(t.dnsNames()).containsExactly("svc.example.com");
                })),
        row(
            "no CN rule: a CN the name rules refuse is refused as a SAN would be",
            p -> p.clearSubjectRules().addAllowedDomains("example.com").setAllowSubdomains(true),
            req().cn("svc.other.com"),
            denied("subject.common_name", "svc.other.com")),
        row(
            "no CN rule: a CN that is no host name is refused",
            p -> p.clearSubjectRules().addAllowedDomains("a.test").setAllowBareDomains(true),
            req().dns("a.test").cn("My Service"),
            denied("subject.common_name", "no subject rule for the common name")),
        row(
            "no CN rule: other text with allow_any_name",
            p -> any(p).clearSubjectRules().setAllowAnyName(true),
            req().dns("a.test").cn("My Service"),
            ok(subjectIs("CN=My Service"))),
        row(
            "no CN rule: other subject fields stay refused",
            p -> any(p).clearSubjectRules(),
            req().cn("a.test").o("Acme"),
            denied("subject.organization", "does not allow this field")),
        row(
            "common name allowed by the base rule",
            PolicyTableTest::any,
            req().cn("svc.example.test"),
            ok(subjectIs("CN=svc.example.test"))),
        row(
            "fixed field filled in",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops"),
            ok(subjectIs("OU=Ops,O=Acme"))),
        row(
            "fixed field given the same value",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").o("Acme"),
            ok(subjectIs("OU=Ops,O=Acme"))),
        row(
            "fixed field given another value",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").o("Evil"),
            denied("subject.organization", "fixes it to 'Acme'")),
        row(
            "required field missing",
            PolicyTableTest::subject,
            req().dns("a.test"),
            invalid("subject.organizational_unit", "required by profile")),
        row(
            "allowed country upper-cased",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").c("de"),
            ok(subjectIs("OU=Ops,O=Acme,C=DE"))),
        row(
            "country not in ISO 3166",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").c("XX"),
            invalid("subject.country", "ISO 3166")),
        row(
            "three-letter country",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").c("DEU"),
            invalid("subject.country")),
        row(
            "subject email allowed",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").subjectEmail("ops@example.com"),
            ok()),
        row(
            "subject email syntax",
            PolicyTableTest::subject,
            req().dns("a.test").ou("Ops").subjectEmail("nope"),
            invalid("subject.email_address")),
        row(
            "field with a control character",
            PolicyTableTest::subject,
            req().dns("a.test").ou("O\u0007ps"),
            invalid("subject.organizational_unit")),
        row(
            "field over 64 characters",
            PolicyTableTest::subject,
            req().dns("a.test").ou("x".repeat(65)),
            invalid("subject.organizational_unit")),
        row(
            "host-name common name when enforced",
            p -> any(p).setEnforceHostnames(true),
            req().cn("svc.example.test"),
            ok()),
        row(
            "free-text common name when enforced",
            p -> any(p).setEnforceHostnames(true),
            req().cn("Alice Smith").dns("a.test"),
            denied("subject.common_name", "enforces host names")),
        row(
            "free-text common name when not enforced",
            PolicyTableTest::any,
            req().cn("Alice Smith").dns("a.test"),
            ok(dnsIs("a.test"))),
        row(
            "host-name common name checked like a SAN",
            PolicyTableTest::subdomains,
            req().cn("evil.example.org"),
            denied("subject.common_name")),
        row(
            "common name already among the SANs counts once",
            PolicyTableTest::subdomains,
            req().cn("www.example.com").dns("www.example.com"),
            ok(dnsIs("www.example.com"))),
        // SAN counts.
        row(
            "at most max_san_count SANs",
            p -> any(p).setMaxSanCount(2),
            req().dns("a.test", "b.test"),
            ok()),
        row(
            "over max_san_count",
            p -> any(p).setMaxSanCount(2),
            req().dns("a.test", "b.test", "c.test"),
            denied("dns_names", "max_san_count")),
        row(
            "SANs of every kind count together",
            p -> spiffe(emails(ips(p))).setMaxSanCount(3),
            req().dns("a.test").ip("10.0.0.1").email("a@example.com").uri("https://example.org/x"),
            denied("dns_names")),
        row("no SAN at all", PolicyTableTest::any, req(), invalid("dns_names", "at least one SAN")),
        row(
            "duplicate names count once",
            PolicyTableTest::any,
            req().dns("a.test", "A.test"),
            ok(dnsIs("a.test"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void policy(
      String name,
      UnaryOperator<dev.grpca.proto.v1.Profile.Builder> profile,
      Req request,
      PublicKeyInfo key,
      Expect expect) {
    Profile compiled = new Profile(profile.apply(base()).build());
    if (expect.kind() == null) {
      Template t =
          new IssuancePolicy().apply(request.build(), compiled, key, "key_type", ISSUER, NOW);
      expect.check().accept(t);
    } else {
      assertThatThrownBy(
              () ->
                  new IssuancePolicy()
                      .apply(request.build(), compiled, key, "key_type", ISSUER, NOW))
          .isInstanceOfSatisfying(
              CaException.class,
              e -> {
                assertThat(e.kind()).as(e.getMessage()).isEqualTo(expect.kind());
                assertThat(e.violations()).isNotEmpty();
                assertThat(e.violations().get(0).field())
                    .as(e.getMessage())
                    .isEqualTo(expect.field());
                if (expect.message() != null) {
                  assertThat(e.getMessage()).contains(expect.message());
                }
              });
    }
  }

  static Stream<Arguments> badProfiles() {
    return Stream.of(
        Arguments.of(
            "name with capitals",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.setName("Web"),
            "profile.name"),
        Arguments.of(
            "glob without allow_glob_domains",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedDomains("web-*.example.com"),
            "profile.allowed_domains[0]"),
        Arguments.of(
            "allowed domain that is no host name",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedDomains("exa mple.com"),
            "profile.allowed_domains[0]"),
        Arguments.of(
            "denied domain that is no host name",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.addDeniedDomains("bad_name"),
            "profile.denied_domains[0]"),
        Arguments.of(
            "CIDR prefix too long",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedIpRanges("10.0.0.0/33"),
            "profile.allowed_ip_ranges[0]"),
        Arguments.of(
            "CIDR without a prefix",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedIpRanges("10.0.0.0"),
            "profile.allowed_ip_ranges[0]"),
        Arguments.of(
            "email domain that is no host name",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedEmailDomains("@example.com"),
            "profile.allowed_email_domains[0]"),
        Arguments.of(
            "URI pattern without a scheme",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedUriSans("example.org/*"),
            "profile.allowed_uri_sans[0]"),
        Arguments.of(
            "maximum below the default lifetime",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.setMaxLifetime(seconds(60)),
            "profile.max_lifetime"),
        Arguments.of(
            "zero default lifetime",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.setDefaultLifetime(seconds(0)),
            "profile.default_lifetime"),
        Arguments.of(
            "renew_before as long as the maximum",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.setRenewBefore(seconds(90L * 86400)),
            "profile.renew_before"),
        Arguments.of(
            "backdate over an hour",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.setBackdate(seconds(7200)),
            "profile.backdate"),
        Arguments.of(
            "min_rsa_bits below 2048",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.setMinRsaBits(1024),
            "profile.min_rsa_bits"),
        Arguments.of(
            "negative max_san_count",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.setMaxSanCount(-1),
            "profile.max_san_count"),
        Arguments.of(
            "no extended key usage",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>) p -> p.clearExtendedKeyUsages(),
            "profile.extended_key_usages"),
        Arguments.of(
            "custom OID that is no OID",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addCustomExtendedKeyUsageOids("1.3.x"),
            "profile.custom_extended_key_usage_oids[0]"),
        Arguments.of(
            "fixed subject field without a value",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p ->
                    p.addSubjectRules(
                        rule(
                            SubjectField.SUBJECT_FIELD_ORGANIZATION,
                            SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED,
                            "")),
            "profile.subject_rules[1].value"),
        Arguments.of(
            "two rules for one field",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p ->
                    p.addSubjectRules(
                        rule(
                            SubjectField.SUBJECT_FIELD_COMMON_NAME,
                            SubjectFieldMode.SUBJECT_FIELD_MODE_REQUIRED,
                            "")),
            "profile.subject_rules[1].field"),
        Arguments.of(
            "fixed country not in ISO 3166",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p ->
                    p.addSubjectRules(
                        rule(
                            SubjectField.SUBJECT_FIELD_COUNTRY,
                            SubjectFieldMode.SUBJECT_FIELD_MODE_FIXED,
                            "ZZ")),
            "profile.subject_rules[1].value"),
        Arguments.of(
            "unspecified key type",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.addAllowedKeyTypes(KeyType.KEY_TYPE_UNSPECIFIED),
            "profile.allowed_key_types[0]"),
        Arguments.of(
            "description too long",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.setDescription("x".repeat(1025)),
            "profile.description"),
        Arguments.of(
            "description with a control character",
            (UnaryOperator<dev.grpca.proto.v1.Profile.Builder>)
                p -> p.setDescription("web\u0000servers"),
            "profile.description"));
  }

  @ParameterizedTest(name = "profile refused: {0}")
  @MethodSource("badProfiles")
  void invalidProfilesAreRefusedWithTheField(
      String name, UnaryOperator<dev.grpca.proto.v1.Profile.Builder> change, String field) {
    assertThatThrownBy(() -> new Profile(change.apply(base()).build()))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              assertThat(e.violations().get(0).field()).as(e.getMessage()).isEqualTo(field);
            });
  }

  @Test
  void theTableHasAtLeast150Cases() {
    assertThat(rows().count() + badProfiles().count()).isGreaterThanOrEqualTo(150);
  }

  @Test
  void everyBuiltInProfileIsValid() {
    BuiltInProfiles.all().forEach(Profile::new);
  }

  static com.google.protobuf.Duration seconds(long s) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(s).build();
  }
}
