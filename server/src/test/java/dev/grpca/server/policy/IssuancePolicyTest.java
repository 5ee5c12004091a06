package dev.grpca.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.PublicKeyInfo;
import dev.grpca.server.x509.SubjectFields;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each policy step alone, then the fixed order. */
class IssuancePolicyTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00.750Z");
  private static final Profile DEFAULT = new Profile(BuiltInProfiles.general("default"));
  private static final Issuer ISSUER =
      new Issuer(
          new X500Name("CN=Issuing"),
          new byte[] {1},
          KeyAlgorithm.EC_P256.signatureAlgorithmIdentifier(),
          NOW.minus(Duration.ofDays(30)),
          NOW.plus(Duration.ofDays(365)));
  private static final PublicKeyInfo EC = PublicKeyInfo.of(KeyAlgorithm.EC_P256);
  private static final PublicKeyInfo RSA = PublicKeyInfo.of(KeyAlgorithm.RSA_2048);

  // Step 1: validateRequest

  @Test
  void validationNormalisesNamesAndCountry() {
    var checked =
        IssuancePolicy.validateRequest(
            request(
                new SubjectFields("svc", "Acme", "", "de", "", "", ""),
                List.of("A.Example.COM."),
                List.of("::1")));
    assertThat(checked.dnsNames()).containsExactly("a.example.com");
    assertThat(checked.subject().country()).isEqualTo("DE");
    assertThat(checked.ipAddresses()).hasSize(1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "subject.country | DEU",
        "subject.common_name | 'bell\u0007'",
        "subject.organization | ' padded '",
        "subject.email_address | not-an-email"
      })
  void badSubjectFieldsAreInvalidArguments(String field, String value) {
    SubjectFields subject =
        switch (field) {
          case "subject.country" -> new SubjectFields("a.example.com", "", "", value, "", "", "");
          case "subject.common_name" -> new SubjectFields(value, "", "", "", "", "", "");
          case "subject.organization" ->
              new SubjectFields("a.example.com", value, "", "", "", "", "");
          default -> new SubjectFields("a.example.com", "", "", "", "", "", value);
        };
    assertThatThrownBy(() -> IssuancePolicy.validateRequest(request(subject, List.of(), List.of())))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              assertThat(e.violations().get(0).field()).isEqualTo(field);
            });
  }

  @Test
  void aLongCommonNameIsRefused() {
    SubjectFields subject = new SubjectFields("a".repeat(65), "", "", "", "", "", "");
    assertThatThrownBy(
            () ->
                IssuancePolicy.validateRequest(
                    request(subject, List.of("a.example.com"), List.of())))
        .hasMessage("subject.common_name: longer than 64 characters");
  }

  @Test
  void zeroAndFractionalLifetimesAreRefused() {
    assertThatThrownBy(() -> IssuancePolicy.validateRequest(withLifetime(Duration.ZERO)))
        .hasMessage("lifetime: 0s (expected: > 0)");
    assertThatThrownBy(() -> IssuancePolicy.validateRequest(withLifetime(Duration.ofMillis(1500))))
        .hasMessageContaining("whole seconds");
  }

  @Test
  void badLabelsAreRefused() {
    IssuanceRequest bad =
        new IssuanceRequest(
            "default",
            null,
            List.of("a.example.com"),
            List.of(),
            List.of(),
            List.of(),
            null,
            Map.of("Bad Key", "v"),
            false,
            "t");
    assertThatThrownBy(() -> IssuancePolicy.validateRequest(bad))
        .hasMessageStartingWith("labels: key 'Bad Key'");
  }

  // Step 2: fillTemplate

  @Test
  void aDnsCommonNameJoinsTheSansOnceAndLifetimeDefaultsTo24h() {
    var checked =
        IssuancePolicy.validateRequest(
            request(
                new SubjectFields("B.example.com", "Acme", "", "", "", "", ""),
                List.of("a.example.com", "b.example.com"),
                List.of()));
    Template t = IssuancePolicy.fillTemplate(checked, DEFAULT, EC, NOW);
    assertThat(t.dnsNames()).containsExactly("a.example.com", "b.example.com");
    assertThat(t.commonName()).isEqualTo("b.example.com");
    assertThat(t.subjectText()).isEqualTo("CN=b.example.com,O=Acme");
    assertThat(t.notAfter()).isEqualTo(Instant.parse("2026-11-24T12:00:00Z"));
    assertThat(t.notBefore()).isEqualTo(Instant.parse("2026-11-23T11:59:30Z"));
  }

  @Test
  void anIpCommonNameJoinsTheIpSans() {
    var checked =
        IssuancePolicy.validateRequest(
            request(new SubjectFields("10.1.2.3", "", "", "", "", "", ""), List.of(), List.of()));
    Template t = IssuancePolicy.fillTemplate(checked, DEFAULT, EC, NOW);
    assertThat(t.ipTexts()).containsExactly("10.1.2.3");
    assertThat(t.dnsNames()).isEmpty();
  }

  @Test
  void keyUsageFollowsTheKeyType() {
    var checked =
        IssuancePolicy.validateRequest(
            request(SubjectFields.EMPTY, List.of("a.example.com"), List.of()));
    assertThat(IssuancePolicy.fillTemplate(checked, DEFAULT, EC, NOW).keyUsage())
        .isEqualTo(KeyUsage.digitalSignature);
    assertThat(IssuancePolicy.fillTemplate(checked, DEFAULT, RSA, NOW).keyUsage())
        .isEqualTo(KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
    assertThat(
            IssuancePolicy.fillTemplate(
                    checked, DEFAULT, PublicKeyInfo.of(KeyAlgorithm.ED25519), NOW)
                .keyUsage())
        .isEqualTo(KeyUsage.digitalSignature);
  }

  // Step 3: enforceLimits

  @Test
  void aLifetimeAboveTheProfileMaximumIsDenied() {
    assertThatThrownBy(() -> apply(withLifetime(Duration.ofDays(91)), DEFAULT, ISSUER))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "lifetime: 91d is longer than profile 'default' allows (max_lifetime 90d)");
            });
  }

  @Test
  void theIssuersEndIsAnErrorOrATruncationAsTheProfileSays() {
    Issuer ending =
        new Issuer(
            ISSUER.subject(),
            ISSUER.keyIdentifier(),
            ISSUER.signatureAlgorithm(),
            ISSUER.notBefore(),
            NOW.plus(Duration.ofHours(1)));
    assertThatThrownBy(() -> apply(withLifetime(Duration.ofHours(2)), DEFAULT, ending))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION));
    Profile truncate =
        new Profile(
            BuiltInProfiles.general("t").toBuilder()
                .setNotAfterBehavior(
                    dev.grpca.proto.v1.NotAfterBehavior.NOT_AFTER_BEHAVIOR_TRUNCATE)
                .build());
    assertThat(apply(withLifetime(Duration.ofHours(2)), truncate, ending).notAfter())
        .isEqualTo(ending.notAfter());
  }

  @Test
  void notBeforeNeverPrecedesTheIssuers() {
    Issuer fresh =
        new Issuer(
            ISSUER.subject(),
            ISSUER.keyIdentifier(),
            ISSUER.signatureAlgorithm(),
            NOW.minusSeconds(5),
            ISSUER.notAfter());
    assertThat(apply(withLifetime(Duration.ofHours(1)), DEFAULT, fresh).notBefore())
        .isEqualTo(fresh.notBefore());
  }

  @ParameterizedTest
  @CsvSource({"1024, 65537", "2048, 3", "9000, 65537"})
  void weakOrOddRsaKeysAreInvalid(int bits, int exponent) {
    PublicKeyInfo key =
        new PublicKeyInfo(
            PublicKeyInfo.Family.RSA, bits, null, BigInteger.valueOf(exponent), "RSA " + bits);
    assertThatThrownBy(() -> IssuancePolicy.checkKey(key, "csr_pem"))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              assertThat(e.getMessage()).startsWith("csr_pem: public key is RSA " + bits + " bits");
            });
  }

  @Test
  void aRequestWithoutAnyNameIsInvalid() {
    assertThatThrownBy(
            () ->
                apply(
                    request(
                        new SubjectFields("Alice Smith", "", "", "", "", "", ""),
                        List.of(),
                        List.of()),
                    DEFAULT,
                    ISSUER))
        .hasMessageContaining("at least one SAN");
  }

  @Test
  void moreThan100NamesAreInvalid() {
    List<String> names =
        java.util.stream.IntStream.range(0, 101).mapToObj(i -> "n" + i + ".example.com").toList();
    assertThatThrownBy(() -> apply(request(SubjectFields.EMPTY, names, List.of()), DEFAULT, ISSUER))
        .hasMessageContaining("101 SANs; profile 'default' allows at most 100");
  }

  // Step 4: checkNames

  @Test
  void wildcardsAreDeniedByTheDefaultProfile() {
    assertThatThrownBy(
            () ->
                apply(
                    request(
                        SubjectFields.EMPTY, List.of("a.example.com", "*.example.com"), List.of()),
                    DEFAULT,
                    ISSUER))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED);
              assertThat(e.getMessage())
                  .startsWith("dns_names[1]: '*.example.com' is a wildcard name");
            });
  }

  @Test
  void syntaxIsCheckedBeforePolicy() {
    // A bad name and an over-long lifetime: the syntax error wins (step 1 before step 3).
    IssuanceRequest both =
        new IssuanceRequest(
            "default",
            null,
            List.of("bad_name"),
            List.of(),
            List.of(),
            List.of(),
            Duration.ofDays(365),
            Map.of(),
            false,
            "t");
    assertThatThrownBy(() -> apply(both, DEFAULT, ISSUER)).hasMessageStartingWith("dns_names[0]");
  }

  private static Template apply(IssuanceRequest request, Profile profile, Issuer issuer) {
    return new IssuancePolicy().apply(request, profile, EC, "key_type", issuer, NOW);
  }

  private static IssuanceRequest withLifetime(Duration lifetime) {
    return new IssuanceRequest(
        "default",
        null,
        List.of("a.example.com"),
        List.of(),
        List.of(),
        List.of(),
        lifetime,
        Map.of(),
        false,
        "t");
  }

  private static IssuanceRequest request(
      SubjectFields subject, List<String> dns, List<String> ips) {
    return new IssuanceRequest(
        "default", subject, dns, ips, List.of(), List.of(), null, Map.of(), false, "t");
  }
}
