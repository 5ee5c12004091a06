package dev.grpca.server;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.http.HttpSidecar;
import dev.grpca.server.revocation.CurrentCrls;
import dev.grpca.server.revocation.OcspResponder;
import java.io.IOException;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Responder mode: the HTTP sidecar alone, serving the CAs, CRLs and OCSP of a CA that another
 * process runs against the same database and token. It creates no CA and publishes no CRLs; it
 * shares the CA's delegated OCSP signers, and makes one only when none is usable.
 */
public final class ResponderServer implements Serving {
  private static final Logger log = LoggerFactory.getLogger(ResponderServer.class);

  private final Core core;
  private final HttpSidecar http;
  private final Authorities authorities;
  private final OcspResponder ocsp;
  private final Opened opened;
  private boolean closed;

  private ResponderServer(
      Core core, HttpSidecar http, Authorities authorities, OcspResponder ocsp, Opened opened) {
    this.core = core;
    this.http = http;
    this.authorities = authorities;
    this.ocsp = ocsp;
    this.opened = opened;
  }

  static ResponderServer start(Core core, Opened opened) throws IOException {
    Authorities authorities =
        core.bootstrap().loadExisting(core.config.root(), core.config.intermediate());
    OcspResponder ocsp = core.ocspResponder(authorities);
    HttpSidecar http =
        opened.add(
            core.startHttp(authorities, new CurrentCrls(core.database.crls())::latest, ocsp));
    log.info("grpca responder serving HTTP on {}:{}", core.config.http().host(), http.port());
    return new ResponderServer(core, http, authorities, ocsp, opened);
  }

  @Override
  public int httpPort() {
    return http.port();
  }

  @Override
  public Authorities authorities() {
    return authorities;
  }

  @Override
  public OcspResponder ocsp() {
    return ocsp;
  }

  @Override
  public void awaitTermination() throws InterruptedException {
    http.join();
  }

  @Override
  public void printBanner(PrintStream out) {
    out.println();
    out.println(
        "grpca responder is serving HTTP on http://"
            + core.config.http().host()
            + ":"
            + httpPort()
            + " (/v1/ca, /v1/crl, /v1/ocsp)");
    out.println("Stop with Ctrl-C.");
    out.flush();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      opened.close();
      log.info("grpca responder stopped");
    }
  }
}
