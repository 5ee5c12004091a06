package dev.grpca.server.metrics;

import dev.grpca.server.http.PlainHttp;
import java.io.IOException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} on a listener of its own ({@code metrics.host}/{@code metrics.port}), for
 * operators who keep it off the public sidecar. It serves nothing else (404).
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

  private final Server server;
  private final ServerConnector connector;

  private MetricsServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  public static MetricsServer start(String host, int port, MetricsEndpoint endpoint)
      throws IOException {
    PlainHttp listener = PlainHttp.on(host, port, "grpca-metrics", 8);
    Server server = listener.server();
    ServerConnector connector = listener.connector();
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback)
              throws Exception {
            if (MetricsEndpoint.PATH.equals(Request.getPathInContext(request))) {
              endpoint.serve(request, response, callback);
            } else {
              Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            }
            return true;
          }
        });
    try {
      server.start();
    } catch (Exception e) {
      throw new IOException("cannot start the metrics listener on " + host + ":" + port, e);
    }
    log.info("metrics on http://{}:{}{}", host, connector.getLocalPort(), MetricsEndpoint.PATH);
    return new MetricsServer(server, connector);
  }

  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("stopping the metrics listener", e);
    }
  }
}
