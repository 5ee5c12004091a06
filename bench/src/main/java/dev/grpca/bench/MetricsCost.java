package dev.grpca.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

/** Scrapes of a server's /metrics, timed from the request to the last byte of the answer. */
final class MetricsCost {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private MetricsCost() {}

  /**
   * The times of {@code n} scrapes: the first (cold: the scrape's classes load, its code runs
   * interpreted), and the median, p99 and max of the others; the size of the last answer.
   */
  record Scrapes(
      double firstMs, double medianMs, double p99Ms, double maxMs, int bytes, int series) {}

  static Scrapes scrape(BenchSetup setup, int n) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(setup.httpBase() + "/metrics")).build();
    // The client's own first request (its connection, its classes) is not the server's scrape.
    HTTP.send(
        HttpRequest.newBuilder(URI.create(setup.httpBase() + "/healthz")).build(),
        HttpResponse.BodyHandlers.discarding());
    double[] ms = new double[n];
    String body = "";
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      ms[i] = (System.nanoTime() - t0) / 1e6;
      if (response.statusCode() != 200) {
        throw new IllegalStateException("/metrics answered " + response.statusCode());
      }
      body = response.body();
    }
    double first = ms[0];
    double[] rest = Arrays.copyOfRange(ms, 1, n);
    Arrays.sort(rest);
    int series = (int) body.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
    return new Scrapes(
        first,
        rest[rest.length / 2],
        rest[(int) Math.ceil(rest.length * 0.99) - 1],
        rest[rest.length - 1],
        body.length(),
        series);
  }
}
