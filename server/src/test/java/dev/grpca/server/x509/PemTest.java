package dev.grpca.server.x509;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.util.Random;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;

class PemTest {
  @Test
  void theSameTextAsBouncyCastlesPemWriterAtEveryLineBoundary() throws Exception {
    Random random = new Random(7);
    for (int length : new int[] {0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 500, 1191}) {
      byte[] der = new byte[length];
      random.nextBytes(der);
      StringWriter expected = new StringWriter();
      try (PemWriter writer = new PemWriter(expected)) {
        writer.writeObject(new PemObject("CERTIFICATE", der));
      }
      assertThat(Pem.encode("CERTIFICATE", der))
          .as("%d bytes", length)
          .isEqualTo(expected.toString());
    }
  }
}
