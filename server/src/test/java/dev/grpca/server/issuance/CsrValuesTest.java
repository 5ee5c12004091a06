package dev.grpca.server.issuance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.policy.BuiltInProfiles;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.policy.Profile;
import dev.grpca.server.x509.SubjectFields;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which of a CSR's values Sign takes, by the profile's use_csr_subject and use_csr_sans. */
class CsrValuesTest {
  private static final SubjectFields CSR_SUBJECT =
      new SubjectFields("csr.example.com", "Acme", "", "", "", "", "");
  private static final Csr CSR =
      new Csr(
          null,
          CSR_SUBJECT,
          List.of("csr.example.com"),
          List.of("10.0.0.1"),
          List.of("ops@example.com"),
          List.of("spiffe://example.org/ns/a/sa/b"));

  static Stream<Arguments> rows() {
    return Stream.of(
        Arguments.of("subject and SANs from the CSR", true, true, true, true),
        Arguments.of("only the CSR's subject", true, false, true, false),
        Arguments.of("only the CSR's SANs", false, true, false, true),
        Arguments.of("nothing from the CSR", false, false, false, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void takesWhatTheProfileAllows(
      String name, boolean useSubject, boolean useSans, boolean subjectTaken, boolean sansTaken) {
    Profile profile =
        new Profile(
            BuiltInProfiles.general("p").toBuilder()
                .setUseCsrSubject(useSubject)
                .setUseCsrSans(useSans)
                .build());
    IssuanceRequest named = IssuanceService.withCsrNames(empty(), CSR, profile);
    assertThat(named.subject()).isEqualTo(subjectTaken ? CSR_SUBJECT : SubjectFields.EMPTY);
    assertThat(named.dnsNames()).isEqualTo(sansTaken ? CSR.dnsNames() : List.of());
    assertThat(named.ipAddresses()).isEqualTo(sansTaken ? CSR.ipAddresses() : List.of());
    assertThat(named.emailAddresses()).isEqualTo(sansTaken ? CSR.emailAddresses() : List.of());
    assertThat(named.uris()).isEqualTo(sansTaken ? CSR.uris() : List.of());
  }

  private static IssuanceRequest empty() {
    return new IssuanceRequest(
        "p", null, List.of(), List.of(), List.of(), List.of(), null, Map.of(), false, "t");
  }
}
