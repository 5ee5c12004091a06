package dev.grpca.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** One scrape of /metrics, read the way Prometheus reads the text format. */
record Scrape(String text, Map<String, Double> samples) {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static Scrape of(int port) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    return parse(response.body());
  }

  static Scrape parse(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return new Scrape(text, samples);
  }

  /**
   * The sample named {@code name} with the labels given as name, value pairs (in any order); 0 when
   * the scrape has none (a series not yet used).
   */
  double value(String name, String... labels) {
    return samples.getOrDefault(key(name, labels), 0.0);
  }

  boolean has(String name, String... labels) {
    return samples.containsKey(key(name, labels));
  }

  static String key(String name, String... labels) {
    if (labels.length == 0) {
      return name;
    }
    Map<String, String> sorted = new TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      sorted.put(labels[i], labels[i + 1]);
    }
    StringBuilder key = new StringBuilder(name).append('{');
    sorted.forEach((k, v) -> key.append(k).append("=\"").append(v).append("\","));
    key.setLength(key.length() - 1);
    return key.append('}').toString();
  }
}
