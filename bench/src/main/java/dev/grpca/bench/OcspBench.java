package dev.grpca.bench;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * OCSP responses per second over HTTP keep-alive, measured with {@code wrk} (C, one thread, so the
 * client is not the bottleneck), from the sidecar and from {@code openssl ocsp} serving the same
 * issuer and certificate. Both answer the same RFC 5019 GET request; before timing, each answer is
 * parsed and must say "good", so no error page is ever measured.
 */
final class OcspBench {
  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)");
  private static final Pattern P50 = Pattern.compile("\\s50%\\s+([0-9.]+)(us|ms|s)");

  private OcspBench() {}

  /** What one wrk run measured. */
  record Result(String name, double rate, double p50Ms, double p99Ms, String raw) {}

  /** The base64 of a DER OCSP request for {@code serial}, URL-encoded for a GET path. */
  static String getPath(X509CertificateHolder issuer, BigInteger serial) throws Exception {
    CertificateID id =
        new CertificateID(
            new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
            issuer,
            serial);
    byte[] der = new OCSPReqBuilder().addRequest(id).build().getEncoded();
    return URLEncoder.encode(Base64.getEncoder().encodeToString(der), StandardCharsets.US_ASCII);
  }

  /** Fetches {@code url} once and checks it is a successful OCSP answer saying good. */
  static void checkGood(String url) throws Exception {
    HttpResponse<byte[]> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(url + " answered HTTP " + response.statusCode());
    }
    OCSPResp ocsp = new OCSPResp(response.body());
    if (ocsp.getStatus() != OCSPResp.SUCCESSFUL) {
      throw new IllegalStateException(url + " answered OCSP status " + ocsp.getStatus());
    }
    BasicOCSPResp basic = (BasicOCSPResp) ocsp.getResponseObject();
    if (basic.getResponses()[0].getCertStatus() != CertificateStatus.GOOD) {
      throw new IllegalStateException(url + " did not say good");
    }
  }

  /** Runs wrk against {@code url} with {@code connections} keep-alive connections. */
  static Result wrk(String name, String url, int connections, Duration duration)
      throws IOException, InterruptedException {
    Process wrk =
        new ProcessBuilder(
                "wrk",
                "-t1",
                "-c" + connections,
                "-d" + duration.toSeconds() + "s",
                "--latency",
                url)
            .redirectErrorStream(true)
            .start();
    String out = finish(wrk, name);
    return new Result(name, number(RATE, out), millis(P50, out), millis(P99, out), out);
  }

  /** What a wrk run printed, once it ended without failing and saw no errors. */
  static String finish(Process wrk, String name) throws IOException, InterruptedException {
    String out = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (wrk.waitFor() != 0) {
      throw new IllegalStateException("wrk failed:\n" + out);
    }
    if (out.contains("Non-2xx") || out.contains("Socket errors")) {
      throw new IllegalStateException(name + ": wrk saw errors:\n" + out);
    }
    return out;
  }

  /**
   * Stops {@code openssl ocsp} and its {@code -multi} workers. The workers outlive their parent
   * when only it is killed, and they spin: two of them took 1.3 cores through the rest of a bench
   * run (its CRL and start-up rows) before this.
   */
  static void stop(Process openssl) throws InterruptedException {
    List<ProcessHandle> workers = openssl.descendants().toList();
    workers.forEach(ProcessHandle::destroyForcibly);
    openssl.destroyForcibly();
    openssl.waitFor(10, TimeUnit.SECONDS);
    for (ProcessHandle worker : workers) {
      worker.onExit().completeOnTimeout(worker, 10, TimeUnit.SECONDS).join();
    }
  }

  /**
   * {@code openssl ocsp} as a responder for the one certificate {@code leafPem}, signing with the
   * software key and certificate given (its signature is an EC P-256 signature in OpenSSL, as cheap
   * as OpenSSL makes it). {@code processes} > 1 uses its {@code -multi} option.
   */
  static Process openssl(
      Path dir,
      Path issuerPem,
      String leafPem,
      Path signerPem,
      Path signerKey,
      int port,
      int processes,
      String urlToCheck)
      throws Exception {
    X509CertificateHolder leaf;
    try (PEMParser parser = new PEMParser(new StringReader(leafPem))) {
      leaf = (X509CertificateHolder) parser.readObject();
    }
    String hex = leaf.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT);
    if (hex.length() % 2 == 1) {
      hex = "0" + hex;
    }
    String expiry =
        DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .format(leaf.getNotAfter().toInstant().atOffset(ZoneOffset.UTC));
    Path index = dir.resolve("openssl-index.txt");
    Files.writeString(index, "V\t" + expiry + "\t\t" + hex + "\tunknown\t/CN=bench\n");
    List<String> command =
        new ArrayList<>(
            List.of(
                "openssl",
                "ocsp",
                "-index",
                index.toString(),
                "-port",
                Integer.toString(port),
                "-rsigner",
                signerPem.toString(),
                "-rkey",
                signerKey.toString(),
                "-CA",
                issuerPem.toString(),
                "-nmin",
                "60"));
    if (processes > 1) {
      command.add("-multi");
      command.add(Integer.toString(processes));
    }
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("openssl-ocsp.log").toFile())
            .start();
    // Wait with real requests: a connection closed without one makes openssl 3.0 spin forever.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        checkGood(urlToCheck);
        return process;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          stop(process);
          throw new IllegalStateException("openssl ocsp did not answer on " + port, notYet);
        }
        Thread.sleep(100);
      }
    }
  }

  private static double number(Pattern p, String out) {
    Matcher m = p.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("wrk printed no " + p + ":\n" + out);
    }
    return Double.parseDouble(m.group(1));
  }

  private static double millis(Pattern p, String out) {
    Matcher m = p.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("wrk printed no " + p + ":\n" + out);
    }
    double value = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> value / 1000;
      case "s" -> value * 1000;
      default -> value;
    };
  }
}
