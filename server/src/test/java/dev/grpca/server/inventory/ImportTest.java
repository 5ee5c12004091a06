package dev.grpca.server.inventory;

import static dev.grpca.server.testing.Calls.failure;
import static dev.grpca.server.testing.Calls.field;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateSource;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.DeleteCertificatesRequest;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.ImportCertificateRequest;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.UpdateCertificateRequest;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.Secrets;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * ImportCertificate over real gRPC with TLS, with chains OpenSSL makes for a CA of its own: what is
 * accepted, what is refused (and leaves nothing behind), and that a held key is never in the
 * database in the clear.
 */
class ImportTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension().withClock(CLOCK);
  static TestServer server;
  static CertificateServiceGrpc.CertificateServiceBlockingStub certificates;
  @TempDir static Path ca;
  @TempDir Path work;

  @BeforeAll
  static void start() throws Exception {
    server = SERVER.server();
    certificates = server.certificates();
    // The server's clock runs a little ahead of OpenSSL's, which makes the certificates.
    CLOCK.advance(Duration.ofMinutes(10));
    Files.writeString(
        ca.resolve("ca.ext"),
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
    openssl(
        ca,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "root.key",
        "-out",
        "root.pem",
        "-subj",
        "/O=Elsewhere/CN=Elsewhere Root",
        "-days",
        "3650",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign");
    openssl(
        ca,
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "issuing.key",
        "-out",
        "issuing.csr",
        "-subj",
        "/O=Elsewhere/CN=Elsewhere CA");
    openssl(
        ca,
        "x509",
        "-req",
        "-in",
        "issuing.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-set_serial",
        "100",
        "-days",
        "3650",
        "-extfile",
        "ca.ext",
        "-out",
        "issuing.pem");
  }

  /** A leaf for {@code dns} from the OpenSSL CA, serial 1 like many small CAs' first: its PEM. */
  private static Path leaf(Path dir, String dns, int days) throws Exception {
    Files.writeString(
        dir.resolve(dns + ".ext"),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:" + dns + "\n");
    openssl(
        dir,
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        dns + ".key",
        "-out",
        dns + ".csr",
        "-subj",
        "/CN=" + dns);
    openssl(
        dir,
        "x509",
        "-req",
        "-in",
        dns + ".csr",
        "-CA",
        ca.resolve("issuing.pem").toString(),
        "-CAkey",
        ca.resolve("issuing.key").toString(),
        "-set_serial",
        "1",
        "-days",
        String.valueOf(days),
        "-extfile",
        dns + ".ext",
        "-out",
        dns + ".pem");
    return dir.resolve(dns + ".pem");
  }

  private static String chain() throws Exception {
    return Files.readString(ca.resolve("issuing.pem")) + Files.readString(ca.resolve("root.pem"));
  }

  @Test
  void aCertificateFromAnotherCaJoinsTheInventoryWithItsKeySealed() throws Exception {
    Path pem = leaf(work, "shop.elsewhere.example", 30);
    String keyPem = Files.readString(work.resolve("shop.elsewhere.example.key"));
    long stored = server.storedCertificates();
    ImportCertificateRequest.Builder request = ImportCertificateRequest.newBuilder();
    // As grpcurl sends it (jq -Rs builds the strings).
    JsonFormat.parser()
        .merge(
            "{\"certificatePem\":"
                + json(Files.readString(pem))
                + ",\"chainPem\":"
                + json(chain())
                + ",\"privateKeyPem\":"
                + json(keyPem)
                + ",\"labels\":{\"team\":\"shop\"}}",
            request);
    Certificate imported = certificates.importCertificate(request.build()).getCertificate();
    assertThat(imported.getSource()).isEqualTo(CertificateSource.CERTIFICATE_SOURCE_IMPORTED);
    assertThat(imported.getIssuer()).isEqualTo("CN=Elsewhere CA,O=Elsewhere");
    assertThat(imported.getIssuerSerialNumber()).isEqualTo("1");
    assertThat(imported.getSerialNumber())
        .isEqualTo(
            new java.math.BigInteger(imported.getSha256Fingerprint().substring(0, 39), 16)
                .toString(16));
    assertThat(imported.getName()).matches("shop\\.elsewhere\\.example-[a-z0-9]{5}");
    assertThat(imported.getAuthorityId()).isEmpty();
    assertThat(imported.getProfile()).isEqualTo("imported");
    assertThat(imported.getDnsNamesList()).containsExactly("shop.elsewhere.example");
    assertThat(imported.getChainPem()).isEqualTo(chain());
    assertThat(server.storedCertificates()).isEqualTo(stored + 1);

    // In the inventory like any other: Get by name, Status, List by source's profile.
    Certificate got =
        certificates
            .get(GetRequest.newBuilder().setName(imported.getName()).build())
            .getCertificate();
    assertThat(got.getCertificatePem()).isEqualTo(imported.getCertificatePem());
    assertThat(
            certificates
                .status(StatusRequest.newBuilder().addNames(imported.getName()).build())
                .getStatuses(0)
                .getState())
        .isEqualTo(CertificateState.CERTIFICATE_STATE_VALID);
    assertThat(
            certificates
                .list(ListRequest.newBuilder().setProfile("imported").build())
                .getCertificatesList())
        .extracting(Certificate::getSerialNumber)
        .contains(imported.getSerialNumber());

    // The key is in the database only sealed: neither its DER nor its base64 nor its PEM body
    // is anywhere in the H2 file, where the certificate itself is.
    byte[] pkcs8 = Secrets.pkcs8(keyPem);
    byte[] file = server.storedBytes();
    assertThat(
            Secrets.contains(file, imported.getSerialNumber().getBytes(StandardCharsets.US_ASCII)))
        .as("the test reads the live database file")
        .isTrue();
    assertThat(Secrets.contains(file, pkcs8)).isFalse();
    assertThat(Secrets.contains(file, Base64.getEncoder().encode(pkcs8))).isFalse();
    for (String line : keyPem.lines().filter(l -> !l.startsWith("-----")).toList()) {
      assertThat(Secrets.contains(file, line.getBytes(StandardCharsets.US_ASCII)))
          .as(line)
          .isFalse();
    }
    var held = server.database().certificates().heldKey(imported.getSerialNumber()).orElseThrow();
    assertThat(held.label()).isEqualTo("grpca-held-keys-1");
    assertThat(Secrets.contains(held.sealed(), pkcs8)).isFalse();
    // Only the token opens it, and only for this row.
    assertThat(
            dev.grpca.server.testing.SoftHsm.open()
                .open(
                    held.label(),
                    held.sealed(),
                    imported.getSerialNumber().getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(pkcs8);

    // Its bundle can be downloaded, as often as a token is made: the key it came with stays.
    for (int i = 0; i < 2; i++) {
      String url =
          certificates
              .createDownloadToken(
                  dev.grpca.proto.v1.CreateDownloadTokenRequest.newBuilder()
                      .setName(imported.getName())
                      .build())
              .getDownload()
              .getToken();
      byte[] zip = server.sidecar(dev.grpca.server.issuance.Downloads.PATH + url);
      try (var entries = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
        java.util.Map<String, String> files = new java.util.HashMap<>();
        for (var e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
          files.put(e.getName(), new String(entries.readAllBytes(), StandardCharsets.US_ASCII));
        }
        assertThat(files).containsOnlyKeys("ca.pem", "chain.pem", "cert.pem", "key.pem");
        assertThat(Secrets.pkcs8(files.get("key.pem"))).isEqualTo(pkcs8);
        assertThat(files.get("cert.pem")).isEqualTo(imported.getCertificatePem());
        assertThat(files.get("chain.pem")).isEqualTo(chain());
      }
    }
    assertThat(server.database().certificates().heldKey(imported.getSerialNumber())).isPresent();

    // Never ours to revoke, renew, or answer for.
    StatusRuntimeException revoke =
        failure(
            () ->
                certificates.revoke(
                    RevokeRequest.newBuilder()
                        .setName(imported.getName())
                        .setReason(RevocationReason.REVOCATION_REASON_SUPERSEDED)
                        .build()));
    assertThat(revoke.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    StatusRuntimeException renew =
        failure(
            () ->
                certificates.renew(RenewRequest.newBuilder().setName(imported.getName()).build()));
    assertThat(renew.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(ocspStatus(work, pem)).isEqualTo(OCSPResp.UNAUTHORIZED);
    server.authorities().rebuildCrl(RebuildCrlRequest.getDefaultInstance());
    Path crl = work.resolve("crl.der");
    Files.write(crl, server.sidecar("/v1/crl"));
    assertThat(
            Tools.openssl(work, "crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-text")
                .requireSuccess()
                .output()
                .toLowerCase(Locale.ROOT)
                .replace(":", ""))
        .doesNotContain(imported.getSerialNumber().substring(0, 16));

    // A valid imported certificate may be deleted (it is not ours to revoke first).
    assertThat(
            certificates
                .deleteCertificates(
                    DeleteCertificatesRequest.newBuilder().addNames(imported.getName()).build())
                .getResults(0)
                .getCode())
        .isZero();
    assertThat(server.database().certificates().heldKey(imported.getSerialNumber())).isEmpty();
  }

  @Test
  void withoutAKeyAndWithTheSameSerialAsAnotherItStillImports() throws Exception {
    Path a = leaf(work, "a.elsewhere.example", 30);
    Path b = leaf(work, "b.elsewhere.example", 30);
    Certificate first =
        certificates
            .importCertificate(
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(Files.readString(a))
                    .setChainPem(Files.readString(ca.resolve("issuing.pem")))
                    .setName("elsewhere-a")
                    .build())
            .getCertificate();
    Certificate second =
        certificates
            .importCertificate(
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(Files.readString(b))
                    .setChainPem(Files.readString(ca.resolve("issuing.pem")))
                    .build())
            .getCertificate();
    assertThat(first.getIssuerSerialNumber()).isEqualTo(second.getIssuerSerialNumber());
    assertThat(first.getSerialNumber()).isNotEqualTo(second.getSerialNumber());
    assertThat(first.getName()).isEqualTo("elsewhere-a");
    assertThat(server.database().certificates().heldKey(first.getSerialNumber())).isEmpty();
  }

  @Test
  void whatDoesNotCheckOutIsRefusedWithAClearStatusAndNothingIsStored() throws Exception {
    Path pem = leaf(work, "bad.elsewhere.example", 1);
    String cert = Files.readString(pem);
    Path other = leaf(work, "other.elsewhere.example", 30);
    String otherKey = Files.readString(work.resolve("other.elsewhere.example.key"));
    // Another CA entirely, for a chain that does not link.
    openssl(
        work,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "stranger.key",
        "-out",
        "stranger.pem",
        "-subj",
        "/CN=Stranger Root",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:TRUE");
    String stranger = Files.readString(work.resolve("stranger.pem"));
    long stored = server.storedCertificates();

    record Case(String what, ImportCertificateRequest request, Status.Code code, String field) {}
    List<Case> cases =
        List.of(
            new Case(
                "a key that is not the certificate's",
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(cert)
                    .setChainPem(chain())
                    .setPrivateKeyPem(otherKey)
                    .build(),
                Status.Code.INVALID_ARGUMENT,
                "private_key_pem"),
            new Case(
                "a chain of another CA",
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(cert)
                    .setChainPem(stranger)
                    .build(),
                Status.Code.INVALID_ARGUMENT,
                "chain_pem"),
            new Case(
                "no chain for a certificate that is not self-signed",
                ImportCertificateRequest.newBuilder().setCertificatePem(cert).build(),
                Status.Code.INVALID_ARGUMENT,
                "chain_pem"),
            new Case(
                "two certificates where one goes",
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(cert + Files.readString(other))
                    .setChainPem(chain())
                    .build(),
                Status.Code.INVALID_ARGUMENT,
                "certificate_pem"),
            new Case(
                "not PEM",
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(
                        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                    .setChainPem(chain())
                    .build(),
                Status.Code.INVALID_ARGUMENT,
                "certificate_pem"),
            new Case(
                "a key that is a certificate",
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(cert)
                    .setChainPem(chain())
                    .setPrivateKeyPem(cert)
                    .build(),
                Status.Code.INVALID_ARGUMENT,
                "private_key_pem"));
    for (Case c : cases) {
      StatusRuntimeException e = failure(() -> certificates.importCertificate(c.request()));
      assertThat(e.getStatus().getCode()).as(c.what()).isEqualTo(c.code());
      assertThat(field(e)).as(c.what()).isEqualTo(c.field());
    }
    assertThat(server.storedCertificates()).isEqualTo(stored);

    // A duplicate: once in, twice refused.
    ImportCertificateRequest ok =
        ImportCertificateRequest.newBuilder().setCertificatePem(cert).setChainPem(chain()).build();
    certificates.importCertificate(ok);
    StatusRuntimeException duplicate = failure(() -> certificates.importCertificate(ok));
    assertThat(duplicate.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(field(duplicate)).isEqualTo("certificate_pem");
    // One of our own certificates is a duplicate too.
    Certificate ours =
        certificates.issue(Requests.issue("ours.example.com").build()).getCertificate();
    StatusRuntimeException own =
        failure(
            () ->
                certificates.importCertificate(
                    ImportCertificateRequest.newBuilder()
                        .setCertificatePem(ours.getCertificatePem())
                        .setChainPem(ours.getChainPem())
                        .build()));
    assertThat(own.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(server.storedCertificates()).isEqualTo(stored + 2);

    // Expired (the certificate was for one day): refused, unless asked for.
    CLOCK.advance(Duration.ofDays(2));
    try {
      Path late = leaf(work, "late.elsewhere.example", 1);
      CLOCK.advance(Duration.ofDays(2));
      ImportCertificateRequest expired =
          ImportCertificateRequest.newBuilder()
              .setCertificatePem(Files.readString(late))
              .setChainPem(chain())
              .build();
      StatusRuntimeException e = failure(() -> certificates.importCertificate(expired));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(field(e)).isEqualTo("certificate_pem");
      assertThat(e.getStatus().getDescription()).contains("allow_expired");
      Certificate kept =
          certificates
              .importCertificate(expired.toBuilder().setAllowExpired(true).build())
              .getCertificate();
      assertThat(kept.getState()).isEqualTo(CertificateState.CERTIFICATE_STATE_EXPIRED);
    } finally {
      CLOCK.advance(Duration.ofDays(-4));
    }
  }

  @Test
  void updateReplacesAnImportedCertificateAndMovesItsName() throws Exception {
    Path v1 = leaf(work, "v1.elsewhere.example", 30);
    Certificate first =
        certificates
            .importCertificate(
                ImportCertificateRequest.newBuilder()
                    .setCertificatePem(Files.readString(v1))
                    .setChainPem(chain())
                    .setName("elsewhere-site")
                    .putLabels("entity", "backend/9")
                    .build())
            .getCertificate();
    Path v2 = leaf(work, "v2.elsewhere.example", 30);
    Certificate second =
        certificates
            .updateCertificate(
                UpdateCertificateRequest.newBuilder()
                    .setName("elsewhere-site")
                    .setCertificatePem(Files.readString(v2))
                    .setChainPem(chain())
                    .setPrivateKeyPem(Files.readString(work.resolve("v2.elsewhere.example.key")))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("certificate_pem"))
                    .build())
            .getCertificate();
    assertThat(second.getName()).isEqualTo("elsewhere-site");
    assertThat(second.getRenewedFrom()).isEqualTo(first.getSerialNumber());
    assertThat(second.getLabelsMap()).containsEntry("entity", "backend/9");
    assertThat(second.getDnsNamesList()).containsExactly("v2.elsewhere.example");
    assertThat(
            certificates
                .get(GetRequest.newBuilder().setSerialNumber(first.getSerialNumber()).build())
                .getCertificate()
                .getName())
        .isEmpty();

    // Replacing a certificate issued here is refused: it is renewed instead.
    Certificate ours =
        certificates.issue(Requests.issue("ours-2.example.com").build()).getCertificate();
    UpdateCertificateRequest replaceOurs =
        UpdateCertificateRequest.newBuilder()
            .setSerialNumber(ours.getSerialNumber())
            .setCertificatePem(Files.readString(v2))
            .setChainPem(chain())
            .setUpdateMask(FieldMask.newBuilder().addPaths("certificate_pem"))
            .build();
    StatusRuntimeException e = failure(() -> certificates.updateCertificate(replaceOurs));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  private static int ocspStatus(Path dir, Path certificate) throws Exception {
    // Asked as a TLS stack would, naming our issuing CA: our responder does not answer for it.
    Path issuer = dir.resolve("our-issuer.pem");
    Files.write(issuer, server.sidecar("/v1/ca.pem"));
    Path request = dir.resolve("ocsp.req");
    Tools.openssl(
            dir,
            "ocsp",
            "-issuer",
            issuer.toString(),
            "-cert",
            certificate.toString(),
            "-no_nonce",
            "-reqout",
            request.toString())
        .requireSuccess();
    HttpResponse<byte[]> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.running().httpPort() + "/v1/ocsp"))
                    .header("Content-Type", "application/ocsp-request")
                    .POST(HttpRequest.BodyPublishers.ofFile(request))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    return new OCSPResp(answer.body()).getStatus();
  }

  /** {@code text} as a JSON string, as jq -Rs writes it. */
  private static String json(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  private static void openssl(Path dir, String... args) {
    Tools.openssl(dir, args).requireSuccess();
  }
}
