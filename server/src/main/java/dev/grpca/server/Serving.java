package dev.grpca.server;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.revocation.OcspResponder;
import java.io.PrintStream;

/** A started server, in either mode. {@link #close} stops it cleanly (listeners first). */
public interface Serving extends AutoCloseable {
  /** The HTTP sidecar's port. */
  int httpPort();

  Authorities authorities();

  /** The OCSP responder and its signers. */
  OcspResponder ocsp();

  /** How to reach it, for a person who just started it. */
  void printBanner(PrintStream out);

  /** Blocks until the server stops. */
  void awaitTermination() throws InterruptedException;

  @Override
  void close();
}
