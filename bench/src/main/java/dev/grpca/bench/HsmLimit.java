package dev.grpca.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference every issuance figure is divided by: signatures per second straight through
 * SunPKCS11 with a token key in the same SoftHSM token the server uses (one Signature object per
 * thread, reused; nothing else). A CA cannot sign faster than this.
 */
final class HsmLimit {
  /** About the size of a leaf TBSCertificate. */
  private static final byte[] MESSAGE = new byte[600];

  private final Provider provider;

  private HsmLimit(Provider provider) {
    this.provider = provider;
  }

  static HsmLimit open(Path pkcs11Config, Path pinFile) throws Exception {
    Provider provider =
        Security.getProvider("SunPKCS11").configure(pkcs11Config.toAbsolutePath().toString());
    KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
    keyStore.load(null, Files.readString(pinFile).strip().toCharArray());
    return new HsmLimit(provider);
  }

  /** The key types measured, as the server names them. */
  enum Key {
    EC_P256("EC P-256", "EC", "secp256r1", "SHA256withECDSA"),
    EC_P384("EC P-384", "EC", "secp384r1", "SHA384withECDSA"),
    RSA_2048("RSA 2048", "RSA", null, "SHA256withRSA");

    final String display;
    final String family;
    final String curve;
    final String algorithm;

    Key(String display, String family, String curve, String algorithm) {
      this.display = display;
      this.family = family;
      this.curve = curve;
      this.algorithm = algorithm;
    }
  }

  /** Signatures per second with {@code threads} threads signing back to back. */
  double rate(Key key, int threads, Duration warmUp, Duration measure) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance(key.family, provider);
    if (key.curve != null) {
      generator.initialize(new ECGenParameterSpec(key.curve));
    } else {
      generator.initialize(2048);
    }
    KeyPair pair = generator.generateKeyPair();
    PrivateKey privateKey = pair.getPrivate();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicLong count = new AtomicLong();
    CountDownLatch done = new CountDownLatch(threads);
    Exception[] failure = new Exception[1];
    for (int t = 0; t < threads; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  Signature signature = Signature.getInstance(key.algorithm, provider);
                  while (!stop.get()) {
                    signature.initSign(privateKey);
                    signature.update(MESSAGE);
                    signature.sign();
                    if (measuring.get()) {
                      count.incrementAndGet();
                    }
                  }
                } catch (Exception e) {
                  failure[0] = e;
                } finally {
                  done.countDown();
                }
              },
              "hsm-" + t);
      thread.setDaemon(true);
      thread.start();
    }
    Thread.sleep(warmUp.toMillis());
    long begin = System.nanoTime();
    measuring.set(true);
    Thread.sleep(measure.toMillis());
    measuring.set(false);
    long end = System.nanoTime();
    stop.set(true);
    done.await();
    if (failure[0] != null) {
      throw failure[0];
    }
    return count.get() / ((end - begin) / 1e9);
  }
}
