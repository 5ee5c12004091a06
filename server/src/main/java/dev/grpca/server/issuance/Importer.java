package dev.grpca.server.issuance;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.DuplicateCertificateException;
import dev.grpca.server.store.ImportedCertificate;
import dev.grpca.server.store.NameTakenException;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.RequestTakenException;
import dev.grpca.server.store.ResourceNames;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.IpAddressText;
import dev.grpca.server.x509.Pem;
import dev.grpca.server.x509.PublicKeyInfo;
import dev.grpca.server.x509.SerialNumbers;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * ImportCertificate and the replacement of an imported certificate: a certificate issued elsewhere
 * joins the inventory once its chain links, it is within its validity (unless an expired one is
 * asked for), its private key (if given) is its key, and it is not stored already. The key is kept
 * only encrypted by a key that lives in the token.
 */
public final class Importer {
  /** The label of the token's AES key that encrypts held private keys. */
  public static final String KEY_LABEL = "grpca-held-keys-1";

  /** A sealer that encrypts with {@code token}'s key {@link #KEY_LABEL}. */
  public static Sealer sealerOf(dev.grpca.server.hsm.Pkcs11Token token) {
    return (pkcs8, aad) ->
        new ImportedCertificate.SealedKey(KEY_LABEL, token.seal(KEY_LABEL, pkcs8, aad));
  }

  /** The profile imported certificates are listed under, and their grants are given on. */
  public static final String PROFILE = "imported";

  private static final int MAX_CHAIN = 10;
  private static final java.time.Duration CLOCK_SKEW = java.time.Duration.ofMinutes(5);

  /** Encrypts a private key (PKCS#8 DER) with a token key, {@code aad} bound to it. */
  @FunctionalInterface
  public interface Sealer {
    ImportedCertificate.SealedKey seal(byte[] pkcs8, byte[] aad);
  }

  /** What the caller gives. */
  public record Upload(
      String certificatePem, String chainPem, String privateKeyPem, boolean allowExpired) {}

  private final CertificateStore store;
  private final Sealer sealer;
  private final RequestIds requests;
  private final Clock clock;

  public Importer(CertificateStore store, Sealer sealer, RequestIds requests, Clock clock) {
    this.store = store;
    this.sealer = sealer;
    this.requests = requests;
    this.clock = clock;
  }

  /** Imports {@code upload} as a new resource named {@code name} (empty: a generated one). */
  public StoredCertificate importCertificate(
      Upload upload, String name, Map<String, String> labels, String principal, RequestKey key) {
    Optional<StoredCertificate> earlier = requests.earlierCertificate(key);
    if (earlier.isPresent()) {
      return earlier.get();
    }
    IssuancePolicy.checkLabels(labels);
    if (!name.isEmpty()) {
      ResourceNames.require("name", name);
    }
    return store(upload, name, labels, principal, null, key);
  }

  /**
   * Replaces the certificate of the imported resource {@code old} (d9t's PUT): the new one is
   * checked the same way, takes over its name and labels, and links back to it.
   */
  public StoredCertificate replace(
      StoredCertificate old, Upload upload, String principal, RequestKey key) {
    Optional<StoredCertificate> earlier = requests.earlierCertificate(key);
    if (earlier.isPresent()) {
      return earlier.get();
    }
    if (old.imported() == null) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "update_mask",
          old.serialNumber()
              + " was issued here: renew it instead; only an imported certificate is replaced");
    }
    String name = old.name() == null ? "" : old.name();
    return store(upload, name, old.labels(), principal, old.serialNumber(), key);
  }

  private StoredCertificate store(
      Upload upload,
      String name,
      Map<String, String> labels,
      String principal,
      String replaces,
      RequestKey key) {
    X509Certificate certificate = single(upload.certificatePem());
    List<X509Certificate> chain = chain(upload.chainPem());
    Instant now = clock.instant();
    checkChain(certificate, chain);
    checkValidity(certificate, chain, now, upload.allowExpired());
    PrivateKey privateKey =
        upload.privateKeyPem().isEmpty() ? null : privateKey(upload.privateKeyPem());
    if (privateKey != null) {
      requireKeyOf(certificate.getPublicKey(), privateKey);
    }
    byte[] der = encoded(certificate);
    String fingerprint = Certificates.sha256Fingerprint(der);
    // Its own serial is another CA's and may repeat: the row is keyed by its fingerprint, the
    // first 39 hex digits read as a number, so that it is a serial in our wire form too (positive,
    // at most 20 octets, no leading zeros).
    String rowKey = SerialNumbers.toHex(new java.math.BigInteger(fingerprint.substring(0, 39), 16));
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    X500Name issuer = X500Name.getInstance(certificate.getIssuerX500Principal().getEncoded());
    Sans sans = sans(certificate);
    String commonName = dev.grpca.server.x509.SubjectFields.of(subject).commonName();
    String resource = name.isEmpty() ? ResourceNames.generate(commonName, sans.all()) : name;
    StoredCertificate row =
        new StoredCertificate(
            rowKey,
            null,
            PROFILE,
            CertificateState.ISSUED,
            Certificates.rfc4514(subject),
            commonName.isEmpty() ? null : commonName,
            keyName(certificate.getPublicKey()),
            certificate.getNotBefore().toInstant(),
            certificate.getNotAfter().toInstant(),
            sans.dns(),
            sans.ips(),
            sans.emails(),
            sans.uris(),
            labels,
            Pem.certificate(der),
            fingerprint,
            principal,
            now,
            now,
            null,
            replaces,
            null,
            resource,
            null,
            new StoredCertificate.Imported(
                Certificates.rfc4514(issuer),
                SerialNumbers.toHex(certificate.getSerialNumber()),
                Pem.certificates(chain)));
    ImportedCertificate.SealedKey sealed =
        privateKey == null
            ? null
            : sealer.seal(privateKey.getEncoded(), rowKey.getBytes(StandardCharsets.US_ASCII));
    try {
      store.insertImported(new ImportedCertificate(row, tbs(certificate), sealed, replaces), key);
    } catch (DuplicateCertificateException e) {
      throw CaException.field(
          ErrorKind.ALREADY_EXISTS,
          "certificate_pem",
          "this certificate (SHA-256 " + fingerprint + ") is already in the inventory");
    } catch (NameTakenException e) {
      throw CaException.field(
          ErrorKind.ALREADY_EXISTS,
          "name",
          "'" + e.name() + "' is the name of another certificate (names are unique)");
    } catch (RequestTakenException e) {
      return requests.earlierCertificate(key).orElseThrow(() -> e);
    }
    return row;
  }

  private static X509Certificate single(String pem) {
    if (pem.isBlank()) {
      throw CaException.invalid("certificate_pem", "required: one PEM certificate");
    }
    List<X509Certificate> certificates = Certificates.parseAll("certificate_pem", pem);
    if (certificates.size() != 1) {
      throw CaException.invalid(
          "certificate_pem",
          certificates.size() + " certificates (expected: one; its issuers go in chain_pem)");
    }
    return certificates.get(0);
  }

  private static List<X509Certificate> chain(String pem) {
    List<X509Certificate> chain =
        pem.isBlank() ? List.of() : Certificates.parseAll("chain_pem", pem);
    if (chain.size() > MAX_CHAIN) {
      throw CaException.invalid(
          "chain_pem", chain.size() + " certificates (expected: at most " + MAX_CHAIN + ")");
    }
    return chain;
  }

  /**
   * Each certificate is signed by the next one's key and names it as issuer; with no chain, the
   * certificate must be self-signed.
   */
  private static void checkChain(X509Certificate certificate, List<X509Certificate> chain) {
    List<X509Certificate> path = new ArrayList<>();
    path.add(certificate);
    path.addAll(chain);
    if (chain.isEmpty() && !signedBy(certificate, certificate)) {
      throw CaException.invalid(
          "chain_pem",
          "required: the certificate is not self-signed, so its issuers must be given");
    }
    for (int i = 0; i + 1 < path.size(); i++) {
      X509Certificate child = path.get(i);
      X509Certificate parent = path.get(i + 1);
      String at = i == 0 ? "the certificate" : "chain certificate " + (i - 1);
      if (!child.getIssuerX500Principal().equals(parent.getSubjectX500Principal())
          || !signedBy(child, parent)) {
        throw CaException.invalid(
            "chain_pem",
            at
                + " (issuer '"
                + child.getIssuerX500Principal().getName()
                + "') is not signed by chain certificate "
                + i
                + " ('"
                + parent.getSubjectX500Principal().getName()
                + "'): the chain does not link");
      }
      if (parent.getBasicConstraints() < 0) {
        throw CaException.invalid(
            "chain_pem", "chain certificate " + i + " is not a CA certificate (basicConstraints)");
      }
    }
  }

  private static boolean signedBy(X509Certificate child, X509Certificate parent) {
    try {
      child.verify(parent.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static void checkValidity(
      X509Certificate certificate, List<X509Certificate> chain, Instant now, boolean allowExpired) {
    List<X509Certificate> all = new ArrayList<>();
    all.add(certificate);
    all.addAll(chain);
    for (int i = 0; i < all.size(); i++) {
      X509Certificate c = all.get(i);
      String field = i == 0 ? "certificate_pem" : "chain_pem";
      String which = i == 0 ? "the certificate" : "chain certificate " + (i - 1);
      // Clocks differ: a certificate made a moment ago elsewhere may start a little ahead of ours.
      if (now.plus(CLOCK_SKEW).isBefore(c.getNotBefore().toInstant())) {
        throw CaException.field(
            ErrorKind.FAILED_PRECONDITION,
            field,
            which + " is not valid before " + c.getNotBefore().toInstant());
      }
      if (now.isAfter(c.getNotAfter().toInstant()) && !allowExpired) {
        throw CaException.field(
            ErrorKind.FAILED_PRECONDITION,
            field,
            which
                + " expired at "
                + c.getNotAfter().toInstant()
                + " (set allow_expired to import it anyway)");
      }
    }
  }

  private static PrivateKey privateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      PrivateKey key;
      if (o instanceof PrivateKeyInfo info) {
        key = converter.getPrivateKey(info);
      } else if (o instanceof PEMKeyPair pair) {
        key = converter.getKeyPair(pair).getPrivate();
      } else {
        throw CaException.invalid(
            "private_key_pem",
            o == null
                ? "no PEM private key"
                : "holds a "
                    + o.getClass().getSimpleName()
                    + " (expected: an unencrypted PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)");
      }
      if (parser.readObject() != null) {
        throw CaException.invalid("private_key_pem", "more than one PEM block (expected: one key)");
      }
      return key;
    } catch (IOException | RuntimeException e) {
      if (e instanceof CaException ca) {
        throw ca;
      }
      throw CaException.invalid("private_key_pem", "not a PEM private key");
    }
  }

  /** The private key must make signatures the certificate's public key verifies. */
  private static void requireKeyOf(PublicKey publicKey, PrivateKey privateKey) {
    String algorithm =
        switch (publicKey.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    boolean matches = false;
    if (algorithm != null) {
      try {
        byte[] probe = "grpca import key check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(privateKey);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(probe);
        matches = verifier.verify(signature);
      } catch (GeneralSecurityException e) {
        matches = false;
      }
    }
    if (!matches) {
      throw CaException.invalid(
          "private_key_pem", "is not the key of the certificate (its public key does not match)");
    }
  }

  private record Sans(List<String> dns, List<String> ips, List<String> emails, List<String> uris) {
    List<String> all() {
      List<String> all = new ArrayList<>(dns);
      all.addAll(ips);
      all.addAll(emails);
      all.addAll(uris);
      return all;
    }
  }

  private static Sans sans(X509Certificate certificate) {
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> n : names) {
          int type = (Integer) n.get(0);
          Object value = n.get(1);
          if (!(value instanceof String text)) {
            continue;
          }
          switch (type) {
            case 2 -> dns.add(text.toLowerCase(java.util.Locale.ROOT));
            case 7 -> ips.add(IpAddressText.text(InetAddress.getByName(text)));
            case 1 -> emails.add(text);
            case 6 -> uris.add(text);
            default -> {}
          }
        }
      }
    } catch (CertificateParsingException | IOException e) {
      throw CaException.invalid("certificate_pem", "its subjectAltName does not parse");
    }
    return new Sans(dns, ips, emails, uris);
  }

  private static String keyName(PublicKey key) {
    try {
      return PublicKeyInfo.of(SubjectPublicKeyInfo.getInstance(key.getEncoded())).displayName();
    } catch (RuntimeException e) {
      return key.getAlgorithm();
    }
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw CaException.invalid("certificate_pem", "cannot be encoded");
    }
  }

  private static byte[] tbs(X509Certificate c) {
    try {
      return c.getTBSCertificate();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw CaException.invalid("certificate_pem", "cannot be encoded");
    }
  }
}
