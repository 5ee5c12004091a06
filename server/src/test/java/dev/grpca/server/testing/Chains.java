package dev.grpca.server.testing;

import dev.grpca.proto.v1.Certificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A certificate's chain as the files openssl takes. */
public final class Chains {
  private static final String END = "-----END CERTIFICATE-----\n";

  private Chains() {}

  /**
   * Writes {@code intermediate.pem} and {@code root.pem} into {@code dir}; returns the root PEM.
   */
  public static String write(Path dir, Certificate c) throws IOException {
    String chain = c.getChainPem();
    int split = chain.indexOf(END) + END.length();
    Files.writeString(dir.resolve("intermediate.pem"), chain.substring(0, split));
    Files.writeString(dir.resolve("root.pem"), chain.substring(split));
    return chain.substring(split);
  }
}
