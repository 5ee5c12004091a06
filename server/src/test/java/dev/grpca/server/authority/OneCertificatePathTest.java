package dev.grpca.server.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.grpc.ServerTlsIdentity;
import dev.grpca.server.hsm.Signer;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.IssuedCertificate;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.revocation.OcspSigners;
import dev.grpca.server.revocation.RevocationService;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.jooq.Database;
import dev.grpca.server.testing.CaCore;
import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.testing.WatchedToken;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.Pem;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SubjectFields;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of certificate the server makes goes through {@link CertificateFactory}, and each is
 * recorded before it is signed: the real token's signers are watched, and at the moment a key is
 * asked to sign a TBS certificate the database (read through the real H2 store) must already hold
 * that certificate's row, PENDING, with those very bytes.
 */
class OneCertificatePathTest {
  @TempDir static Path data;
  static CaCore core;
  static Database database;
  static WatchedToken token;
  static CertificateFactory factory;
  static Authorities authorities;
  static IssuanceService issuance;
  static final Clock clock = Clock.systemUTC();

  @BeforeAll
  static void build() {
    core = new CaCore(data, clock);
    database = core.database;
    token = core.token;
    factory = core.factory;
    authorities = core.authorities;
    issuance = core.issuance;
  }

  @AfterAll
  static void close() {
    core.close();
  }

  @Test
  void theRootIsRecordedBeforeItsOwnKeySignsIt() {
    Authority root = authorities.get(rootId());
    StoredCertificate row = recordedBeforeSigned(root.certificate());
    assertThat(row.profile()).isEqualTo(AuthorityBootstrap.PROFILE);
    assertThat(row.authorityId()).isEqualTo(root.id());
    assertThat(root.certificate().getSubjectX500Principal())
        .isEqualTo(root.certificate().getIssuerX500Principal());
  }

  @Test
  void theIntermediateIsRecordedBeforeTheRootSignsIt() {
    Authority intermediate = authorities.defaultIssuer();
    StoredCertificate row = recordedBeforeSigned(intermediate.certificate());
    assertThat(row.profile()).isEqualTo(AuthorityBootstrap.PROFILE);
    assertThat(row.authorityId()).isEqualTo(rootId());
    assertThat(database.authorities().find(intermediate.id()).orElseThrow().certificatePem())
        .isEqualTo(row.certificatePem());
  }

  @Test
  void revokeRefusesTheCaCertificatesItNowLists() {
    String serial =
        SerialNumbers.toHex(authorities.defaultIssuer().certificate().getSerialNumber());
    RevocationService revocation =
        new RevocationService(
            database.certificates(), clock, (authority, revoked) -> {}, Metrics.disabled());
    assertThatThrownBy(() -> revocation.revoke(serial, 1, "tester"))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION))
        .hasMessageContaining("CA certificate");
    assertThat(database.certificates().find(serial).orElseThrow().revocation()).isNull();
  }

  @Test
  void aCaWhoseCreationStoppedAfterItsRowWasWrittenIsCreatedOnTheNextStart() {
    String id = SoftHsm.uniqueLabel("interrupted");
    database
        .authorities()
        .insert(new StoredAuthority(id, null, "grpca-" + id, null, false, clock.instant()));
    Authorities again =
        core.bootstrap()
            .ensure(
                new AuthoritySpec(
                    id, "CN=Interrupted Root", KeyAlgorithm.EC_P256, Duration.ofDays(30)),
                new AuthoritySpec(
                    id + "-issuing",
                    "CN=Interrupted Issuing",
                    KeyAlgorithm.EC_P256,
                    Duration.ofDays(10)));
    Authority root = again.get(id);
    recordedBeforeSigned(root.certificate());
    assertThat(database.authorities().find(id).orElseThrow().certificatePem())
        .isEqualTo(Pem.certificate(root.certificate()));
  }

  @Test
  void aLeafAndItsRenewalAreRecordedBeforeTheyAreSigned() {
    IssuedCertificate leaf =
        issuance
            .issue(
                new IssuanceRequest(
                    "default",
                    new SubjectFields("leaf.example.com", "", "", "", "", "", ""),
                    List.of("leaf.example.com"),
                    List.of(),
                    List.of(),
                    List.of(),
                    null,
                    Map.of("team", "path"),
                    false,
                    "tester"),
                KeyAlgorithm.EC_P256)
            .certificate();
    StoredCertificate row = recordedBeforeSigned(pem(leaf.stored()));
    assertThat(row.requestedBy()).isEqualTo("tester");
    assertThat(row.labels()).containsEntry("team", "path");

    IssuedCertificate renewal = issuance.renew(leaf.stored().serialNumber(), null, "tester", null);
    StoredCertificate renewed = recordedBeforeSigned(pem(renewal.stored()));
    assertThat(renewed.renewedFrom()).isEqualTo(leaf.stored().serialNumber());
  }

  @Test
  void anOcspSignerIsRecordedBeforeTheIssuingCaSignsIt() {
    OcspSigners signers =
        OcspSigners.delegated(
                authorities, token, database.certificates(), factory, clock, Duration.ofDays(2))
            .start(core.scheduler);
    X509Certificate signer =
        Certificates.parse(signers.signerFor(authorities.defaultIssuer()).certificate());
    assertThat(recordedBeforeSigned(signer).profile()).isEqualTo(OcspSigners.PROFILE);
  }

  @Test
  void theServersTlsCertificateIsRecordedBeforeItIsSigned() {
    ServerTlsIdentity tls =
        new ServerTlsIdentity(issuance, List.of(), Duration.ofDays(1), clock)
            .start(core.scheduler, authorities);
    assertThat(recordedBeforeSigned(tls.current()).profile()).isEqualTo("grpca-server");
  }

  @Test
  void aSpecThatFailsThePreCheckStoresNothingAndSignsNothing() throws Exception {
    long rows = database.certificates().count();
    int signatures = token.signatures();
    Signer key = token.generate(KeyAlgorithm.EC_P256);
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    // keyCertSign on a certificate that is not a CA: CertificateChecks refuses it.
    CertificateSpec.Builder notACa =
        CertificateSpec.builder(
                new X500Name("CN=bad.example.com"),
                SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded()),
                now,
                now.plus(Duration.ofHours(1)))
            .keyUsage(KeyUsage.keyCertSign | KeyUsage.digitalSignature);
    CertificateFactory.Recording recording = CertificateFactory.Recording.system("test");

    assertThatThrownBy(
            () ->
                factory.prepare(
                    CertificateFactory.SigningKey.of(authorities.defaultIssuer()),
                    notACa,
                    recording))
        .hasMessageContaining("keyCertSign");
    assertThatThrownBy(() -> factory.prepareSelfSigned(rootId(), key, notACa, recording))
        .hasMessageContaining("keyCertSign");

    assertThat(database.certificates().count()).isEqualTo(rows);
    assertThat(token.signatures()).isEqualTo(signatures);
  }

  @Test
  void aPreparedCertificateIsIssuedOnce() {
    Signer key = token.generate(KeyAlgorithm.EC_P256);
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    CertificateFactory.Prepared prepared =
        factory.prepare(
            CertificateFactory.SigningKey.of(authorities.defaultIssuer()),
            CertificateSpec.builder(
                    new X500Name("CN=once.example.com"),
                    SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded()),
                    now,
                    now.plus(Duration.ofHours(1)))
                .keyUsage(KeyUsage.digitalSignature)
                .extendedKeyUsages(List.of(KeyPurposeId.id_kp_serverAuth))
                .dnsNames(List.of("once.example.com")),
            CertificateFactory.Recording.system("test"));
    StoredCertificate issued = factory.issue(prepared);
    assertThat(issued.serialNumber()).isEqualTo(prepared.serialNumber());
    int signatures = token.signatures();
    assertThatThrownBy(() -> factory.issue(prepared)).hasMessageContaining("already issued");
    assertThat(token.signatures()).isEqualTo(signatures);
  }

  /**
   * The certificate's row as stored now (ISSUED, with this certificate), after checking that its
   * key was asked to sign exactly the TBS bytes of a PENDING row recorded before the call.
   */
  private static StoredCertificate recordedBeforeSigned(X509Certificate certificate) {
    String serial = SerialNumbers.toHex(certificate.getSerialNumber());
    WatchedToken.Seen seen = token.seen(serial);
    assertThat(seen).as("the token was asked to sign " + serial).isNotNull();
    assertThat(seen.row()).as("its row when the token signed").isPresent();
    assertThat(seen.row().get().state()).isEqualTo(CertificateState.PENDING);
    assertThat(seen.recordedTbsMatches()).as("the recorded TBS is the one signed").isTrue();
    StoredCertificate now = database.certificates().find(serial).orElseThrow();
    assertThat(now.state()).isEqualTo(CertificateState.ISSUED);
    assertThat(Certificates.parsePem(now.certificatePem())).isEqualTo(certificate);
    return now;
  }

  private static X509Certificate pem(StoredCertificate stored) {
    return Certificates.parsePem(stored.certificatePem());
  }

  private static String rootId() {
    return core.rootId();
  }
}
