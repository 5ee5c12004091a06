package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Calls.field;
import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateProfileRequest;
import dev.grpca.proto.v1.DeleteProfileRequest;
import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.proto.v1.GetProfileRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.ListProfilesRequest;
import dev.grpca.proto.v1.Profile;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.Subject;
import dev.grpca.proto.v1.UpdateProfileRequest;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.ProfileChange;
import dev.grpca.server.testing.InProcessCa;
import dev.grpca.server.testing.Profiles;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Profiles managed over gRPC (in-process: the services, interceptors and domain are the real ones,
 * TLS is not the subject here), and what issuing under them produces, checked by OpenSSL.
 */
class ProfileGrpcTest {
  @RegisterExtension static final InProcessCa CA = new InProcessCa();
  @TempDir Path work;
  static InProcessCa server;
  static ProfileServiceGrpc.ProfileServiceBlockingStub profiles;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;

  @BeforeAll
  static void start() {
    server = CA;
    profiles = server.profiles();
    certificates = server.certificates();
  }

  @Test
  void createIssueUpdateDeleteWithEveryChangeRecorded() {
    Profile team =
        Profile.newBuilder()
            .setName("team-web")
            .addAllowedDomains("example.com")
            .setAllowSubdomains(true)
            .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH)
            .build();
    Profile created =
        profiles
            .createProfile(CreateProfileRequest.newBuilder().setProfile(team).build())
            .getProfile();
    assertThat(created.getName()).isEqualTo("team-web");
    assertThat(created.hasCreateTime()).isTrue();
    assertThat(profiles.listProfiles(ListProfilesRequest.getDefaultInstance()).getProfilesList())
        .extracting(Profile::getName)
        .contains("default", "web-server", "mtls-client", "spiffe-workload", "team-web");

    Certificate before = issue("team-web", "api.example.com").getCertificate();
    assertThat(before.getProfile()).isEqualTo("team-web");

    // Now only example.net: the name that was allowed is refused, and nothing is stored.
    Profile updated =
        profiles
            .updateProfile(
                UpdateProfileRequest.newBuilder()
                    .setProfile(
                        Profile.newBuilder().setName("team-web").addAllowedDomains("example.net"))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("allowed_domains"))
                    .build())
            .getProfile();
    assertThat(updated.getAllowedDomainsList()).containsExactly("example.net");
    assertThat(updated.getAllowSubdomains()).isTrue(); // not in the mask: kept
    long stored = server.storedCertificates();
    StatusRuntimeException refused = failure(() -> issue("team-web", "api.example.com"));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(refused.getStatus().getDescription())
        .contains("'api.example.com' is not allowed", "team-web");
    assertThat(field(refused)).isEqualTo("dns_names[0]");
    assertThat(server.storedCertificates()).isEqualTo(stored);
    assertThat(issue("team-web", "api.example.net").getCertificate().getDnsNamesList())
        .containsExactly("api.example.net");

    profiles.deleteProfile(DeleteProfileRequest.newBuilder().setName("team-web").build());
    StatusRuntimeException gone = failure(() -> issue("team-web", "api.example.net"));
    assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    // Certificates issued under it are untouched.
    assertThat(
            server.database().certificates().find(before.getSerialNumber()).orElseThrow().state())
        .isEqualTo(CertificateState.ISSUED);

    List<ProfileChange> changes = server.database().profiles().changes("team-web");
    assertThat(changes)
        .extracting(ProfileChange::action)
        .containsExactly("CREATE", "UPDATE", "DELETE");
    assertThat(changes).extracting(ProfileChange::principal).containsOnly("admin");
    assertThat(changes.get(0).before()).isNull();
    assertThat(changes.get(1).before()).contains("example.com");
    assertThat(changes.get(1).after()).contains("example.net").doesNotContain("example.com");
    assertThat(changes.get(2).after()).isNull();
  }

  /** As a Vault or Infisical user tries it: name rules only, a common name in the request. */
  @Test
  void aProfileWithOnlyNameRulesTakesACommonNameTheyAllow() throws Exception {
    CreateProfileRequest.Builder create = CreateProfileRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"profile\":{\"name\":\"names-only\",\"description\":\"Team web servers\","
                + "\"allowedDomains\":[\"example.com\"],\"allowSubdomains\":true,"
                + "\"extendedKeyUsages\":[\"EXTENDED_KEY_USAGE_SERVER_AUTH\"]}}",
            create);
    Profile created = profiles.createProfile(create.build()).getProfile();
    assertThat(created.getSubjectRulesList()).isEmpty();
    assertThat(
            profiles
                .getProfile(GetProfileRequest.newBuilder().setName("names-only").build())
                .getProfile()
                .getDescription())
        .isEqualTo("Team web servers");

    IssueRequest.Builder issue = IssueRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"profile\":\"names-only\",\"subject\":{\"commonName\":\"svc.example.com\"}}", issue);
    Certificate c = certificates.issue(issue.build()).getCertificate();
    assertThat(c.getCommonName()).isEqualTo("svc.example.com");
    assertThat(c.getDnsNamesList()).containsExactly("svc.example.com");

    long stored = server.storedCertificates();
    StatusRuntimeException outside =
        failure(
            () ->
                certificates.issue(
                    IssueRequest.newBuilder()
                        .setProfile("names-only")
                        .setSubject(Subject.newBuilder().setCommonName("svc.example.org"))
                        .build()));
    assertThat(outside.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(field(outside)).isEqualTo("subject.common_name");
    StatusRuntimeException organization =
        failure(
            () ->
                certificates.issue(
                    IssueRequest.newBuilder()
                        .setProfile("names-only")
                        .setSubject(
                            Subject.newBuilder()
                                .setCommonName("svc.example.com")
                                .setOrganization("Acme"))
                        .build()));
    assertThat(organization.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(field(organization)).isEqualTo("subject.organization");
    assertThat(server.storedCertificates()).isEqualTo(stored);
  }

  @Test
  void theProfileJsonInTheReadmeWorksAsGrpcurlWouldSendIt() throws Exception {
    CreateProfileRequest.Builder create = CreateProfileRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"profile\":{\"name\":\"readme-web\",\"allowedDomains\":[\"example.com\"],"
                + "\"allowSubdomains\":true,\n"
                + "       \"extendedKeyUsages\":[\"EXTENDED_KEY_USAGE_SERVER_AUTH\"]}}",
            create);
    profiles.createProfile(create.build());
    UpdateProfileRequest.Builder update = UpdateProfileRequest.newBuilder();
    JsonFormat.parser()
        .merge(
            "{\"profile\":{\"name\":\"readme-web\",\"allowedDomains\":[\"example.net\"]},"
                + "\"updateMask\":\"allowedDomains\"}",
            update);
    Profile updated = profiles.updateProfile(update.build()).getProfile();
    assertThat(updated.getAllowedDomainsList()).containsExactly("example.net");
    assertThat(updated.getAllowSubdomains()).isTrue();
  }

  @Test
  void badProfileOperationsGetClearStatusesAndChangeNothing() {
    StatusRuntimeException e =
        failure(
            () ->
                profiles.createProfile(
                    CreateProfileRequest.newBuilder()
                        .setProfile(
                            Profile.newBuilder()
                                .setName("bad-range")
                                .addAllowedIpRanges("10.0.0.0/33")
                                .addExtendedKeyUsages(
                                    ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(e)).isEqualTo("profile.allowed_ip_ranges[0]");
    assertThat(server.database().profiles().find("bad-range")).isEmpty();

    e =
        failure(
            () ->
                profiles.createProfile(
                    CreateProfileRequest.newBuilder()
                        .setProfile(Profile.newBuilder().setName("default"))
                        .build()));
    assertThat(e.getStatus().getCode())
        .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.ALREADY_EXISTS);
    e =
        failure(
            () ->
                profiles.createProfile(
                    CreateProfileRequest.newBuilder()
                        .setProfile(
                            Profile.newBuilder()
                                .setName("default")
                                .addExtendedKeyUsages(
                                    ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);

    e =
        failure(
            () ->
                profiles.updateProfile(
                    UpdateProfileRequest.newBuilder()
                        .setProfile(Profile.newBuilder().setName("web-server"))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("no_such_field"))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(e)).isEqualTo("update_mask");

    e =
        failure(
            () ->
                profiles.updateProfile(
                    UpdateProfileRequest.newBuilder()
                        .setProfile(
                            Profile.newBuilder()
                                .setName("web-server")
                                .setMaxLifetime(
                                    com.google.protobuf.Duration.newBuilder().setSeconds(60)))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("max_lifetime"))
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(e)).isEqualTo("profile.max_lifetime");
    assertThat(
            profiles
                .getProfile(GetProfileRequest.newBuilder().setName("web-server").build())
                .getProfile()
                .getMaxLifetime()
                .getSeconds())
        .isEqualTo(90L * 86400);

    e = failure(() -> profiles.getProfile(GetProfileRequest.newBuilder().setName("nope").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    e =
        failure(
            () ->
                profiles.deleteProfile(DeleteProfileRequest.newBuilder().setName("nope").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void webServerProfileCertificateHasExactlyItsExtensions() throws Exception {
    IssueResponse issued =
        certificates.issue(
            IssueRequest.newBuilder()
                .setProfile("web-server")
                .setSubject(Subject.newBuilder().setCommonName("www.example.com"))
                .addDnsNames("*.example.com")
                .build());
    String text = verifiedText(issued.getCertificate());
    assertThat(extensions(text))
        .containsExactlyElementsOf(leafExtensions("X509v3 Subject Alternative Name"));
    assertThat(text)
        .containsPattern("Key Usage: critical\\s+Digital Signature\\n")
        .containsPattern("Extended Key Usage:\\s+TLS Web Server Authentication\\n")
        .contains("DNS:*.example.com, DNS:www.example.com")
        .contains("Subject: CN = www.example.com");
    assertThat(lifetimeDays(issued.getCertificate())).isEqualTo(7);
  }

  @Test
  void mtlsClientProfileCertificateHasExactlyItsExtensions() throws Exception {
    IssueResponse issued =
        certificates.issue(
            IssueRequest.newBuilder()
                .setProfile("mtls-client")
                .setSubject(Subject.newBuilder().setCommonName("billing"))
                .addDnsNames("billing.prod.svc.cluster.local")
                .setKeyType(KeyType.KEY_TYPE_ED25519)
                .build());
    String text = verifiedText(issued.getCertificate());
    assertThat(extensions(text))
        .containsExactlyElementsOf(leafExtensions("X509v3 Subject Alternative Name"));
    assertThat(text)
        .containsPattern("Extended Key Usage:\\s+TLS Web Client Authentication\\n")
        .contains("Subject: O = Example Services, CN = billing")
        .contains("DNS:billing.prod.svc.cluster.local")
        .contains("ED25519");
    StatusRuntimeException noCn =
        failure(
            () ->
                certificates.issue(
                    IssueRequest.newBuilder()
                        .setProfile("mtls-client")
                        .addDnsNames("billing.prod.svc.cluster.local")
                        .build()));
    assertThat(noCn.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(field(noCn)).isEqualTo("subject.common_name");
  }

  @Test
  void spiffeWorkloadProfileCertificateHasExactlyItsExtensions() throws Exception {
    IssueResponse issued =
        certificates.issue(
            IssueRequest.newBuilder()
                .setProfile("spiffe-workload")
                .addUris("spiffe://example.org/ns/prod/sa/web")
                .build());
    String text = verifiedText(issued.getCertificate());
    assertThat(extensions(text))
        .containsExactlyElementsOf(leafExtensions("X509v3 Subject Alternative Name: critical"));
    assertThat(text)
        .containsPattern("Subject:\\s*\\n")
        .contains("URI:spiffe://example.org/ns/prod/sa/web")
        .containsPattern(
            "Extended Key Usage:\\s+TLS Web Server Authentication, TLS Web Client Authentication\\n");
    assertThat(issued.getCertificate().getUrisList())
        .containsExactly("spiffe://example.org/ns/prod/sa/web");
    assertThat(
            issued.getCertificate().getNotAfter().getSeconds()
                - issued.getCertificate().getCreateTime().getSeconds())
        .isBetween(3599L, 3600L);
  }

  @Test
  void csrValuesAreUsedOnlyWhereTheProfileSaysSo() throws Exception {
    openssl(
            work,
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-keyout",
            "k.pem",
            "-out",
            "r.csr",
            "-subj",
            "/CN=www.example.com",
            "-addext",
            "subjectAltName=DNS:www.example.com,URI:spiffe://example.org/ns/a/sa/b")
        .requireSuccess();
    String csr = Files.readString(work.resolve("r.csr"));
    // spiffe-workload uses CSR SANs but not the CSR subject: the URI is taken, the CN is not, and
    // the DNS name is refused (the profile allows no DNS names).
    StatusRuntimeException e =
        failure(
            () ->
                certificates.sign(
                    SignRequest.newBuilder().setProfile("spiffe-workload").setCsrPem(csr).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("www.example.com");
    // A profile that uses neither: a request naming nothing has no SAN at all.
    profiles.createProfile(Profiles.create(Profiles.anyNameServer("no-csr-values")));
    e =
        failure(
            () ->
                certificates.sign(
                    SignRequest.newBuilder().setProfile("no-csr-values").setCsrPem(csr).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("at least one SAN");
    // The same profile with the request naming the certificate: fine.
    Certificate c =
        certificates
            .sign(
                SignRequest.newBuilder()
                    .setProfile("no-csr-values")
                    .setCsrPem(csr)
                    .addDnsNames("chosen.test")
                    .build())
            .getCertificate();
    assertThat(c.getDnsNamesList()).containsExactly("chosen.test");
    assertThat(c.getUrisList()).isEmpty();
    // web-server uses CSR SANs; its SANs come through (the URI is refused: no patterns).
    e =
        failure(
            () ->
                certificates.sign(
                    SignRequest.newBuilder().setProfile("web-server").setCsrPem(csr).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(field(e)).isEqualTo("uris[0]");
  }

  @Test
  void issueMakesTheProfilesFirstKeyTypeWhenTheRequestNamesNone() {
    profiles.createProfile(
        Profiles.create(
            Profiles.anyNameServer("rsa-only").addAllowedKeyTypes(KeyType.KEY_TYPE_RSA_3072)));
    assertThat(issue("rsa-only", "rsa.test").getCertificate().getPublicKeyAlgorithm())
        .isEqualTo("RSA 3072");
    StatusRuntimeException e =
        failure(
            () ->
                certificates.issue(
                    IssueRequest.newBuilder()
                        .setProfile("rsa-only")
                        .addDnsNames("rsa.test")
                        .setKeyType(KeyType.KEY_TYPE_EC_P256)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(field(e)).isEqualTo("key_type");
  }

  @Test
  void validateOnlyUnderAProfileStoresNothing() {
    long before = server.storedCertificates();
    IssueRequest request =
        IssueRequest.newBuilder()
            .setProfile("web-server")
            .addDnsNames("dry.example.com")
            .setValidateOnly(true)
            .build();
    assertThat(certificates.issue(request).hasCertificate()).isFalse();
    StatusRuntimeException e =
        failure(
            () ->
                certificates.issue(request.toBuilder().setDnsNames(0, "dry.example.org").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(server.storedCertificates()).isEqualTo(before);
  }

  private IssueResponse issue(String profile, String dns) {
    return certificates.issue(
        IssueRequest.newBuilder().setProfile(profile).addDnsNames(dns).build());
  }

  /** The certificate verified by openssl against the chain, then its text. */
  private String verifiedText(Certificate c) throws Exception {
    Files.writeString(work.resolve("chain.pem"), c.getChainPem());
    Files.writeString(work.resolve("cert.pem"), c.getCertificatePem());
    openssl(work, "verify", "-CAfile", "chain.pem", "cert.pem").requireSuccess();
    return openssl(work, "x509", "-in", "cert.pem", "-noout", "-text").requireSuccess().output();
  }

  /** What every leaf carries, in grpca's order, then its SAN heading. */
  private static List<String> leafExtensions(String sanHeading) {
    return List.of(
        "X509v3 Basic Constraints: critical",
        "X509v3 Key Usage: critical",
        "X509v3 Extended Key Usage",
        "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier",
        sanHeading,
        "X509v3 CRL Distribution Points",
        "Authority Information Access");
  }

  /** The extension headings in openssl's text, in order, e.g. "X509v3 Key Usage: critical". */
  private static List<String> extensions(String text) {
    List<String> out = new ArrayList<>();
    Matcher m =
        Pattern.compile("(?m)^\\s{12}((?:X509v3 )?[A-Z][A-Za-z ]+):( critical)?\\s*$")
            .matcher(text);
    while (m.find()) {
      out.add(m.group(1) + (m.group(2) == null ? "" : ":" + m.group(2)));
    }
    return out;
  }

  private static long lifetimeDays(Certificate c) {
    return (c.getNotAfter().getSeconds() - c.getCreateTime().getSeconds() + 60) / 86400;
  }
}
