package dev.grpca.server.hsm;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Timer;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.x509.KeyAlgorithm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A PKCS#11 token reached through the JDK's SunPKCS11 provider. Keys are generated inside the token
 * (the provider configuration makes them token objects, private, sensitive and never extractable),
 * found again by label, and used to sign through the provider: no CA private key bytes are ever in
 * this JVM, only handles.
 *
 * <p>The provider is used explicitly and never registered with {@link Security}, so that software
 * key generation elsewhere (leaf keys) cannot land in the token by accident.
 */
public final class Pkcs11Token implements TokenKeys {
  private final Provider provider;
  private final KeyStore keyStore;
  private final SecureRandom random;
  private final Metrics metrics;

  /** Signatures being made now: SunPKCS11 holds one session for each. */
  private final AtomicInteger busy = new AtomicInteger();

  private Pkcs11Token(Provider provider, KeyStore keyStore, SecureRandom random, Metrics metrics) {
    this.provider = provider;
    this.keyStore = keyStore;
    this.random = random;
    this.metrics = metrics;
    metrics.gauge(MetricNames.TOKEN_SESSIONS, busy::get);
  }

  /**
   * Configures SunPKCS11 from {@code configFile} and logs in with {@code pin}. The PIN array is
   * cleared before this returns.
   */
  public static Pkcs11Token open(
      Path configFile, char[] pin, SecureRandom random, Metrics metrics) {
    try {
      if (!Files.isReadable(configFile)) {
        throw new CaException(
            ErrorKind.UNAVAILABLE, "hsm.pkcs11_config: " + configFile + " is not a readable file");
      }
      Provider base = Security.getProvider("SunPKCS11");
      if (base == null) {
        throw new IllegalStateException("this JDK has no SunPKCS11 provider");
      }
      Provider provider = base.configure(configFile.toAbsolutePath().toString());
      KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
      keyStore.load(null, pin);
      return new Pkcs11Token(provider, keyStore, random, metrics);
    } catch (GeneralSecurityException | IOException | ProviderException e) {
      throw CaException.unavailable(
          "cannot open the PKCS#11 token configured in " + configFile + ": " + rootMessage(e), e);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private static final int GCM_IV = 12;
  private static final int GCM_TAG_BITS = 128;

  /**
   * Encrypts {@code plain} with AES-256-GCM under the secret key {@code label} in the token (made
   * there at first use: sensitive, not extractable), {@code aad} bound to it. Returns the IV and
   * the ciphertext with its tag. The key never leaves the token; only it can decrypt.
   */
  public byte[] seal(String label, byte[] plain, byte[] aad) {
    try {
      byte[] iv = new byte[GCM_IV];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
      cipher.init(
          Cipher.ENCRYPT_MODE, secretKey(label), new GCMParameterSpec(GCM_TAG_BITS, iv), random);
      cipher.updateAAD(aad);
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = Arrays.copyOf(iv, GCM_IV + sealed.length);
      System.arraycopy(sealed, 0, out, GCM_IV, sealed.length);
      return out;
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot encrypt with the token's key '" + label + "'", e);
    }
  }

  /** Decrypts what {@link #seal} made with the same {@code label} and {@code aad}. */
  public byte[] open(String label, byte[] sealed, byte[] aad) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
      cipher.init(
          Cipher.DECRYPT_MODE,
          secretKey(label),
          new GCMParameterSpec(GCM_TAG_BITS, sealed, 0, GCM_IV));
      cipher.updateAAD(aad);
      return cipher.doFinal(sealed, GCM_IV, sealed.length - GCM_IV);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalStateException("a sealed key that does not open: altered, or another key's");
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot decrypt with the token's key '" + label + "'", e);
    }
  }

  /**
   * The AES key {@code label}, made in the token when it has none. A key the token would let out (a
   * configuration without the CKO_SECRET_KEY template of hsm-config/sunpkcs11.cfg.template) is
   * refused, and destroyed.
   */
  private synchronized SecretKey secretKey(String label) throws GeneralSecurityException {
    if (!keyStore.containsAlias(label)) {
      reload();
    }
    Key existing = keyStore.getKey(label, null);
    if (existing instanceof SecretKey secret) {
      return secret;
    }
    KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
    generator.init(256, random);
    SecretKey made = generator.generateKey();
    if (made.getEncoded() != null) {
      throw new CaException(
          ErrorKind.UNAVAILABLE,
          "the token made an AES key that can leave it: add the CKO_SECRET_KEY attributes of"
              + " hsm-config/sunpkcs11.cfg.template to the PKCS#11 configuration");
    }
    keyStore.setKeyEntry(label, made, null, null);
    return (SecretKey) keyStore.getKey(label, null);
  }

  /** Whether the token answers: its key store can be listed. */
  public synchronized boolean ping() {
    try {
      keyStore.size();
      return true;
    } catch (GeneralSecurityException | ProviderException e) {
      return false;
    }
  }

  /**
   * The key pair stored under {@code label}, if the token has one with its certificate. A label
   * this process has not seen yet (stored by another process sharing the token) is looked up again
   * in the token itself.
   */
  @Override
  public synchronized Optional<TokenKey> find(String label) {
    try {
      if (!keyStore.containsAlias(label)) {
        reload();
      }
      Key key = keyStore.getKey(label, null);
      Certificate certificate = keyStore.getCertificate(label);
      if (!(key instanceof PrivateKey) || !(certificate instanceof X509Certificate)) {
        return Optional.empty();
      }
      X509Certificate x509 = (X509Certificate) certificate;
      KeyAlgorithm algorithm = algorithmOf(x509.getPublicKey());
      return Optional.of(
          new TokenKey(label, signer((PrivateKey) key, x509.getPublicKey(), algorithm), x509));
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot read key '" + label + "' from the token", e);
    }
  }

  /** Generates a key pair inside the token. It has no label until {@link #store} is called. */
  @Override
  public synchronized Signer generate(KeyAlgorithm algorithm) {
    if (!algorithm.isTokenSupported()) {
      throw new IllegalArgumentException(
          algorithm.displayName() + " keys cannot be made in the token");
    }
    try {
      KeyPair pair = algorithm.generate(provider, random);
      return signer(pair.getPrivate(), pair.getPublic(), algorithm);
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot generate a " + algorithm.displayName() + " key", e);
    }
  }

  /**
   * Labels the token key behind {@code signer} and stores its certificate beside it, so {@link
   * #find} finds it after a restart. The key itself stays where it is.
   */
  @Override
  public synchronized void store(String label, Signer signer, X509Certificate certificate) {
    if (!(signer instanceof Pkcs11Signer)) {
      throw new IllegalArgumentException("not a key of this token: " + signer);
    }
    try {
      keyStore.setKeyEntry(
          label, ((Pkcs11Signer) signer).privateKey, null, new Certificate[] {certificate});
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot store key '" + label + "' in the token", e);
    }
  }

  /**
   * The labels of the key pairs in the token that start with {@code prefix}, read afresh from the
   * token (other processes may have added or removed some).
   */
  @Override
  public synchronized List<String> labels(String prefix) {
    try {
      reload();
      List<String> labels = new ArrayList<>();
      for (String alias : Collections.list(keyStore.aliases())) {
        if (alias.startsWith(prefix) && keyStore.isKeyEntry(alias)) {
          labels.add(alias);
        }
      }
      return labels;
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot list the keys in the token", e);
    }
  }

  /** Destroys the key pair under {@code label} and its certificate; no-op when there is none. */
  @Override
  public synchronized void delete(String label) {
    try {
      if (keyStore.containsAlias(label)) {
        keyStore.deleteEntry(label);
      }
    } catch (GeneralSecurityException | ProviderException e) {
      throw CaException.unavailable("cannot delete key '" + label + "' from the token", e);
    }
  }

  private Pkcs11Signer signer(PrivateKey key, PublicKey publicKey, KeyAlgorithm algorithm) {
    String keyType = algorithm.name().toLowerCase(java.util.Locale.ROOT);
    return new Pkcs11Signer(
        provider,
        key,
        publicKey,
        algorithm,
        new SignMeters(
            metrics.timer(MetricNames.TOKEN_SIGN, keyType),
            metrics.counter(MetricNames.TOKEN_SIGN_ERRORS, keyType),
            busy));
  }

  /** What a signer counts: its signatures' time, its failures, and the sessions busy. */
  private record SignMeters(Timer time, Counter errors, AtomicInteger busy) {}

  /** Reads the token's objects again; the session stays logged in, so no PIN is needed. */
  private void reload() throws GeneralSecurityException {
    try {
      keyStore.load(null, null);
    } catch (IOException e) {
      throw new KeyStoreException("cannot re-read the token", e);
    }
  }

  private static KeyAlgorithm algorithmOf(PublicKey key) {
    if (key instanceof RSAKey) {
      int bits = ((RSAKey) key).getModulus().bitLength();
      switch (bits) {
        case 2048:
          return KeyAlgorithm.RSA_2048;
        case 3072:
          return KeyAlgorithm.RSA_3072;
        case 4096:
          return KeyAlgorithm.RSA_4096;
        default:
          break;
      }
    } else if (key instanceof ECKey) {
      int bits = ((ECKey) key).getParams().getCurve().getField().getFieldSize();
      if (bits == 256) {
        return KeyAlgorithm.EC_P256;
      }
      if (bits == 384) {
        return KeyAlgorithm.EC_P384;
      }
      if (bits == 521) {
        return KeyAlgorithm.EC_P521;
      }
    }
    throw new IllegalStateException("unsupported token key: " + key.getAlgorithm());
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /** Signs through the provider; one Signature object per call keeps it thread-safe. */
  private static final class Pkcs11Signer implements Signer {
    private final Provider provider;
    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final KeyAlgorithm algorithm;
    private final SignMeters meters;

    Pkcs11Signer(
        Provider provider,
        PrivateKey privateKey,
        PublicKey publicKey,
        KeyAlgorithm algorithm,
        SignMeters meters) {
      this.provider = provider;
      this.privateKey = privateKey;
      this.publicKey = publicKey;
      this.algorithm = algorithm;
      this.meters = meters;
    }

    @Override
    public KeyAlgorithm algorithm() {
      return algorithm;
    }

    @Override
    public PublicKey publicKey() {
      return publicKey;
    }

    @Override
    public byte[] sign(byte[] data) {
      long start = System.nanoTime();
      meters.busy().incrementAndGet();
      try {
        Signature signature = Signature.getInstance(algorithm.signatureAlgorithm(), provider);
        signature.initSign(privateKey);
        signature.update(data);
        byte[] signed = signature.sign();
        meters.time().update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return signed;
      } catch (GeneralSecurityException | ProviderException e) {
        meters.errors().inc();
        throw CaException.unavailable("the HSM could not sign", e);
      } finally {
        meters.busy().decrementAndGet();
      }
    }

    @Override
    public String toString() {
      return "Pkcs11Signer[" + algorithm.displayName() + "]";
    }
  }
}
