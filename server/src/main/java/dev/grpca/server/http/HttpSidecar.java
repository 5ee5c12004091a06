package dev.grpca.server.http;

import com.codahale.metrics.Counter;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.error.CaException;
import dev.grpca.server.issuance.Downloads;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.metrics.MetricsEndpoint;
import dev.grpca.server.revocation.OcspAnswer;
import dev.grpca.server.revocation.OcspResponder;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.x509.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plain-HTTP sidecar for TLS stacks and probes (RFC 5280 and RFC 6960 expect http:// URLs).
 * Unauthenticated and read-only: issuer certificates (DER and PEM), chains, the latest stored CRLs,
 * OCSP (POST to {@code /v1/ocsp}, GET under it), one-time download bundles (GET {@code
 * /v1/download/{token}}), {@code /healthz}, {@code /readyz} and, unless it has a listener of its
 * own, {@code /metrics}. Anything else is 404; any other method is 405.
 */
public final class HttpSidecar implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpSidecar.class);
  private static final String PEM = "application/x-pem-file";
  private static final String DER_CERT = "application/pkix-cert";
  private static final String ISSUERS = "/v1/issuers/";
  private static final String OCSP_GET = "/v1/ocsp/";
  private static final int MAX_OCSP_REQUEST = 64 * 1024;

  /** GET paths longer than this (a single-request OCSPRequest is ~100 characters) are not kept. */
  private static final HttpField NO_STORE =
      new PreEncodedHttpField(HttpHeader.CACHE_CONTROL, "no-store");

  private static final HttpField OCSP_RESPONSE =
      new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/ocsp-response");

  private final Server server;
  private final ServerConnector connector;

  private HttpSidecar(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * Starts the sidecar.
   *
   * @param ready what must hold for {@code /readyz} to say 200, by name (e.g. "database")
   */
  public static HttpSidecar start(
      ServerConfig.Http config,
      Authorities authorities,
      Function<String, Optional<StoredCrl>> crls,
      OcspResponder ocsp,
      Map<String, BooleanSupplier> ready,
      Clock clock,
      Metrics metrics,
      MetricsEndpoint metricsEndpoint,
      Downloads downloads)
      throws Exception {
    PlainHttp listener = PlainHttp.on(config.host(), config.port(), "grpca-http", 32);
    // OCSP GET puts base64 in the path: '/' may be encoded or doubled, which strict URI rules
    // refuse.
    listener.http().setUriCompliance(UriCompliance.LEGACY);
    Server server = listener.server();
    ServerConnector connector = listener.connector();
    server.setHandler(
        new Routes(authorities, crls, ocsp, ready, clock, metrics, metricsEndpoint, downloads));
    server.start();
    log.info("HTTP sidecar on {}:{}", config.host(), connector.getLocalPort());
    return new HttpSidecar(server, connector);
  }

  public int port() {
    return connector.getLocalPort();
  }

  /** Blocks until the sidecar stops. */
  public void join() throws InterruptedException {
    server.join();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("stopping the HTTP sidecar", e);
    }
  }

  private static final class Routes extends Handler.Abstract.NonBlocking {
    private final Authorities authorities;
    private final Function<String, Optional<StoredCrl>> crls;
    private final OcspResponder ocsp;
    private final Map<String, BooleanSupplier> ready;
    private final Clock clock;
    private final Metrics metrics;
    private final MetricsEndpoint metricsEndpoint;
    private final Downloads downloads;

    /** OCSP answers given, by result, for GET and for POST: no string is built per answer. */
    private final Map<String, Counter> ocspGets = new ConcurrentHashMap<>();

    private final Map<String, Counter> ocspPosts = new ConcurrentHashMap<>();

    Routes(
        Authorities authorities,
        Function<String, Optional<StoredCrl>> crls,
        OcspResponder ocsp,
        Map<String, BooleanSupplier> ready,
        Clock clock,
        Metrics metrics,
        MetricsEndpoint metricsEndpoint,
        Downloads downloads) {
      this.authorities = authorities;
      this.crls = crls;
      this.ocsp = ocsp;
      this.ready = Map.copyOf(ready);
      this.clock = clock;
      this.metrics = metrics;
      this.metricsEndpoint = metricsEndpoint;
      this.downloads = downloads;
    }

    private void countOcsp(boolean get, OcspAnswer answer) {
      Map<String, Counter> counts = get ? ocspGets : ocspPosts;
      Counter counter = counts.get(answer.result());
      if (counter == null) {
        counter =
            counts.computeIfAbsent(
                answer.result(),
                r -> metrics.counter(MetricNames.OCSP_REQUESTS, get ? "get" : "post", r));
      }
      counter.inc();
    }

    /**
     * Declared non-blocking, so Jetty calls it on the thread that read the request: an OCSP GET
     * whose answer is held is served there at once, with no hand-over to a pool thread (47k to 72k
     * answers/s on 2 cores, BENCHMARKS.md). Everything else may block (the database, the token) and
     * goes to the thread pool.
     */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String rawPath = request.getHttpURI().getPath();
      if (HttpMethod.GET.is(request.getMethod())
          && rawPath != null
          && rawPath.startsWith(OCSP_GET)) {
        OcspAnswer held = ocsp.heldGet(rawPath.substring(OCSP_GET.length()));
        if (held != null) {
          countOcsp(true, held);
          ocspAnswer(held, clock.instant(), request, response, callback);
          return true;
        }
      }
      request
          .getComponents()
          .getExecutor()
          .execute(
              () -> {
                try {
                  route(request, response, callback);
                } catch (IOException | RuntimeException e) {
                  callback.failed(e);
                }
              });
      return true;
    }

    private void route(Request request, Response response, Callback callback) throws IOException {
      String method = request.getMethod();
      String rawPath = request.getHttpURI().getPath();
      if (HttpMethod.POST.is(method) && "/v1/ocsp".equals(rawPath)) {
        ocspPost(request, response, callback);
        return;
      }
      if (metricsEndpoint != null && MetricsEndpoint.PATH.equals(rawPath)) {
        metricsEndpoint.serve(request, response, callback);
        return;
      }
      if (HttpMethod.GET.is(method) && rawPath != null && rawPath.startsWith(OCSP_GET)) {
        ocspGet(rawPath.substring(OCSP_GET.length()), request, response, callback);
        return;
      }
      if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
        Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
        return;
      }
      String path = Request.getPathInContext(request);
      if (downloads != null && HttpMethod.GET.is(method) && path.startsWith(Downloads.PATH)) {
        download(path.substring(Downloads.PATH.length()), request, response, callback);
        return;
      }
      switch (path) {
        case "/healthz" -> text(response, callback, HttpStatus.OK_200, "ok\n");
        case "/readyz" -> readiness(response, callback);
        default -> {
          if (!issuerFile(path, response, callback)) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
          }
        }
      }
    }

    /** /v1/ca… for the default issuer, /v1/issuers/{id}/ca… for any. */
    private boolean issuerFile(String path, Response response, Callback callback) {
      String id;
      String file;
      if (path.startsWith(ISSUERS)) {
        String rest = path.substring(ISSUERS.length());
        int slash = rest.indexOf('/');
        if (slash <= 0) {
          return false;
        }
        id = rest.substring(0, slash);
        file = rest.substring(slash + 1);
      } else if (path.startsWith("/v1/")) {
        id = "";
        file = path.substring("/v1/".length());
      } else {
        return false;
      }
      Authority authority;
      try {
        authority = authorities.get(id);
      } catch (CaException unknown) {
        return false;
      }
      switch (file) {
        case "ca" -> bytes(response, callback, DER_CERT, der(authority));
        case "ca.pem" ->
            bytes(response, callback, PEM, ascii(Pem.certificate(authority.certificate())));
        case "chain.pem" -> bytes(response, callback, PEM, ascii(authority.chainPem()));
        case "crl", "crl.pem" -> {
          Optional<StoredCrl> crl = crls.apply(authority.id());
          if (crl.isEmpty()) {
            return false;
          }
          crlHeaders(response, crl.get());
          if (file.equals("crl")) {
            bytes(response, callback, "application/pkix-crl", crl.get().derView());
          } else {
            bytes(response, callback, PEM, crl.get().pemView());
          }
        }
        default -> {
          return false;
        }
      }
      return true;
    }

    /**
     * The one-time bundle: 404 for a token that is malformed, unknown, expired or used, alike (no
     * hint which); 503 when the database or the token cannot answer. Never cached.
     */
    private void download(String token, Request request, Response response, Callback callback) {
      Optional<Downloads.Bundle> bundle;
      try {
        bundle = downloads.fetch(token, Request.getRemoteAddr(request));
      } catch (CaException e) {
        log.warn("a download could not be served: {}", e.getMessage());
        response.getHeaders().put(NO_STORE);
        Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503);
        return;
      }
      response.getHeaders().put(NO_STORE);
      if (bundle.isEmpty()) {
        Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
        return;
      }
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/zip");
      response
          .getHeaders()
          .put(
              HttpHeader.CONTENT_DISPOSITION,
              "attachment; filename=\"" + bundle.get().fileName() + "\"");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bundle.get().zip().length);
      response.write(true, ByteBuffer.wrap(bundle.get().zip()), callback);
    }

    private void ocspPost(Request request, Response response, Callback callback)
        throws IOException {
      byte[] body;
      try (InputStream in = Content.Source.asInputStream(request)) {
        body = in.readNBytes(MAX_OCSP_REQUEST + 1);
      }
      if (body.length > MAX_OCSP_REQUEST) {
        Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413);
        return;
      }
      // RFC 5019 §6: POSTs are not cached by HTTP caches.
      response.getHeaders().put(NO_STORE);
      OcspAnswer answer = ocsp.respond(body, Request.getRemoteAddr(request));
      countOcsp(false, answer);
      ocspBody(response, callback, answer.der());
    }

    /**
     * RFC 6960 A.1: GET {url}/{url-encoding of base64 encoding of the DER request}. The responder
     * holds shared answers by the path as it came, so a repeated GET is neither decoded nor parsed.
     */
    private void ocspGet(String encoded, Request request, Response response, Callback callback) {
      if (encoded.length() > 2 * MAX_OCSP_REQUEST) {
        Response.writeError(request, response, callback, HttpStatus.URI_TOO_LONG_414);
        return;
      }
      OcspAnswer answer = ocsp.respondToGet(encoded, Request.getRemoteAddr(request));
      countOcsp(true, answer);
      ocspAnswer(answer, clock.instant(), request, response, callback);
    }

    /**
     * RFC 5019 §6: a GET answer that can be cached says so (ETag, Last-Modified = thisUpdate,
     * Expires = nextUpdate), with a max-age no longer than this process itself reuses it, so that
     * HTTP caches add nothing to the time a revocation takes to show. Answers to requests with
     * nonces are not cached.
     */
    private void ocspAnswer(
        OcspAnswer answer, Instant now, Request request, Response response, Callback callback) {
      var headers = response.getHeaders();
      long maxAge = answer.cacheable() ? Duration.between(now, answer.reuseUntil()).toSeconds() : 0;
      if (maxAge <= 0) {
        headers.put(NO_STORE);
        ocspBody(response, callback, answer.der());
        return;
      }
      headers.put(HttpHeader.ETAG, answer.etag());
      headers.put(HttpHeader.LAST_MODIFIED, answer.lastModified());
      headers.put(HttpHeader.EXPIRES, answer.expires());
      headers.put(
          HttpHeader.CACHE_CONTROL,
          "public, max-age=" + maxAge + ", no-transform, must-revalidate");
      if (answer.etag().equals(request.getHeaders().get(HttpHeader.IF_NONE_MATCH))) {
        response.setStatus(HttpStatus.NOT_MODIFIED_304);
        callback.succeeded();
        return;
      }
      ocspBody(response, callback, answer.der());
    }

    private static void ocspBody(Response response, Callback callback, byte[] der) {
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(OCSP_RESPONSE);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, der.length);
      response.write(true, ByteBuffer.wrap(der), callback);
    }

    /**
     * The CRL is good until its nextUpdate: ETag by number, Last-Modified and Expires by its times.
     */
    private static void crlHeaders(Response response, StoredCrl crl) {
      response
          .getHeaders()
          .put(HttpHeader.ETAG, "\"" + crl.authorityId() + "-" + crl.number() + "\"");
      response
          .getHeaders()
          .put(HttpHeader.LAST_MODIFIED, DateGenerator.formatDate(crl.thisUpdate()));
      response.getHeaders().put(HttpHeader.EXPIRES, DateGenerator.formatDate(crl.nextUpdate()));
    }

    private void readiness(Response response, Callback callback) {
      StringBuilder body = new StringBuilder();
      boolean all = true;
      for (Map.Entry<String, BooleanSupplier> check : ready.entrySet()) {
        boolean ok;
        try {
          ok = check.getValue().getAsBoolean();
        } catch (RuntimeException e) {
          ok = false;
        }
        all &= ok;
        body.append(check.getKey()).append(ok ? " ok\n" : " unavailable\n");
      }
      text(
          response,
          callback,
          all ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503,
          body.toString());
    }

    private static byte[] der(Authority authority) {
      try {
        return authority.certificate().getEncoded();
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }

    private static byte[] ascii(String s) {
      return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void text(Response response, Callback callback, int status, String body) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
      response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    private static void bytes(Response response, Callback callback, String type, byte[] body) {
      bytes(response, callback, type, ByteBuffer.wrap(body));
    }

    private static void bytes(Response response, Callback callback, String type, ByteBuffer body) {
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "public, max-age=3600");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.remaining());
      response.write(true, body, callback);
    }
  }
}
