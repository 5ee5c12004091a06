package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.ActivateIntermediateRequest;
import dev.grpca.proto.v1.Authority;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.AuthorityState;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.CreateIntermediateResponse;
import dev.grpca.proto.v1.GetAuthorityRequest;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import dev.grpca.server.x509.Certificates;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An intermediate for a root this server does not hold, over real gRPC: CreateIntermediate with
 * external gives a CSR (the key stays in the token), a root made by openssl signs it,
 * ActivateIntermediate refuses a certificate for another key, a non-CA certificate and a chain that
 * does not link, then takes the right one; a leaf issued under it passes openssl verify and Java
 * PKIX against the external root, and its OCSP and CRL answer.
 */
class ExternalRootTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities;
  @TempDir static Path work;

  @BeforeAll
  static void start() throws Exception {
    server = SERVER.server();
    authorities = server.authorities();
    // An expired root too: openssl x509 re-signs one with negative days (notAfter a day ago).
    for (String root : List.of("external-root", "unrelated-root", "expired-root")) {
      Tools.openssl(
              work,
              "req",
              "-x509",
              "-newkey",
              "ec",
              "-pkeyopt",
              "ec_paramgen_curve:P-384",
              "-nodes",
              "-keyout",
              root + ".key",
              "-out",
              root + ".pem",
              "-subj",
              "/CN=" + root + "/O=Elsewhere",
              "-days",
              "3650",
              "-addext",
              "basicConstraints=critical,CA:TRUE",
              "-addext",
              "keyUsage=critical,keyCertSign,cRLSign")
          .requireSuccess();
    }
    Tools.openssl(
            work,
            "x509",
            "-in",
            "expired-root.pem",
            "-key",
            "expired-root.key",
            "-days",
            "-1",
            "-out",
            "expired-root.pem")
        .requireSuccess();
    Files.writeString(
        work.resolve("ca.ext"),
        "basicConstraints=critical,CA:TRUE,pathlen:0\n"
            + "keyUsage=critical,keyCertSign,cRLSign,digitalSignature\n"
            + "subjectKeyIdentifier=hash\n"
            + "authorityKeyIdentifier=keyid\n");
    Files.writeString(
        work.resolve("leaf.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
            + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  }

  /** {@code csr} signed by the external root with {@code extfile}, PEM. */
  private static String signedByTheExternalRoot(String csr, String extfile, String out)
      throws Exception {
    return signed(csr, "external-root", extfile, "365", out);
  }

  /** {@code csr} signed by {@code root} for {@code days} with {@code extfile}, PEM. */
  private static String signed(String csr, String root, String extfile, String days, String out)
      throws Exception {
    Files.writeString(work.resolve(out + ".csr"), csr);
    Tools.openssl(
            work,
            "x509",
            "-req",
            "-in",
            out + ".csr",
            "-CA",
            root + ".pem",
            "-CAkey",
            root + ".key",
            "-CAcreateserial",
            "-days",
            days,
            "-extfile",
            extfile,
            "-out",
            out + ".pem")
        .requireSuccess();
    return Files.readString(work.resolve(out + ".pem"));
  }

  private static Status.Code activate(String certificate, String chain) {
    return failure(
            () ->
                authorities.activateIntermediate(
                    ActivateIntermediateRequest.newBuilder()
                        .setAuthorityId("external-issuing")
                        .setCertificatePem(certificate)
                        .setChainPem(chain)
                        .build()))
        .getStatus()
        .getCode();
  }

  @Test
  void anIntermediateSignedByAnOpensslRootIssuesLeavesThatVerifyAgainstIt() throws Exception {
    CreateIntermediateResponse created =
        authorities.createIntermediate(
            CreateIntermediateRequest.newBuilder()
                .setAuthorityId("external-issuing")
                .setSubject("CN=External Issuing CA,O=Acme")
                .setExternal(true)
                .build());
    assertThat(created.getAuthority().getState())
        .isEqualTo(AuthorityState.AUTHORITY_STATE_PENDING_CSR);
    assertThat(created.getCsrPem()).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
    Files.writeString(work.resolve("issuing.csr"), created.getCsrPem());
    assertThat(
            Tools.openssl(work, "req", "-in", "issuing.csr", "-noout", "-verify", "-subject")
                .requireSuccess()
                .output())
        .contains("CN = External Issuing CA")
        .containsIgnoringCase("verify OK");
    assertThat(SoftHsm.privateKeyObject("grpca-external-issuing"))
        .contains("sensitive, always sensitive, never extractable, local");
    assertThat(
            authorities
                .getAuthority(
                    GetAuthorityRequest.newBuilder().setAuthorityId("external-issuing").build())
                .getAuthority()
                .getState())
        .isEqualTo(AuthorityState.AUTHORITY_STATE_PENDING_CSR);

    String root = Files.readString(work.resolve("external-root.pem"));
    // Refused, and it stays pending: a certificate for another key, ...
    Tools.p256Csr(work, "other.key", "/CN=Another Key");
    String otherKey =
        signedByTheExternalRoot(
            Files.readString(work.resolve("other.key.csr")), "ca.ext", "other-key");
    assertThat(activate(otherKey, root)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    // ... one that is not a CA certificate, ...
    String notCa = signedByTheExternalRoot(created.getCsrPem(), "leaf.ext", "not-ca");
    assertThat(activate(notCa, root)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    // ... and a chain that does not lead to its issuer.
    String good = signedByTheExternalRoot(created.getCsrPem(), "ca.ext", "issuing");
    assertThat(activate(good, Files.readString(work.resolve("unrelated-root.pem"))))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(activate(good, "")).isEqualTo(Status.Code.INVALID_ARGUMENT);
    // ... nor a certificate that has expired, nor one under an expired parent.
    String expired = signed(created.getCsrPem(), "external-root", "ca.ext", "-1", "expired");
    assertThat(activate(expired, root)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    String underExpired =
        signed(created.getCsrPem(), "expired-root", "ca.ext", "365", "under-expired");
    assertThat(activate(underExpired, Files.readString(work.resolve("expired-root.pem"))))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            server.count(
                "SELECT COUNT(*) FROM authority WHERE id = 'external-issuing' AND state ="
                    + " 'PENDING_CSR'"))
        .isEqualTo(1);

    Authority active =
        authorities
            .activateIntermediate(
                ActivateIntermediateRequest.newBuilder()
                    .setAuthorityId("external-issuing")
                    .setCertificatePem(good)
                    .setChainPem(root)
                    .build())
            .getAuthority();
    assertThat(active.getState()).isEqualTo(AuthorityState.AUTHORITY_STATE_ACTIVE);
    assertThat(active.getChainPem()).isEqualTo(active.getCertificatePem() + rootPem(root));
    assertThat(
            authorities
                .getCaChain(
                    GetCaChainRequest.newBuilder().setAuthorityId("external-issuing").build())
                .getRootPem())
        .isEqualTo(rootPem(root));
    assertThat(activate(good, root)).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(
            authorities
                .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
                .getAuthoritiesList())
        .filteredOn(a -> a.getAuthorityId().equals("external-issuing"))
        .extracting(Authority::getState)
        .containsExactly(AuthorityState.AUTHORITY_STATE_ACTIVE);

    // A leaf under it chains to the external root, for openssl and for Java.
    Profiles.createFromDefault(server, "external-web", p -> p.setAuthorityId("external-issuing"));
    Certificate leaf =
        server
            .certificates()
            .issue(Requests.issue("svc.example.com").setProfile("external-web").build())
            .getCertificate();
    Files.writeString(work.resolve("root.pem"), root);
    Files.writeString(work.resolve("chain.pem"), leaf.getChainPem());
    Files.writeString(work.resolve("cert.pem"), leaf.getCertificatePem());
    assertThat(Tools.verifyAt(work, Instant.now(), "root.pem", "chain.pem", "cert.pem"))
        .contains("cert.pem: OK");
    X509Certificate leafCertificate = Certificates.parsePem(leaf.getCertificatePem());
    PKIXParameters pkix =
        new PKIXParameters(Set.of(new TrustAnchor(Certificates.parsePem(root), null)));
    pkix.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509")
                .generateCertPath(List.of(leafCertificate, Certificates.parsePem(good))),
            pkix);

    String ocsp = "http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp";
    assertThat(Tools.opensslOcsp(work, "issuing.pem", "cert.pem", ocsp))
        .contains("Response verify OK")
        .contains("cert.pem: good");
    server
        .certificates()
        .revoke(
            Requests.revoke(leaf.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    Files.write(
        work.resolve("issuing.crl"),
        authorities
            .rebuildCrl(RebuildCrlRequest.newBuilder().setAuthorityId("external-issuing").build())
            .getCrl()
            .getCrlDer()
            .toByteArray());
    assertThat(
            Tools.openssl(
                    work,
                    "verify",
                    "-crl_check",
                    "-CRLfile",
                    "issuing.crl",
                    "-CAfile",
                    "root.pem",
                    "-untrusted",
                    "chain.pem",
                    "cert.pem")
                .output())
        .contains("certificate revoked");
    assertThat(Tools.opensslOcsp(work, "issuing.pem", "cert.pem", ocsp))
        .contains("cert.pem: revoked");
    // Another replica loads it with its chain up to the external root from the database.
    try (var replica = server.startReplica()) {
      assertThat(
              AuthorityServiceGrpc.newBlockingStub(server.adminChannel(replica))
                  .getCaChain(
                      GetCaChainRequest.newBuilder().setAuthorityId("external-issuing").build())
                  .getChainPem())
          .isEqualTo(active.getChainPem());
    }
  }

  /** The root as the server writes PEM (its own line breaks). */
  private static String rootPem(String opensslPem) {
    return dev.grpca.server.x509.Pem.certificate(Certificates.parsePem(opensslPem));
  }
}
