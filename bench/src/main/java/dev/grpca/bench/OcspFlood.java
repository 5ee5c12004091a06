package dev.grpca.bench;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A second client that floods the sidecar's OCSP endpoint with POSTs naming serials the CA never
 * issued (random 128-bit numbers under the real issuer's name and key hashes): what an anonymous
 * caller can do to a public responder. {@code wrk} sends them (C, cheap: the flood should cost the
 * server, not the machine's client), from a Lua script holding {@value #DISTINCT} distinct
 * requests, each connection waiting {@code delay} ms between requests so the rate has a ceiling.
 * Loopback only, and it stops by itself after its duration.
 */
final class OcspFlood {
  private static final int DISTINCT = 4096;
  private static final int CONNECTIONS = 4;
  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");

  /** What the flood did: its rate ceiling, the rate wrk measured, and a sampled answer's status. */
  record Result(double ceiling, double rate, int sampledStatus, String raw) {}

  private final Process wrk;
  private final double ceiling;
  private final int sampledStatus;

  private OcspFlood(Process wrk, double ceiling, int sampledStatus) {
    this.wrk = wrk;
    this.ceiling = ceiling;
    this.sampledStatus = sampledStatus;
  }

  /**
   * Starts flooding {@code url} (the sidecar's /v1/ocsp) for {@code duration}, at most {@code
   * perSecond} requests a second. One request is sent first and its OCSP status kept, so the result
   * says what the flood's requests were answered.
   */
  static OcspFlood start(
      Path dir, String url, X509CertificateHolder issuer, double perSecond, Duration duration)
      throws Exception {
    SecureRandom random = new SecureRandom();
    var sha1 = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
    StringBuilder lua = new StringBuilder("local bodies = {\n");
    byte[] sample = null;
    for (int i = 0; i < DISTINCT; i++) {
      BigInteger serial = new BigInteger(128, random).setBit(127);
      byte[] der =
          new OCSPReqBuilder()
              .addRequest(new CertificateID(sha1, issuer, serial))
              .build()
              .getEncoded();
      sample = sample == null ? der : sample;
      lua.append("  \"");
      for (byte b : der) {
        lua.append('\\').append(b & 0xff);
      }
      lua.append("\",\n");
    }
    long delayMs = Math.max(1, Math.round(CONNECTIONS * 1000 / perSecond));
    lua.append("}\n")
        .append("local i = 0\n")
        .append("local headers = {[\"Content-Type\"] = \"application/ocsp-request\"}\n")
        .append("request = function()\n")
        .append("  i = i % #bodies + 1\n")
        .append("  return wrk.format(\"POST\", nil, headers, bodies[i])\n")
        .append("end\n")
        .append("delay = function() return ")
        .append(delayMs)
        .append(" end\n");
    Path script = dir.resolve("ocsp-flood.lua");
    Files.writeString(script, lua, StandardCharsets.US_ASCII);
    int status = post(url, sample);
    Process wrk =
        new ProcessBuilder(
                "wrk",
                "-t1",
                "-c" + CONNECTIONS,
                "-d" + duration.toSeconds() + "s",
                "-s",
                script.toString(),
                url)
            .redirectErrorStream(true)
            .start();
    return new OcspFlood(wrk, CONNECTIONS * 1000.0 / delayMs, status);
  }

  private static int post(String url, byte[] body) throws IOException, InterruptedException {
    HttpResponse<byte[]> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/ocsp-request")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(url + " answered HTTP " + response.statusCode());
    }
    return new OCSPResp(response.body()).getStatus();
  }

  /** Waits for wrk to finish and reads what it measured. */
  Result await() throws IOException, InterruptedException {
    String out = OcspBench.finish(wrk, "the OCSP flood");
    Matcher rate = RATE.matcher(out);
    return new Result(
        ceiling, rate.find() ? Double.parseDouble(rate.group(1)) : 0, sampledStatus, out);
  }
}
