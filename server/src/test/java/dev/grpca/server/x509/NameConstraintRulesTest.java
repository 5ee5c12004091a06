package dev.grpca.server.x509;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.error.CaException;
import java.net.InetAddress;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.junit.jupiter.api.Test;

/** RFC 5280 name constraints as the issuance policy checks them, and their extension both ways. */
class NameConstraintRulesTest {
  private static final NameConstraintRules RULES =
      new NameConstraintRules(
          List.of("Example.com", ".corp.example.net"),
          List.of("secret.example.com"),
          List.of(
              NameConstraintRules.IpRange.parse("f", "10.0.0.0/8"),
              NameConstraintRules.IpRange.parse("f", "fd00::/8")),
          List.of(NameConstraintRules.IpRange.parse("f", "10.9.0.0/16")),
          List.of("example.com", "ops@example.org"),
          List.of(),
          List.of("example.org"),
          List.of(".bad.example.org"));

  @Test
  void dnsSubtreesHoldTheDomainAndWhatIsUnderItAndLeadingDotsOnlyWhatIsUnder() {
    assertThat(RULES.dnsViolation("example.com")).isEmpty();
    assertThat(RULES.dnsViolation("a.b.EXAMPLE.com")).isEmpty();
    assertThat(RULES.dnsViolation("badexample.com"))
        .contains("permitted DNS subtrees example.com, .corp.example.net");
    assertThat(RULES.dnsViolation("corp.example.net")).isPresent();
    assertThat(RULES.dnsViolation("db.corp.example.net")).isEmpty();
    assertThat(RULES.dnsViolation("x.secret.example.com"))
        .contains("excluded DNS subtree secret.example.com");
    // A wildcard over an excluded subtree stands for names in it.
    assertThat(RULES.dnsViolation("*.secret.example.com")).isPresent();
    assertThat(RULES.dnsViolation("*.example.com")).isEmpty();
  }

  @Test
  void ipRangesByFamilyAndExclusionsFirst() throws Exception {
    assertThat(RULES.ipViolation(InetAddress.getByName("10.1.2.3"))).isEmpty();
    assertThat(RULES.ipViolation(InetAddress.getByName("10.9.1.1")))
        .contains("excluded IP range 10.9.0.0/16");
    assertThat(RULES.ipViolation(InetAddress.getByName("192.168.1.1")))
        .contains("permitted IP ranges 10.0.0.0/8, fd00:0:0:0:0:0:0:0/8");
    assertThat(RULES.ipViolation(InetAddress.getByName("fd12::1"))).isEmpty();
    assertThat(RULES.ipViolation(InetAddress.getByName("2001:db8::1"))).isPresent();
    assertThatThrownBy(() -> NameConstraintRules.IpRange.parse("f", "10.0.0.1/8"))
        .isInstanceOf(CaException.class)
        .hasMessageContaining("bits set past its /8");
    assertThatThrownBy(() -> NameConstraintRules.IpRange.parse("f", "localhost/8"))
        .isInstanceOf(CaException.class);
  }

  @Test
  void emailAndUriConstraints() {
    assertThat(RULES.emailViolation("dev@example.com")).isEmpty();
    assertThat(RULES.emailViolation("ops@example.org")).isEmpty();
    assertThat(RULES.emailViolation("dev@example.org")).isPresent();
    assertThat(RULES.uriViolation("spiffe://example.org/ns/a/sa/b")).isEmpty();
    assertThat(RULES.uriViolation("https://x.bad.example.org/")).isPresent();
    assertThat(RULES.uriViolation("https://other.example/")).isPresent();
  }

  @Test
  void theExtensionReadsBackAsTheSameRules() throws Exception {
    Extensions extensions =
        new Extensions(
            new Extension(Extension.nameConstraints, true, RULES.extension().getEncoded()));
    NameConstraintRules back = NameConstraintRules.of(extensions);
    assertThat(back.permittedDns()).isEqualTo(RULES.permittedDns());
    assertThat(back.excludedDns()).isEqualTo(RULES.excludedDns());
    assertThat(back.permittedIps())
        .extracting(Object::toString)
        .containsExactly("10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8");
    assertThat(back.excludedIps()).extracting(Object::toString).containsExactly("10.9.0.0/16");
    assertThat(back.permittedEmails()).isEqualTo(RULES.permittedEmails());
    assertThat(back.permittedUris()).isEqualTo(RULES.permittedUris());
    assertThat(back.excludedUris()).isEqualTo(RULES.excludedUris());
    assertThat(
            NameConstraintRules.of(
                    new Extensions(
                        new Extension(
                            Extension.basicConstraints,
                            true,
                            new org.bouncycastle.asn1.x509.BasicConstraints(0).getEncoded())))
                .isEmpty())
        .isTrue();
    assertThat(NameConstraintRules.of(null).isEmpty()).isTrue();
  }
}
