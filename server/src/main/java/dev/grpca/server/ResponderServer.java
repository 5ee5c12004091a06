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
public final class ResponderServer extends Serving {
  private static final Logger log = LoggerFactory.getLogger(ResponderServer.class);

  private final Core core;

  private ResponderServer(
      Core core, HttpSidecar http, Authorities authorities, OcspResponder ocsp, Opened opened) {
    super(http, authorities, ocsp, opened);
    this.core = core;
  }

  static ResponderServer start(Core core, Opened opened) throws IOException {
    Authorities authorities =
        core.bootstrap().loadExisting(core.config.root(), core.config.intermediate());
    OcspResponder ocsp = core.ocspResponder(authorities);
    core.database
        .changes()
        .subscribe(
            change -> {
              switch (change.kind()) {
                case REVOKED -> ocsp.invalidate(change.serialNumber());
                case EVERYTHING -> ocsp.forgetAll();
                default -> {}
              }
            });
    HttpSidecar http =
        opened.add(
            core.startHttp(
                authorities, new CurrentCrls(core.database.crls())::latest, ocsp, null, opened));
    log.info("grpca responder serving HTTP on {}:{}", core.config.http().host(), http.port());
    return new ResponderServer(core, http, authorities, ocsp, opened);
  }

  @Override
  void awaitTermination() throws InterruptedException {
    http().join();
  }

  @Override
  void printBanner(PrintStream out) {
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
}
