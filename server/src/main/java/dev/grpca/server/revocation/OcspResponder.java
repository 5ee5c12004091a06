package dev.grpca.server.revocation;

import com.codahale.metrics.Counter;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.OcspStanding;
import dev.grpca.server.store.Revocation;
import dev.grpca.server.x509.SerialNumbers;
import java.io.IOException;
import java.math.BigInteger;
import java.security.Provider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.ocsp.OCSPResponseStatus;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers OCSP requests (RFC 6960, RFC 5019 profile) for every authority of this server, signed by
 * the authority's delegated OCSP signer or its own key ({@link OcspSigners}). Every request of a
 * multi-request OCSPRequest is answered: good or revoked (time and reason). A request that names a
 * certificate this server did not issue, or an issuer that is not ours, gets {@code unauthorized},
 * unsigned: no anonymous request makes the token sign for nothing. One that does not parse gets
 * {@code malformedRequest}. Nonces are ignored unless echoing is configured, so responses can be
 * cached: single-request answers are reused for at most the configured cache age (never past half
 * their validity), and a revocation (in this process, or heard from another) re-signs the kept
 * answer at once ({@link #invalidate}). A request whose nonce is echoed gets an answer signed for
 * it alone; such answers are limited per source address ({@code tryLater} past the limit).
 */
public final class OcspResponder {
  private static final Logger log = LoggerFactory.getLogger(OcspResponder.class);

  /** At most this many answers are kept for reuse (and as many GET paths held). */
  public static final int MAX_CACHED = 100_000;

  /** GET paths longer than this (a single-CertID request's is ~120 characters) are not held. */
  private static final int MAX_HELD_PATH = 512;

  private final Authorities authorities;
  private final OcspSigners signers;
  private final CertificateStore store;
  private final Clock clock;
  private final Duration validity;
  private final Duration cacheMaxAge;
  private final boolean echoNonce;

  /** Answers signed for one request alone, per source address. */
  private final SourceLimiter perRequest;

  private final DigestCalculatorProvider digests;
  private final Map<String, OcspAnswer> cache = new ConcurrentHashMap<>();

  /** Shared answers by the GET path that asked for them, as it came. */
  private final Map<String, OcspAnswer> gets = new ConcurrentHashMap<>();

  private final Map<IssuerKey, IssuerHashes> issuerHashes = new ConcurrentHashMap<>();

  /** The answers being signed now, by cache key: a second request for one waits for it. */
  private final Map<String, CompletableFuture<OcspAnswer>> signing = new ConcurrentHashMap<>();

  /** When an outage was last logged: once every {@link #WARN_EVERY} at most. */
  private final AtomicLong lastWarnedMillis = new AtomicLong(Long.MIN_VALUE / 2);

  private static final Duration WARN_EVERY = Duration.ofSeconds(10);

  /** Counts revocations, so that an answer signed while one happened is not kept. */
  private final AtomicLong revocations = new AtomicLong();

  private final Counter cacheHits;
  private final Counter cacheMisses;
  private final Counter signed;

  /** An authority's name and key hashes under one CertID hash algorithm. */
  private record IssuerHashes(byte[] name, byte[] key) {}

  /** By the hash's OID alone: parameters a request may vary must not grow the map. */
  private record IssuerKey(Authority authority, ASN1ObjectIdentifier hash) {}

  public OcspResponder(
      Authorities authorities,
      OcspSigners signers,
      CertificateStore store,
      Clock clock,
      Duration validity,
      Duration cacheMaxAge,
      boolean echoNonce,
      int perRequestAnswersPerMinute,
      Provider bc,
      Metrics metrics) {
    this.authorities = authorities;
    this.cacheHits = metrics.counter(MetricNames.OCSP_CACHE, "hit");
    this.cacheMisses = metrics.counter(MetricNames.OCSP_CACHE, "miss");
    this.signed = metrics.counter(MetricNames.OCSP_PRESIGNED);
    metrics.gauge(MetricNames.OCSP_OLDEST_ANSWER, this::oldestAnswerAge);
    this.signers = signers;
    this.store = store;
    this.clock = clock;
    this.validity = validity;
    this.cacheMaxAge = cacheMaxAge;
    this.echoNonce = echoNonce;
    this.perRequest = new SourceLimiter(perRequestAnswersPerMinute);
    try {
      this.digests = new JcaDigestCalculatorProviderBuilder().setProvider(bc).build();
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The answer to the DER OCSPRequest {@code der} from {@code source} (the caller's address, which
   * answers signed for it alone are counted by); never throws for bad input.
   */
  public OcspAnswer respond(byte[] der, String source) {
    try {
      return answer(der, source);
    } catch (CaException e) {
      if (e.kind() != ErrorKind.UNAVAILABLE) {
        throw e;
      }
      // The database or the token is down: RFC 6960's "try later", and the next request tries
      // again (nothing is kept).
      warnUnavailable(e);
      return status(OCSPResponseStatus.TRY_LATER);
    }
  }

  private OcspAnswer answer(byte[] der, String source) {
    OCSPReq request;
    try {
      request = new OCSPReq(der);
    } catch (IOException | RuntimeException e) {
      return status(OCSPResponseStatus.MALFORMED_REQUEST);
    }
    Req[] requests = request.getRequestList();
    if (requests.length == 0) {
      return status(OCSPResponseStatus.MALFORMED_REQUEST);
    }
    Authority issuer = null;
    for (Req r : requests) {
      Authority a = issuerOf(r.getCertID());
      if (a == null || (issuer != null && a != issuer)) {
        return status(OCSPResponseStatus.UNAUTHORIZED);
      }
      issuer = a;
    }
    Instant now = clock.instant();
    Extension nonce =
        echoNonce ? request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce) : null;
    if (nonce == null && requests.length == 1) {
      return shared(issuer, requests[0].getCertID(), now);
    }
    // Signed for this request alone: only when every CertID names a certificate issued here.
    CertificateID[] ids = new CertificateID[requests.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = requests[i].getCertID();
    }
    CertificateStatus[] statuses = statuses(issuer, ids);
    if (statuses == null) {
      return status(OCSPResponseStatus.UNAUTHORIZED);
    }
    if (!perRequest.tryTake(source, now)) {
      return status(OCSPResponseStatus.TRY_LATER);
    }
    return sign(
        issuer, ids, statuses, now, nonce, nonce == null ? now.plus(cacheMaxAge) : null, null);
  }

  /**
   * The answer about one certificate that every request for it shares: signed at most once per
   * reuse time however many requests arrive together (the first signs, the others wait for its
   * answer), and never for a serial this CA did not issue ({@code unauthorized}, unsigned).
   */
  private OcspAnswer shared(Authority issuer, CertificateID id, Instant now) {
    String key = cacheKey(issuer, id);
    OcspAnswer cached = cache.get(key);
    if (cached != null && now.isBefore(cached.reuseUntil())) {
      cacheHits.inc();
      return cached;
    }
    cacheMisses.inc();
    CompletableFuture<OcspAnswer> mine = new CompletableFuture<>();
    CompletableFuture<OcspAnswer> theirs = signing.putIfAbsent(key, mine);
    if (theirs != null) {
      try {
        return theirs.join();
      } catch (CompletionException e) {
        // The signing this request waited for failed: it fails the same way.
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
    }
    try {
      OcspAnswer answer = signShared(issuer, id, now, key);
      mine.complete(answer);
      return answer;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      signing.remove(key, mine);
    }
  }

  private OcspAnswer signShared(Authority issuer, CertificateID id, Instant now, String key) {
    // Another request may have signed it between the look above and taking the key.
    OcspAnswer cached = cache.get(key);
    if (cached != null && now.isBefore(cached.reuseUntil())) {
      return cached;
    }
    long generation = revocations.get();
    CertificateID[] one = {id};
    CertificateStatus[] statuses = statuses(issuer, one);
    if (statuses == null) {
      return status(OCSPResponseStatus.UNAUTHORIZED);
    }
    OcspAnswer answer = sign(issuer, one, statuses, now, null, now.plus(cacheMaxAge), key);
    // An answer signed across a revocation may say good: it is given, but not kept.
    if (answer.cacheable() && revocations.get() == generation) {
      if (cache.size() >= MAX_CACHED) {
        evict(cache, a -> now.isBefore(a.reuseUntil()));
      }
      cache.put(key, answer);
    }
    return answer;
  }

  /**
   * The answer held for an RFC 6960 A.1 GET request, by the path segment as it came ({@code
   * encoded}: URL-encoded base64 of the DER request), if this responder still gives it; null
   * otherwise. Never blocks: the HTTP sidecar serves it on the thread that read the request.
   */
  public OcspAnswer heldGet(String encoded) {
    OcspAnswer held = gets.get(encoded);
    if (held != null && isCurrent(held, clock.instant())) {
      cacheHits.inc();
      return held;
    }
    return null;
  }

  /**
   * The answer to an RFC 6960 A.1 GET request from {@code source}; a shared one is held by its path
   * so that a repeated GET is neither decoded nor parsed ({@link #heldGet}).
   */
  public OcspAnswer respondToGet(String encoded, String source) {
    OcspAnswer held = heldGet(encoded);
    if (held != null) {
      return held;
    }
    byte[] der;
    try {
      der = Base64.getDecoder().decode(percentDecode(encoded));
    } catch (IllegalArgumentException e) {
      der = new byte[0];
    }
    OcspAnswer answer = respond(der, source);
    Instant now = clock.instant();
    if (isCurrent(answer, now) && encoded.length() <= MAX_HELD_PATH) {
      if (gets.size() >= MAX_CACHED) {
        evict(gets, a -> isCurrent(a, now));
      }
      gets.put(encoded, answer);
    }
    return answer;
  }

  /** Decodes %XX only: a '+' stays a '+', as base64 needs. */
  static String percentDecode(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        try {
          out.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("not a percent escape: " + s.substring(i, i + 3), e);
        }
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private void warnUnavailable(CaException e) {
    long now = clock.millis();
    long last = lastWarnedMillis.get();
    if (now - last >= WARN_EVERY.toMillis() && lastWarnedMillis.compareAndSet(last, now)) {
      log.warn("OCSP answers tryLater: {} (logged once every {})", e.getMessage(), WARN_EVERY);
    }
  }

  /**
   * Whether {@code answer}, once returned by {@link #respond}, is still the one this responder
   * gives: not past its reuse time, and not dropped by {@link #invalidate} since. Answers held by
   * GET path are reused only while they are.
   */
  private boolean isCurrent(OcspAnswer answer, Instant now) {
    return answer.key() != null
        && now.isBefore(answer.reuseUntil())
        && cache.get(answer.key()) == answer;
  }

  /**
   * Makes room in a cache of answers that reached its bound: drops what {@code current} says is no
   * longer reused, and everything if that is not enough (a flood of distinct requests costs
   * signatures, not memory).
   */
  static <K, V> void evict(Map<K, V> answers, Predicate<V> current) {
    answers.values().removeIf(current.negate());
    if (answers.size() >= MAX_CACHED) {
      answers.clear();
    }
  }

  /** Seconds since the thisUpdate of the oldest answer kept to be served (0: none kept). */
  private double oldestAnswerAge() {
    Instant now = clock.instant();
    Instant oldest = null;
    for (OcspAnswer answer : cache.values()) {
      if (now.isBefore(answer.reuseUntil())
          && (oldest == null || answer.thisUpdate().isBefore(oldest))) {
        oldest = answer.thisUpdate();
      }
    }
    return oldest == null ? 0 : Duration.between(oldest, now).toMillis() / 1000.0;
  }

  /** Who signs the answers. */
  public OcspSigners signers() {
    return signers;
  }

  /**
   * Called when a certificate is revoked: its kept answers are dropped, and those someone was
   * asking about (one per CertID hash algorithm asked with) are signed again at once, so that the
   * next request finds the revoked answer ready. If that signing fails, the next request signs.
   */
  public void invalidate(String serialNumber) {
    revocations.incrementAndGet();
    String suffix = ":" + serialNumber;
    List<String> dropped = new ArrayList<>();
    cache
        .keySet()
        .removeIf(
            k -> {
              boolean match = k.endsWith(suffix);
              if (match) {
                dropped.add(k);
              }
              return match;
            });
    for (String key : dropped) {
      try {
        reSign(key);
      } catch (RuntimeException e) {
        log.warn("re-signing the OCSP answer for {} after its revocation failed", serialNumber, e);
      }
    }
  }

  /**
   * Forgets every kept answer: changes made meanwhile by another replica may not have been heard.
   */
  public void forgetAll() {
    revocations.incrementAndGet();
    cache.clear();
    gets.clear();
  }

  /** Signs (and keeps) the shared answer named by {@code key}, as {@link #cacheKey} made it. */
  private void reSign(String key) {
    String[] parts = key.split(":", 3);
    Authority issuer = authorities.get(parts[0]);
    CertificateID id;
    try {
      id =
          new CertificateID(
              digests.get(new AlgorithmIdentifier(new ASN1ObjectIdentifier(parts[1]))),
              issuer.certificateHolder(),
              new BigInteger(parts[2], 16));
    } catch (OCSPException | OperatorCreationException e) {
      throw new IllegalStateException("CertID for a kept answer " + key, e);
    }
    shared(issuer, id, clock.instant());
  }

  /**
   * Signs an answer: one HTTP caches may keep until {@code reuseUntil}, or (null) for this request
   * only. {@code key} names it in this responder's cache, if it goes there.
   */
  private OcspAnswer sign(
      Authority issuer,
      CertificateID[] ids,
      CertificateStatus[] statuses,
      Instant now,
      Extension nonce,
      Instant reuseUntil,
      String key) {
    Instant thisUpdate = now.truncatedTo(ChronoUnit.SECONDS);
    Instant nextUpdate = thisUpdate.plus(validity);
    OcspSigners.ResponseSigner signer = signers.signerFor(issuer);
    try {
      BasicOCSPRespBuilder builder =
          new BasicOCSPRespBuilder(
              SubjectPublicKeyInfo.getInstance(signer.signer().publicKey().getEncoded()),
              digests.get(CertificateID.HASH_SHA1));
      for (int i = 0; i < ids.length; i++) {
        builder.addResponse(
            ids[i], statuses[i], Date.from(thisUpdate), Date.from(nextUpdate), null);
      }
      if (nonce != null) {
        builder.setResponseExtensions(new Extensions(nonce));
      }
      BasicOCSPResp basic =
          builder.build(
              new TokenContentSigner(signer.signer()),
              signer.certificates(),
              Date.from(thisUpdate));
      byte[] der = new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
      signed.inc();
      String result = "good";
      for (CertificateStatus status : statuses) {
        if (status != CertificateStatus.GOOD) {
          result = "revoked";
        }
      }
      return reuseUntil == null
          ? OcspAnswer.unshared(der, thisUpdate, nextUpdate, result)
          : OcspAnswer.shared(der, thisUpdate, nextUpdate, reuseUntil, key, result);
    } catch (OCSPException | OperatorCreationException | IOException e) {
      log.warn("could not sign an OCSP response", e);
      return status(OCSPResponseStatus.INTERNAL_ERROR);
    }
  }

  /**
   * The status of each request's certificate; null when any of them names a certificate {@code
   * issuer} did not issue (RFC 6960 lets a responder answer {@code unauthorized} rather than sign
   * {@code unknown}: an anonymous caller must not be able to spend the token's signatures).
   */
  private CertificateStatus[] statuses(Authority issuer, CertificateID[] ids) {
    CertificateStatus[] statuses = new CertificateStatus[ids.length];
    for (int i = 0; i < ids.length; i++) {
      CertificateID id = ids[i];
      if (isSubordinate(issuer, id)) {
        statuses[i] = CertificateStatus.GOOD;
        continue;
      }
      Optional<OcspStanding> found =
          id.getSerialNumber().signum() > 0
              ? store.ocspStanding(SerialNumbers.toHex(id.getSerialNumber()))
              : Optional.empty();
      if (found.isEmpty()
          || found.get().state() != CertificateState.ISSUED
          // An imported certificate has no authority of ours: never answered for.
          || !issuer.id().equals(found.get().authorityId())) {
        return null;
      }
      Revocation revocation = found.get().revocation();
      statuses[i] =
          revocation == null
              ? CertificateStatus.GOOD
              : new RevokedStatus(Date.from(revocation.time()), revocation.reason());
    }
    return statuses;
  }

  /** Whether {@code id} names the certificate of one of our CAs that {@code issuer} signed. */
  private boolean isSubordinate(Authority issuer, CertificateID id) {
    for (Authority a : authorities.all()) {
      if (a.chain().size() > 1
          && a.chain().get(1).equals(issuer.certificate())
          && a.certificate().getSerialNumber().equals(id.getSerialNumber())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The authority whose name and key hashes {@code id} carries. The hashes of each authority are
   * computed once per hash algorithm, not per request.
   */
  private Authority issuerOf(CertificateID id) {
    ASN1ObjectIdentifier hash = id.getHashAlgOID();
    for (Authority a : authorities.all()) {
      IssuerHashes hashes = issuerHashes.get(new IssuerKey(a, hash));
      if (hashes == null) {
        try {
          CertificateID own =
              new CertificateID(
                  digests.get(new AlgorithmIdentifier(hash)),
                  a.certificateHolder(),
                  BigInteger.ONE);
          hashes = new IssuerHashes(own.getIssuerNameHash(), own.getIssuerKeyHash());
        } catch (OCSPException | OperatorCreationException e) {
          return null; // a hash algorithm we do not have
        }
        issuerHashes.put(new IssuerKey(a, hash), hashes);
      }
      if (Arrays.equals(hashes.name(), id.getIssuerNameHash())
          && Arrays.equals(hashes.key(), id.getIssuerKeyHash())) {
        return a;
      }
    }
    return null;
  }

  /**
   * By issuer, CertID hash algorithm and serial: an answer names the certificate as its request did
   * (a client matches the CertID it sent, hash algorithm included), so a SHA-1 request and a
   * SHA-256 one for the same certificate get answers of their own. The serial comes last, as {@link
   * #invalidate} finds it.
   */
  private static String cacheKey(Authority issuer, CertificateID id) {
    return issuer.id()
        + ":"
        + id.getHashAlgOID().getId()
        + ":"
        + SerialNumbers.toHex(id.getSerialNumber().abs());
  }

  /** The unsigned answers (RFC 6960 §2.3 error statuses), encoded once. */
  private static final OcspAnswer[] STATUS_ANSWERS = new OcspAnswer[7];

  static {
    for (int status = 1; status < STATUS_ANSWERS.length; status++) {
      try {
        STATUS_ANSWERS[status] =
            OcspAnswer.unshared(
                new OCSPResp(new OCSPResponse(new OCSPResponseStatus(status), null)).getEncoded(),
                null,
                null,
                switch (status) {
                  case OCSPResponseStatus.MALFORMED_REQUEST -> "malformed";
                  case OCSPResponseStatus.INTERNAL_ERROR -> "internal_error";
                  case OCSPResponseStatus.TRY_LATER -> "try_later";
                  case OCSPResponseStatus.UNAUTHORIZED -> "unauthorized";
                  default -> "error";
                });
      } catch (IOException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  private static OcspAnswer status(int status) {
    return STATUS_ANSWERS[status];
  }
}
