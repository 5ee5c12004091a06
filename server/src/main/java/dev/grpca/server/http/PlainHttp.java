package dev.grpca.server.http;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Jetty server with one plain-HTTP/1.1 connector, as grpca's listeners have it: no server version
 * sent, request headers bounded at 8 KiB (larger: 431), idle connections closed after 30 s.
 */
public record PlainHttp(Server server, ServerConnector connector, HttpConfiguration http) {
  /** Not started; the caller sets the handler (and any further {@link #http} settings) first. */
  public static PlainHttp on(String host, int port, String threadName, int maxThreads) {
    QueuedThreadPool threads = new QueuedThreadPool(maxThreads, 2);
    threads.setName(threadName);
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setRequestHeaderSize(8 * 1024);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(30_000);
    server.addConnector(connector);
    return new PlainHttp(server, connector, http);
  }
}
