package dev.grpca.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.server.CaServer;
import dev.grpca.server.x509.Certificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/** OCSP as a TLS stack asks it of a server's sidecar: a SHA-1 CertID, POST, no nonce. */
public final class Ocsp {
  private static final HttpClient http = HttpClient.newHttpClient();

  private Ocsp() {}

  /** The DER request for {@code c}, issued by {@code issuer}. */
  public static byte[] request(X509Certificate issuer, Certificate c) throws Exception {
    return new OCSPReqBuilder()
        .addRequest(
            new CertificateID(
                new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                new JcaX509CertificateHolder(issuer),
                Certificates.parsePem(c.getCertificatePem()).getSerialNumber()))
        .build()
        .getEncoded();
  }

  /** The status {@code server}'s sidecar gives (null: good). */
  public static CertificateStatus status(CaServer server, byte[] request) throws Exception {
    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/ocsp"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(request))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    OCSPResp resp = new OCSPResp(response.body());
    assertThat(resp.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    return ((BasicOCSPResp) resp.getResponseObject()).getResponses()[0].getCertStatus();
  }
}
