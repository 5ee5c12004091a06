package dev.grpca.server.revocation;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.error.CaException;
import dev.grpca.server.hsm.Signer;
import dev.grpca.server.hsm.TokenKey;
import dev.grpca.server.hsm.TokenKeys;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SubjectFields;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which key signs each authority's OCSP responses. Either the authority's own key, or (the default)
 * a delegated OCSP signing certificate per authority (RFC 6960 §4.2.2.2): a key made in the token,
 * certified by the authority for id-kp-OCSPSigning only, with id-pkix-ocsp-nocheck, short-lived.
 *
 * <p>Every signer certificate is recorded like any other certificate (profile {@value #PROFILE}),
 * its key stored in the token under {@code ocsp-signer-<serial>}. Processes sharing the database
 * and token (the CA and its responders) use the newest valid signer they find; one is made only
 * when none has more than a third of its lifetime left. Once a minute each process checks whether
 * its signer is due (a third of its lifetime left, or revoked), then takes over the newest one or
 * makes one; keys of expired signers are destroyed. A failed rotation is retried a minute later
 * while the old signer still serves.
 */
public final class OcspSigners {
  private static final Logger log = LoggerFactory.getLogger(OcspSigners.class);
  public static final String PROFILE = "grpca-ocsp-signer";
  static final String LABEL_PREFIX = "ocsp-signer-";
  private static final Duration CHECK_EVERY = Duration.ofMinutes(1);

  /** How far a signer's notBefore is set back, for relying parties whose clocks run slow. */
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private static final int MAX_COMMON_NAME = 64;

  /**
   * The key that signs one authority's responses and the certificate that goes with them in each
   * response ({@code null} when the authority's own key signs).
   */
  public record ResponseSigner(Signer signer, X509CertificateHolder certificate, Instant renewAt) {
    X509CertificateHolder[] certificates() {
      return certificate == null
          ? new X509CertificateHolder[0]
          : new X509CertificateHolder[] {certificate};
    }
  }

  private final Authorities authorities;
  private final Delegation delegation;
  private final Map<String, ResponseSigner> current = new ConcurrentHashMap<>();

  /**
   * Runs finding, making and rotating signers so that of several replicas one at a time does it:
   * the others then adopt the signer it made rather than make their own.
   */
  private Consumer<Runnable> exclusively = Runnable::run;

  /** What making delegated signers takes; null when the authorities' own keys sign. */
  private record Delegation(
      TokenKeys token,
      CertificateStore store,
      CertificateFactory factory,
      Clock clock,
      Duration lifetime) {}

  private OcspSigners(Authorities authorities, Delegation delegation) {
    this.authorities = authorities;
    this.delegation = delegation;
  }

  /** Each authority signs its own responses with its CA key. */
  public static OcspSigners caKeys(Authorities authorities) {
    return new OcspSigners(authorities, null);
  }

  /** A delegated signer per authority, each certificate lasting {@code lifetime}. */
  public static OcspSigners delegated(
      Authorities authorities,
      TokenKeys token,
      CertificateStore store,
      CertificateFactory factory,
      Clock clock,
      Duration lifetime) {
    return new OcspSigners(authorities, new Delegation(token, store, factory, clock, lifetime));
  }

  /**
   * Finding, making and rotating signers run through {@code exclusively} (a lease, on replicas).
   */
  public OcspSigners onlyOneAtATime(Consumer<Runnable> exclusively) {
    this.exclusively = exclusively;
    return this;
  }

  /**
   * Finds or makes every authority's signer (failing start-up if it cannot), then checks once a
   * minute for rotation.
   */
  public OcspSigners start(ScheduledExecutorService scheduler) {
    if (delegation == null) {
      return this;
    }
    exclusively.accept(
        () -> {
          for (Authority authority : authorities.all()) {
            current.put(authority.id(), takeOver(authority));
          }
        });
    long every = CHECK_EVERY.toMillis();
    scheduler.scheduleWithFixedDelay(this::rotateIfDue, every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The signer for {@code authority}'s responses now. */
  /** When the delegated signer in use for {@code authorityId} expires; null if there is none. */
  public Instant signerNotAfter(String authorityId) {
    ResponseSigner signer = current.get(authorityId);
    return signer == null ? null : signer.certificate().getNotAfter().toInstant();
  }

  public ResponseSigner signerFor(Authority authority) {
    if (delegation == null) {
      return new ResponseSigner(authority.signer(), null, Instant.MAX);
    }
    ResponseSigner signer = current.get(authority.id());
    if (signer == null) {
      // A CA made a moment ago whose signer is still being made: the client asks again.
      throw CaException.unavailable("no OCSP signer for " + authority.id() + " yet", null);
    }
    return signer;
  }

  /** Set while this thread checks the signers: a CA it loads meanwhile is covered by the check. */
  private final ThreadLocal<Boolean> rotating = ThreadLocal.withInitial(() -> false);

  /** Replaces every signer that is due or revoked; never throws. */
  public void rotateIfDue() {
    try {
      exclusively.accept(this::rotateDue);
    } catch (RuntimeException e) {
      log.warn("rotating OCSP signers failed; retrying in {}", CHECK_EVERY, e);
    }
  }

  /**
   * A CA was added ({@link Authorities#whenAdded}): its signer is made now, unless the check in
   * progress on this thread added it and will make it.
   */
  public void added(Authority authority) {
    if (delegation != null && !rotating.get()) {
      rotateIfDue();
    }
  }

  private void rotateDue() {
    rotating.set(true);
    try {
      rotateEach();
    } finally {
      rotating.set(false);
    }
  }

  private void rotateEach() {
    authorities.refresh();
    Instant now = delegation.clock().instant();
    boolean rotated = false;
    for (Authority authority : authorities.all()) {
      ResponseSigner signer = current.get(authority.id());
      try {
        if (signer == null || !now.isBefore(signer.renewAt()) || revoked(signer)) {
          current.put(authority.id(), takeOver(authority));
          rotated = true;
        }
      } catch (RuntimeException e) {
        log.warn(
            "rotating the OCSP signer of {} failed; retrying in {}",
            authority.id(),
            CHECK_EVERY,
            e);
      }
    }
    if (rotated) {
      destroyExpired(now);
    }
  }

  private boolean revoked(ResponseSigner signer) {
    String serial = SerialNumbers.toHex(signer.certificate().getSerialNumber());
    return delegation.store().find(serial).map(c -> c.revocation() != null).orElse(true);
  }

  /**
   * The newest usable signer of {@code authority} in the token and database, else a new one. The
   * candidates are the signer keys in the token (a few), looked up by serial number: a query over
   * the certificate table for the profile's valid certificates would read every valid certificate
   * of the authority on H2, whose planner takes {@code revocation_time IS NULL} for a rare value
   * (0.9 s at start-up with 23k valid certificates, growing with the CA).
   */
  private ResponseSigner takeOver(Authority authority) {
    Instant now = delegation.clock().instant();
    List<String> serials =
        delegation.token().labels(LABEL_PREFIX).stream()
            .map(label -> label.substring(LABEL_PREFIX.length()))
            .toList();
    Optional<StoredCertificate> newest =
        delegation.store().findAll(serials).stream()
            .filter(c -> PROFILE.equals(c.profile()) && authority.id().equals(c.authorityId()))
            .filter(c -> c.revocation() == null && !now.isBefore(c.notBefore()))
            .filter(c -> now.isBefore(renewAt(c.notBefore(), c.notAfter())))
            .max(Comparator.comparing(StoredCertificate::notAfter));
    if (newest.isPresent()) {
      Optional<TokenKey> key = delegation.token().find(label(newest.get().serialNumber()));
      X509Certificate certificate = Certificates.parsePem(newest.get().certificatePem());
      if (key.isPresent()
          && key.get().certificate().getPublicKey().equals(certificate.getPublicKey())) {
        log.info(
            "OCSP signer of {}: certificate {} (until {})",
            authority.id(),
            newest.get().serialNumber(),
            certificate.getNotAfter().toInstant());
        return responseSigner(key.get().signer(), certificate);
      }
    }
    return create(authority, now);
  }

  private ResponseSigner create(Authority authority, Instant now) {
    Signer key = delegation.token().generate(authority.signer().algorithm());
    Instant notBefore = now.minus(BACKDATE).truncatedTo(ChronoUnit.SECONDS);
    if (notBefore.isBefore(authority.issuer().notBefore())) {
      notBefore = authority.issuer().notBefore();
    }
    Instant notAfter = now.plus(delegation.lifetime()).truncatedTo(ChronoUnit.SECONDS);
    if (notAfter.isAfter(authority.issuer().notAfter())) {
      notAfter = authority.issuer().notAfter();
    }
    CertificateSpec.Builder spec =
        CertificateSpec.builder(
                subjectFor(authority.issuer().subject()),
                SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded()),
                notBefore,
                notAfter)
            .keyUsage(KeyUsage.digitalSignature)
            .extendedKeyUsages(List.of(KeyPurposeId.id_kp_OCSPSigning))
            .ocspNoCheck();
    CertificateFactory factory = delegation.factory();
    StoredCertificate stored =
        factory.issue(
            factory.prepare(
                CertificateFactory.SigningKey.of(authority),
                spec,
                CertificateFactory.Recording.system(PROFILE)));
    String serial = stored.serialNumber();
    X509Certificate certificate = Certificates.parsePem(stored.certificatePem());
    delegation.token().store(label(serial), key, certificate);
    log.info(
        "OCSP signer of {}: new {} key '{}' in the token, certificate valid until {}",
        authority.id(),
        key.algorithm().displayName(),
        label(serial),
        notAfter);
    return responseSigner(key, certificate);
  }

  /** Destroys the token keys of signers whose certificates have expired (in any process). */
  private void destroyExpired(Instant now) {
    try {
      for (String label : delegation.token().labels(LABEL_PREFIX)) {
        Optional<TokenKey> key = delegation.token().find(label);
        if (key.isPresent() && key.get().certificate().getNotAfter().toInstant().isBefore(now)) {
          delegation.token().delete(label);
          log.info("OCSP signer key '{}' destroyed: its certificate has expired", label);
        }
      }
    } catch (RuntimeException e) {
      log.warn("destroying expired OCSP signer keys failed; retrying at the next rotation", e);
    }
  }

  private static ResponseSigner responseSigner(Signer key, X509Certificate certificate) {
    try {
      return new ResponseSigner(
          key,
          new JcaX509CertificateHolder(certificate),
          renewAt(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant()));
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** When a third of the lifetime is left. */
  private static Instant renewAt(Instant notBefore, Instant notAfter) {
    return notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
  }

  static String label(String serial) {
    return LABEL_PREFIX + serial;
  }

  /** The issuer's name with " OCSP Responder" added to its common name (or a CN added). */
  static X500Name subjectFor(X500Name issuer) {
    X500NameBuilder builder = new X500NameBuilder(BCStyle.INSTANCE);
    boolean named = false;
    for (RDN rdn : issuer.getRDNs()) {
      if (!named && !rdn.isMultiValued() && rdn.getFirst().getType().equals(BCStyle.CN)) {
        builder.addRDN(BCStyle.CN, responderName(SubjectFields.of(issuer).commonName()));
        named = true;
      } else {
        builder.addMultiValuedRDN(rdn.getTypesAndValues());
      }
    }
    if (!named) {
      builder.addRDN(BCStyle.CN, "OCSP Responder");
    }
    return builder.build();
  }

  private static String responderName(String issuerCommonName) {
    String suffix = " OCSP Responder";
    String base = issuerCommonName;
    if (base.length() + suffix.length() > MAX_COMMON_NAME) {
      base = base.substring(0, MAX_COMMON_NAME - suffix.length()).strip();
    }
    return base + suffix;
  }
}
