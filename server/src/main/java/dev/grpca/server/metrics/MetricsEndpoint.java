package dev.grpca.server.metrics;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /metrics}: the Prometheus text format (or OpenMetrics, when the scraper asks for it),
 * written by the Prometheus client's own writers. A scrape reads counters and gauges held in
 * memory; nothing it does walks a table.
 */
public final class MetricsEndpoint {
  public static final String PATH = "/metrics";

  private final PrometheusRegistry registry;
  private final ExpositionFormatWriter text = PrometheusTextFormatWriter.create();
  private final ExpositionFormatWriter openMetrics = OpenMetricsTextFormatWriter.create();

  public MetricsEndpoint(Metrics metrics) {
    this.registry = metrics.prometheus();
  }

  /**
   * One scrape thrown away: the first loads the scrape's classes and runs interpreted (115-220 ms
   * in make bench, against ~8 ms for the ones after), which the operator's first scrape then does
   * not pay.
   */
  public void warm() throws IOException {
    text.write(OutputStream.nullOutputStream(), registry.scrape());
  }

  /** Answers a request for {@link #PATH} (GET or HEAD; anything else is 405). */
  public void serve(Request request, Response response, Callback callback) throws IOException {
    boolean head = HttpMethod.HEAD.is(request.getMethod());
    if (!head && !HttpMethod.GET.is(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
      return;
    }
    String accept = request.getHeaders().get(HttpHeader.ACCEPT);
    ExpositionFormatWriter writer = openMetrics.accepts(accept) ? openMetrics : text;
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    writer.write(out, registry.scrape());
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, writer.getContentType());
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.size());
    response.write(
        true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(out.toByteArray()), callback);
  }
}
