package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.NameConstraints;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.SignSubordinateRequest;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SignSubordinate over real gRPC: a CA whose key and CSR openssl made is signed with path length 0
 * and a permitted DNS subtree; a leaf it signs itself with {@code openssl x509 -req} verifies
 * inside the subtree and fails openssl's name-constraint check outside it; its certificate is in
 * the inventory and on its parent's CRL once revoked; bad requests are refused and store nothing.
 */
class SignSubordinateTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();
  static TestServer server;
  static AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities;
  @TempDir Path work;

  @BeforeAll
  static void start() {
    server = SERVER.server();
    authorities = server.authorities();
    authorities.createRoot(
        CreateRootRequest.newBuilder()
            .setAuthorityId("sub-parent")
            .setSubject("CN=Subordinate Parent Root,O=Acme")
            .build());
  }

  /** A key ({@code name}.key) and a CSR made by openssl, as another CA would make them. */
  private String csr(String name, String subject) {
    String csr = Tools.p256Csr(work, name + ".key", subject);
    try {
      Files.writeString(work.resolve(name + ".csr"), csr);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return csr;
  }

  /** A leaf for {@code dns} that the subordinate CA signs itself, with openssl. */
  private void leaf(String name, String dns) throws Exception {
    csr(name, "/CN=" + dns);
    Files.writeString(
        work.resolve(name + ".ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nsubjectAltName=DNS:" + dns + "\n");
    Tools.openssl(
            work,
            "x509",
            "-req",
            "-in",
            name + ".csr",
            "-CA",
            "sub.pem",
            "-CAkey",
            "sub.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            name + ".ext",
            "-out",
            name + ".pem")
        .requireSuccess();
  }

  @Test
  void aSubordinateSignedWithAPermittedSubtreeCertifiesOnlyInsideIt() throws Exception {
    String csr = csr("sub", "/CN=Team Subordinate CA/O=Team");
    Certificate sub =
        authorities
            .signSubordinate(
                SignSubordinateRequest.newBuilder()
                    .setParentAuthorityId("sub-parent")
                    .setCsrPem(csr)
                    .setUseCsrValues(true)
                    .setMaxPathLength(0)
                    .setNameConstraints(
                        NameConstraints.newBuilder().addPermittedDnsDomains("team.example.com"))
                    .build())
            .getCertificate();
    assertThat(sub.getAuthorityId()).isEqualTo("sub-parent");
    assertThat(sub.getProfile()).isEqualTo("grpca-subordinate");
    assertThat(sub.getSubject()).contains("CN=Team Subordinate CA");
    Files.writeString(work.resolve("sub.pem"), sub.getCertificatePem());
    Files.writeString(work.resolve("root.pem"), sub.getChainPem());
    String text =
        Tools.openssl(work, "x509", "-in", "sub.pem", "-noout", "-text").requireSuccess().output();
    assertThat(text)
        .contains("CA:TRUE, pathlen:0")
        .contains("X509v3 Name Constraints: critical")
        .contains("DNS:team.example.com");
    // The CSR's key, not one of ours.
    assertThat(
            Tools.openssl(work, "x509", "-in", "sub.pem", "-noout", "-pubkey")
                .requireSuccess()
                .output())
        .isEqualTo(
            Tools.openssl(work, "pkey", "-in", "sub.key", "-pubout").requireSuccess().output());

    leaf("inside", "api.team.example.com");
    assertThat(
            Tools.openssl(
                    work, "verify", "-CAfile", "root.pem", "-untrusted", "sub.pem", "inside.pem")
                .requireSuccess()
                .output())
        .contains("inside.pem: OK");
    leaf("outside", "api.example.org");
    Tools.Result outside =
        Tools.openssl(
            work, "verify", "-CAfile", "root.pem", "-untrusted", "sub.pem", "outside.pem");
    assertThat(outside.exitCode()).isNotZero();
    assertThat(outside.output()).contains("permitted subtree violation");

    // A certificate like any other: in the inventory, revocable, on its parent's CRL.
    assertThat(
            server
                .certificates()
                .get(GetRequest.newBuilder().setSerialNumber(sub.getSerialNumber()).build())
                .getCertificate()
                .getCertificatePem())
        .isEqualTo(sub.getCertificatePem());
    server
        .certificates()
        .revoke(
            Requests.revoke(
                sub.getSerialNumber(), RevocationReason.REVOCATION_REASON_CA_COMPROMISE));
    Files.write(
        work.resolve("parent.crl"),
        authorities
            .rebuildCrl(RebuildCrlRequest.newBuilder().setAuthorityId("sub-parent").build())
            .getCrl()
            .getCrlDer()
            .toByteArray());
    assertThat(
            Tools.openssl(work, "crl", "-inform", "DER", "-in", "parent.crl", "-noout", "-text")
                .requireSuccess()
                .output()
                .toUpperCase())
        .contains(sub.getSerialNumber().toUpperCase());
  }

  @Test
  void badRequestsAreRefusedAndStoreNothing() throws Exception {
    String csr = csr("bad", "/CN=Refused Subordinate");
    String pathZero =
        authorities
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthoritiesList()
            .stream()
            .filter(a -> a.getDefaultIssuer())
            .findFirst()
            .orElseThrow()
            .getAuthorityId();
    long stored = server.count("SELECT COUNT(*) FROM certificate");
    String tampered = csr.replace(csr.substring(100, 104), "AAAA");
    List<Object[]> cases =
        List.of(
            new Object[] {
              "a parent with path length 0",
              Status.Code.FAILED_PRECONDITION,
              SignSubordinateRequest.newBuilder()
                  .setParentAuthorityId(pathZero)
                  .setCsrPem(csr)
                  .setUseCsrValues(true)
            },
            new Object[] {
              "an unknown parent",
              Status.Code.NOT_FOUND,
              SignSubordinateRequest.newBuilder()
                  .setParentAuthorityId("nope")
                  .setCsrPem(csr)
                  .setUseCsrValues(true)
            },
            new Object[] {
              "no subject",
              Status.Code.INVALID_ARGUMENT,
              SignSubordinateRequest.newBuilder().setParentAuthorityId("sub-parent").setCsrPem(csr)
            },
            new Object[] {
              "a CSR whose signature does not verify",
              Status.Code.INVALID_ARGUMENT,
              SignSubordinateRequest.newBuilder()
                  .setParentAuthorityId("sub-parent")
                  .setCsrPem(tampered)
                  .setUseCsrValues(true)
            },
            new Object[] {
              "a malformed name constraint",
              Status.Code.INVALID_ARGUMENT,
              SignSubordinateRequest.newBuilder()
                  .setParentAuthorityId("sub-parent")
                  .setCsrPem(csr)
                  .setUseCsrValues(true)
                  .setNameConstraints(NameConstraints.newBuilder().addPermittedIpRanges("10/8"))
            },
            new Object[] {
              "a negative path length",
              Status.Code.INVALID_ARGUMENT,
              SignSubordinateRequest.newBuilder()
                  .setParentAuthorityId("sub-parent")
                  .setCsrPem(csr)
                  .setUseCsrValues(true)
                  .setMaxPathLength(-1)
            });
    for (Object[] c : cases) {
      SignSubordinateRequest request = ((SignSubordinateRequest.Builder) c[2]).build();
      assertThat(failure(() -> authorities.signSubordinate(request)).getStatus().getCode())
          .as((String) c[0])
          .isEqualTo(c[1]);
    }
    assertThat(server.count("SELECT COUNT(*) FROM certificate")).isEqualTo(stored);
  }
}
