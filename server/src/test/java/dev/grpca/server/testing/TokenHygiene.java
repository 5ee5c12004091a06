package dev.grpca.server.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Empties the run's token after each top-level test class, once its servers are closed: no class
 * keeps token objects for the next (each makes its CAs under labels of its own). Without it the
 * token grows by every class's CAs and OCSP signers, and SunPKCS11 reads every object of it each
 * time a provider opens the token or looks for a label it has not seen: 0.7 s a time with the ~850
 * objects a whole run left, against milliseconds on a token a class uses alone.
 */
public final class TokenHygiene implements AfterAllCallback {
  @Override
  public void afterAll(ExtensionContext context) {
    boolean topLevel = context.getParent().flatMap(ExtensionContext::getParent).isEmpty();
    if (topLevel) {
      SoftHsm.wipeIfMade();
    }
  }
}
