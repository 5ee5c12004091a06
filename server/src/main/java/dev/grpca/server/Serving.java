package dev.grpca.server;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.http.HttpSidecar;
import dev.grpca.server.revocation.OcspResponder;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started server, in either mode: what both have (the CAs, OCSP, the HTTP sidecar) and how it
 * stops. {@link #close} stops it cleanly, the listeners first and the database last.
 */
public abstract class Serving implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Serving.class);

  private final HttpSidecar http;
  private final Authorities authorities;
  private final OcspResponder ocsp;
  private final Opened opened;
  private boolean closed;

  Serving(HttpSidecar http, Authorities authorities, OcspResponder ocsp, Opened opened) {
    this.http = http;
    this.authorities = authorities;
    this.ocsp = ocsp;
    this.opened = opened;
  }

  /** The HTTP sidecar's port. */
  public int httpPort() {
    return http.port();
  }

  public Authorities authorities() {
    return authorities;
  }

  /** The OCSP responder and its signers. */
  public OcspResponder ocsp() {
    return ocsp;
  }

  HttpSidecar http() {
    return http;
  }

  /** How to reach it, for a person who just started it. */
  abstract void printBanner(PrintStream out);

  /** Blocks until the server stops. */
  abstract void awaitTermination() throws InterruptedException;

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      opened.close();
      log.info("grpca stopped");
    }
  }
}
