package dev.grpca.server.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.server.CaServer;
import dev.grpca.server.Main;
import dev.grpca.server.ResponderServer;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import dev.grpca.server.x509.Certificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The sidecar alone, against the database and token of a CA another process runs. */
@ExtendWith(TestServers.class)
class ResponderModeTest {
  @TempDir Path empty;
  static final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aResponderServesTheCasCrlsAndOcspOfARunningCa(TestServer ca) throws Exception {
    Certificate c =
        ca.certificates().issue(Requests.issue("r.example.com").build()).getCertificate();
    ServerConfig responderConfig = ca.config().withHttp("127.0.0.1", TestServer.freePort());
    try (ResponderServer responder =
        Main.startResponder(responderConfig, Clock.systemUTC(), ca.env())) {
      ca.certificates()
          .revoke(
              Requests.revoke(
                  c.getSerialNumber(), RevocationReason.REVOCATION_REASON_CESSATION_OF_OPERATION));
      var crl = ca.authorities().rebuildCrl(RebuildCrlRequest.getDefaultInstance()).getCrl();

      HttpResponse<byte[]> served = get(responder, "/v1/crl");
      assertThat(served.body()).isEqualTo(crl.getCrlDer().toByteArray());
      assertThat(get(responder, "/readyz").statusCode()).isEqualTo(200);

      var issuer = ca.running().authorities().defaultIssuer();
      CertificateID id =
          new CertificateID(
              new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
              new JcaX509CertificateHolder(issuer.certificate()),
              Certificates.parsePem(c.getCertificatePem()).getSerialNumber());
      byte[] request = new OCSPReqBuilder().addRequest(id).build().getEncoded();
      HttpResponse<byte[]> answer =
          http.send(
              HttpRequest.newBuilder(uri(responder, "/v1/ocsp"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(request))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      OCSPResp resp = new OCSPResp(answer.body());
      assertThat(resp.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
      var status = ((BasicOCSPResp) resp.getResponseObject()).getResponses()[0].getCertStatus();
      assertThat(status).isInstanceOf(RevokedStatus.class);
      assertThat(((RevokedStatus) status).getRevocationReason()).isEqualTo(5);
      // The responder signs with the CA's delegated signer: it made none of its own.
      assertThat(((BasicOCSPResp) resp.getResponseObject()).getCerts())
          .containsExactly(ca.running().ocsp().signers().signerFor(issuer).certificate());
      // No gRPC: only CaServer has a gRPC listener (it had port -1 before the modes were split).
      assertThat(responder).isNotInstanceOf(CaServer.class);
    }
  }

  @Test
  void aResponderWithoutARunningCaRefusesToStart(TestServer ca) throws Exception {
    ServerConfig elsewhere =
        dev.grpca.server.config.ServerConfigs.from(
                dev.grpca.server.config.proto.ServerConfigFile.newBuilder()
                    .setDataDir(empty.toString())
                    .setHsm(
                        dev.grpca.server.config.proto.HsmSection.newBuilder()
                            .setPkcs11Config(ca.config().hsm().pkcs11Config().toString())
                            .setPinFile(ca.config().hsm().pinFile().toString()))
                    .build())
            .withHttp("127.0.0.1", TestServer.freePort());
    assertThatThrownBy(() -> Main.startResponder(elsewhere, Clock.systemUTC(), Map.of()))
        .hasMessageContaining("start the CA itself first");
  }

  private static URI uri(ResponderServer responder, String path) {
    return URI.create("http://127.0.0.1:" + responder.httpPort() + path);
  }

  private static HttpResponse<byte[]> get(ResponderServer responder, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(responder, path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
