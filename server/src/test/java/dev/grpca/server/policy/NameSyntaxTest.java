package dev.grpca.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.x509.IpAddressText;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NameSyntaxTest {
  @ParameterizedTest
  @CsvSource({
    "svc.example.com, svc.example.com",
    "SVC.Example.COM, svc.example.com",
    "svc.example.com., svc.example.com",
    "localhost, localhost",
    "*.example.com, *.example.com",
    "xn--bcher-kva.example, xn--bcher-kva.example",
    "a-b.c-d.example, a-b.c-d.example",
    "123.example.com, 123.example.com"
  })
  void validNamesAreNormalised(String raw, String normalised) {
    assertThat(NameSyntax.dnsName("dns_names[0]", raw)).isEqualTo(normalised);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "bad_name.example.com",
        "-lead.example.com",
        "trail-.example.com",
        "a..b.example.com",
        ".example.com",
        "*.com",
        "www.*.example.com",
        "w*.example.com",
        "bücher.example",
        "with space.example.com",
        "tab\t.example.com",
        "nul\u0000.example.com",
        "10.0.0.1",
        "example.com..",
        "."
      })
  void invalidNamesAreRefusedWithTheirValue(String raw) {
    assertThatThrownBy(() -> NameSyntax.dnsName("dns_names[3]", raw))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              assertThat(e.getMessage()).startsWith("dns_names[3]: ");
              assertThat(e.violations().get(0).field()).isEqualTo("dns_names[3]");
            });
  }

  @ParameterizedTest
  @ValueSource(ints = {63, 64})
  void labelsAreAtMost63Octets(int length) {
    String name = "a".repeat(length) + ".example.com";
    if (length <= 63) {
      assertThat(NameSyntax.dnsName("n", name)).isEqualTo(name);
    } else {
      assertThatThrownBy(() -> NameSyntax.dnsName("n", name)).isInstanceOf(CaException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {253, 254})
  void namesAreAtMost253Octets(int length) {
    String n = ("a".repeat(63) + ".").repeat(3) + "d".repeat(length - 192);
    assertThat(n).hasSize(length);
    if (length <= 253) {
      assertThat(NameSyntax.dnsName("n", n)).isEqualTo(n);
    } else {
      assertThatThrownBy(() -> NameSyntax.dnsName("n", n)).isInstanceOf(CaException.class);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, 127.0.0.1",
    "10.20.30.40, 10.20.30.40",
    "::1, ::1",
    "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "fe80:0:0:0:0:0:0:0, fe80::",
    "0:0:0:0:0:0:0:0, ::",
    "2001:db8:1:2:3:4:5:6, 2001:db8:1:2:3:4:5:6"
  })
  void ipAddressesAreParsedToCanonicalText(String raw, String canonical) {
    assertThat(IpAddressText.text(NameSyntax.ipAddress("ip_addresses[0]", raw)))
        .isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "256.0.0.1",
        "1.2.3",
        "01.2.3.4",
        "1.2.3.4.5",
        "localhost",
        "example.com",
        "fe80::1%eth0",
        "::g",
        "1.2.3.-4",
        " 1.2.3.4",
        ""
      })
  void invalidIpAddressesAreRefused(String raw) {
    assertThatThrownBy(() -> NameSyntax.ipAddress("ip_addresses[1]", raw))
        .isInstanceOfSatisfying(
            CaException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith("ip_addresses[1]: ")
                    .contains("is not an IPv4 or IPv6 address"));
  }
}
