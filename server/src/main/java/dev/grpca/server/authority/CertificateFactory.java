package dev.grpca.server.authority;

import com.codahale.metrics.Timer;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.hsm.Signer;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.NameTakenException;
import dev.grpca.server.store.PendingCertificate;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.ResourceNames;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.Upkeep;
import dev.grpca.server.x509.CertificateChecks;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.IpAddressText;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.Pem;
import dev.grpca.server.x509.PublicKeyInfo;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SignedCertificates;
import dev.grpca.server.x509.SubjectFields;
import dev.grpca.server.x509.TbsCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.Provider;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one path every certificate takes: leaves, renewals, OCSP signers, the server's own TLS
 * certificate, roots and intermediates. Two steps, as in Boulder's CA:
 *
 * <ol>
 *   <li>{@link #prepare}: gives the spec a serial, builds the TBS certificate, wraps it with a
 *       placeholder signature, parses it back and checks it (RFC 5280 and the spec). Nothing is
 *       stored and nothing is signed; a spec that fails here leaves no trace.
 *   <li>{@link #issue}: durably records the row with the exact TBS bytes, has the key sign them,
 *       verifies the signature with the public key, checks that the signed TBS is byte for byte the
 *       checked one, and durably stores the certificate. Only then is it returned.
 * </ol>
 *
 * Nothing else in the server asks a token key to sign a certificate.
 */
public final class CertificateFactory {
  private static final Logger log = LoggerFactory.getLogger(CertificateFactory.class);
  private static final int MAX_CACHED_KEYS = 64;

  /**
   * How long a row may stay PENDING before it counts as left by a process that stopped between
   * recording and storing: far longer than a signing takes (milliseconds), or a call's deadline.
   */
  public static final Duration ABANDONED_AFTER = Duration.ofMinutes(10);

  private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

  private final CertificateStore store;
  private final SerialNumbers serials;
  private final Clock clock;
  private final JcaContentVerifierProviderBuilder verifiers;
  private final Metrics metrics;
  private final Timer buildAndCheck;
  private final Timer record;
  private final Timer sign;
  private final Timer verify;
  private final Timer storeStep;

  /**
   * One verifier per signing public key, kept: Bouncy Castle caches its precomputed multiples of
   * the key's point on the key object, so a kept key verifies faster than one converted per call.
   */
  private final Map<PublicKey, ContentVerifierProvider> verifierByKey = new ConcurrentHashMap<>();

  /**
   * @param bouncyCastle the provider that verifies the token's signatures (faster than the JDK's on
   *     JDK 17)
   */
  public CertificateFactory(
      CertificateStore store,
      SerialNumbers serials,
      Provider bouncyCastle,
      Clock clock,
      Metrics metrics) {
    this.metrics = metrics;
    this.buildAndCheck = metrics.timer(MetricNames.ISSUANCE_STEP, "build_check");
    this.record = metrics.timer(MetricNames.ISSUANCE_STEP, "record");
    this.sign = metrics.timer(MetricNames.ISSUANCE_STEP, "sign");
    this.verify = metrics.timer(MetricNames.ISSUANCE_STEP, "verify");
    this.storeStep = metrics.timer(MetricNames.ISSUANCE_STEP, "store");
    this.store = store;
    this.serials = serials;
    this.clock = clock;
    this.verifiers = new JcaContentVerifierProviderBuilder().setProvider(bouncyCastle);
  }

  /**
   * Marks FAILED the rows a stopped process left PENDING for longer than {@link #ABANDONED_AFTER}
   * (their serials are never used again); returns how many. Every replica may run it: it changes
   * only rows no one is completing.
   */
  public int failAbandoned() {
    int failed = store.failAbandoned(clock.instant().minus(ABANDONED_AFTER));
    if (failed > 0) {
      log.warn(
          "{} certificate row(s) left PENDING for over {} by a process that stopped marked FAILED",
          failed,
          ABANDONED_AFTER);
    }
    return failed;
  }

  /** Runs {@link #failAbandoned} now and then once a minute. */
  public CertificateFactory sweep(ScheduledExecutorService scheduler) {
    long every = SWEEP_EVERY.toMillis();
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            failAbandoned();
          } catch (RuntimeException e) {
            log.warn("marking abandoned PENDING rows failed; trying again in {}", SWEEP_EVERY, e);
          }
        },
        0,
        every,
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** The key that signs and the name it signs as, recorded under {@code authorityId}. */
  public record SigningKey(String authorityId, Issuer issuer, Signer signer) {
    /** {@code authority} signs. */
    public static SigningKey of(Authority authority) {
      return new SigningKey(authority.id(), authority.issuer(), authority.signer());
    }
  }

  /**
   * What the certificate's row says besides what the certificate says. {@code name} is the resource
   * name to hold: one the caller gave, {@link #GENERATED} for one made from the certificate's
   * names, or null for none (a renewal takes over its predecessor's). {@code request} is the call's
   * request id, recorded with the row (null: none).
   */
  public record Recording(
      String profile,
      Map<String, String> labels,
      String requestedBy,
      String renewedFrom,
      boolean system,
      String name,
      RequestKey request) {
    /** Asks for a resource name made as {@code <cn>-xxxxx}. */
    public static final String GENERATED = "";

    public Recording {
      labels = Map.copyOf(labels);
    }

    /** A certificate a caller asked for (a renewal when {@code renewedFrom} is not null). */
    public Recording(
        String profile,
        Map<String, String> labels,
        String requestedBy,
        String renewedFrom,
        String name,
        RequestKey request) {
      this(profile, labels, requestedBy, renewedFrom, false, name, request);
    }

    /** A certificate the server makes for itself, recorded as requested by its profile. */
    public static Recording system(String profile) {
      return new Recording(profile, Map.of(), profile, null, true, null, null);
    }

    /**
     * What metrics count it as: leaf, renewal, or for the server's own certificates their built-in
     * profile's name without "grpca-" (ca, ocsp-signer, server).
     */
    String kind() {
      if (system || profile.startsWith(SYSTEM_PREFIX)) {
        return profile.startsWith(SYSTEM_PREFIX)
            ? profile.substring(SYSTEM_PREFIX.length())
            : profile;
      }
      return renewedFrom == null ? "leaf" : "renewal";
    }

    private static final String SYSTEM_PREFIX = "grpca-";
  }

  /**
   * A checked certificate ready to be recorded and signed, once: a second {@link #issue} of the
   * same token is refused.
   */
  public static final class Prepared {
    private final SigningKey by;
    private final TBSCertificate tbs;
    private final PendingCertificate pending;
    private final String kind;
    private final boolean generatedName;
    private final RequestKey request;
    private final AtomicBoolean used = new AtomicBoolean();

    private Prepared(
        SigningKey by,
        TBSCertificate tbs,
        PendingCertificate pending,
        String kind,
        boolean generatedName,
        RequestKey request) {
      this.request = request;
      this.by = by;
      this.tbs = tbs;
      this.pending = pending;
      this.kind = kind;
      this.generatedName = generatedName;
    }

    /** The resource name it will hold (null: none), as far as it is known before recording. */
    public String name() {
      return pending.name();
    }

    /** The serial, in the wire form. */
    public String serialNumber() {
      return pending.serialNumber();
    }
  }

  /** Checks {@code spec} as {@code by} would sign it; stores and signs nothing. */
  public Prepared prepare(SigningKey by, CertificateSpec.Builder spec, Recording recording) {
    return prepare(by, spec.build(serials.next()), recording);
  }

  /**
   * Checks a self-signed certificate (a root) for {@code key}, recorded under {@code authorityId};
   * stores and signs nothing.
   */
  public Prepared prepareSelfSigned(
      String authorityId, Signer key, CertificateSpec.Builder spec, Recording recording) {
    CertificateSpec built = spec.build(serials.next());
    SigningKey self =
        new SigningKey(authorityId, TbsCertificates.selfIssuer(built, key.algorithm()), key);
    return prepare(self, built, recording);
  }

  private Prepared prepare(SigningKey by, CertificateSpec spec, Recording recording) {
    long start = System.nanoTime();
    TBSCertificate tbs = TbsCertificates.build(spec, by.issuer());
    CertificateChecks.require(SignedCertificates.withPlaceholderSignature(tbs), spec, by.issuer());
    String commonName = SubjectFields.of(spec.subject()).commonName();
    boolean generated = Recording.GENERATED.equals(recording.name());
    String name = generated ? newName(commonName, spec) : recording.name();
    PendingCertificate pending =
        new PendingCertificate(
            SerialNumbers.toHex(spec.serial()),
            by.authorityId(),
            recording.profile(),
            Certificates.rfc4514(spec.subject()),
            commonName.isEmpty() ? null : commonName,
            PublicKeyInfo.of(spec.publicKey()).displayName(),
            spec.notBefore(),
            spec.notAfter(),
            spec.dnsNames(),
            spec.ipAddresses().stream().map(IpAddressText::text).toList(),
            spec.emailAddresses(),
            spec.uris(),
            recording.labels(),
            SignedCertificates.der(tbs),
            recording.requestedBy(),
            clock.instant(),
            recording.renewedFrom(),
            name);
    buildAndCheck.update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    return new Prepared(by, tbs, pending, recording.kind(), generated, recording.request());
  }

  private static String newName(String commonName, CertificateSpec spec) {
    java.util.List<String> sans = new java.util.ArrayList<>(spec.dnsNames());
    spec.ipAddresses().forEach(ip -> sans.add(IpAddressText.text(ip)));
    sans.addAll(spec.emailAddresses());
    sans.addAll(spec.uris());
    return ResourceNames.generate(commonName, sans);
  }

  /**
   * Records {@code pending}; a generated name that another certificate happens to hold is made
   * again (five random characters: rare, but certain among many certificates for one name).
   */
  private PendingCertificate record(Prepared prepared, Upkeep upkeep) {
    PendingCertificate pending = prepared.pending;
    for (int attempt = 1; ; attempt++) {
      try {
        store.recordPending(pending, prepared.request, upkeep);
        return pending;
      } catch (NameTakenException e) {
        if (!prepared.generatedName || attempt == 5) {
          throw CaException.field(
              ErrorKind.ALREADY_EXISTS,
              "name",
              "'" + e.name() + "' is the name of another certificate (names are unique)");
        }
        pending =
            pending.withName(ResourceNames.generate(pending.commonName(), pending.dnsNames()));
      }
    }
  }

  /**
   * Record-then-sign: durably records the prepared row, has its key sign, verifies the result and
   * durably stores the certificate; returns the stored row. A failed signature or check leaves the
   * row marked failed, and nothing is returned.
   */
  public StoredCertificate issue(Prepared prepared) {
    return issue(prepared, null);
  }

  /**
   * {@link #issue(Prepared)}, recording with the row its {@code upkeep} (made for its serial: the
   * private key the CA is to hold, sealed and bound to the serial; its auto-renewal; null: none),
   * so that the certificate is never stored without it.
   */
  public StoredCertificate issue(Prepared prepared, Function<String, Upkeep> upkeep) {
    if (!prepared.used.compareAndSet(false, true)) {
      throw new IllegalStateException(
          "certificate " + prepared.serialNumber() + " was already issued from this preparation");
    }
    long start = System.nanoTime();
    PendingCertificate pending =
        record(prepared, upkeep == null ? Upkeep.NONE : upkeep.apply(prepared.serialNumber()));
    long recorded = System.nanoTime();
    record.update(recorded - start, TimeUnit.NANOSECONDS);
    byte[] der;
    try {
      der = signAndVerify(prepared.by.signer(), prepared.tbs, pending.tbsCertificate());
    } catch (RuntimeException e) {
      throw markFailed(pending, e);
    }
    long verified = System.nanoTime();
    String pem = Pem.certificate(der);
    String fingerprint = Certificates.sha256Fingerprint(der);
    CertificateStore.Issued stored =
        store.markIssued(pending.serialNumber(), pem, fingerprint, clock.instant());
    storeStep.update(System.nanoTime() - verified, TimeUnit.NANOSECONDS);
    metrics
        .counter(MetricNames.CERTIFICATES_ISSUED, prepared.kind, prepared.by.authorityId())
        .inc();
    return pending.issued(pem, fingerprint, stored.issueTime(), stored.name());
  }

  private RuntimeException markFailed(PendingCertificate pending, RuntimeException cause) {
    try {
      store.markFailed(pending.serialNumber());
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
    return cause;
  }

  /**
   * The certificate's DER once {@code signer} has signed {@code tbs}, its signature verifies with
   * the signer's public key, and its TBS is {@code recordedTbs} to the byte: a faulty token answer
   * never leaves the server.
   */
  private byte[] signAndVerify(Signer signer, TBSCertificate tbs, byte[] recordedTbs) {
    long start = System.nanoTime();
    byte[] signature = signer.sign(recordedTbs);
    long signed = System.nanoTime();
    sign.update(signed - start, TimeUnit.NANOSECONDS);
    try {
      byte[] der = SignedCertificates.assemble(tbs, tbs.getSignature(), signature);
      X509CertificateHolder certificate = new X509CertificateHolder(der);
      if (!certificate.isSignatureValid(verifier(signer.publicKey()))) {
        throw new IllegalStateException("the token returned a signature that does not verify");
      }
      byte[] signedTbs =
          certificate.toASN1Structure().getTBSCertificate().getEncoded(ASN1Encoding.DER);
      if (!Arrays.equals(signedTbs, recordedTbs)) {
        throw new IllegalStateException("the signed TBS certificate is not the one recorded");
      }
      verify.update(System.nanoTime() - signed, TimeUnit.NANOSECONDS);
      return der;
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a signed certificate", e);
    } catch (CertException | OperatorCreationException e) {
      throw new IllegalStateException("checking the token's signature", e);
    }
  }

  private ContentVerifierProvider verifier(PublicKey publicKey) throws OperatorCreationException {
    ContentVerifierProvider cached = verifierByKey.get(publicKey);
    if (cached != null) {
      return cached;
    }
    if (verifierByKey.size() >= MAX_CACHED_KEYS) {
      // Rotated OCSP signer keys would otherwise pile up over the years.
      verifierByKey.clear();
    }
    ContentVerifierProvider built =
        verifiers.build(SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
    verifierByKey.put(publicKey, built);
    return built;
  }
}
