package dev.grpca.server.issuance;

import com.codahale.metrics.Timer;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.authority.CertificateFactory;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.policy.Profile;
import dev.grpca.server.policy.ProfileCatalog;
import dev.grpca.server.policy.Template;
import dev.grpca.server.store.HeldKey;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.RequestTakenException;
import dev.grpca.server.store.ResourceNames;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.Upkeep;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.PublicKeyInfo;
import dev.grpca.server.x509.SerialNumbers;
import dev.grpca.server.x509.SubjectFields;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The issuance cycle, in Boulder's order: request -> policy -> build the TBS certificate -> check
 * it (placeholder signature, parsed back) -> record it durably -> the HSM signs -> verify -> store
 * the certificate durably -> answer. Nothing is returned that is not stored.
 */
public final class IssuanceService {
  private final ProfileCatalog profiles;
  private final Authorities authorities;
  private final IssuancePolicy policy;
  private final CertificateQueries queries;
  private final CertificateFactory factory;
  private final SecureRandom random;
  private final Provider verifier;
  private final IssuerUrls urls;
  private final Clock clock;
  private final Metrics metrics;
  private final Timer policyStep;
  private final RequestIds requests;
  private final KeyCarrier carrier;

  public IssuanceService(
      ProfileCatalog profiles,
      Authorities authorities,
      IssuancePolicy policy,
      CertificateQueries queries,
      CertificateFactory factory,
      SecureRandom random,
      Provider verifier,
      IssuerUrls urls,
      Clock clock,
      Metrics metrics,
      RequestIds requests,
      KeyCarrier carrier) {
    this.requests = requests;
    this.carrier = carrier;
    this.metrics = metrics;
    this.policyStep = metrics.timer(MetricNames.ISSUANCE_STEP, "policy");
    this.profiles = profiles;
    this.authorities = authorities;
    this.policy = policy;
    this.queries = queries;
    this.factory = factory;
    this.random = random;
    this.verifier = verifier;
    this.urls = urls;
    this.clock = clock;
  }

  /** Issue with a generated resource name and no request id. */
  public IssueResult issue(IssuanceRequest request, KeyAlgorithm algorithm) {
    return issue(request, algorithm, "", null);
  }

  /**
   * Issue: the server makes the key pair ({@code null}: the profile's first allowed type). {@code
   * name} is the resource name the certificate is to hold; empty: one is made from its names. With
   * a request {@code key}, a repeat of the call answers the first call's certificate, without the
   * key.
   */
  public IssueResult issue(
      IssuanceRequest request, KeyAlgorithm algorithm, String name, RequestKey key) {
    return issue(request, algorithm, name, key, Upkeeping.DEFAULT);
  }

  /**
   * Seals a private key (PKCS#8 DER) made for the certificate {@code serial} for the CA to hold:
   * the one-time download.
   */
  @FunctionalInterface
  public interface KeyHolder {
    HeldKey hold(String serial, byte[] pkcs8);
  }

  /**
   * What a caller chose for the certificate's upkeep: {@code holder} seals the key for the CA to
   * hold (Issue with download delivery; null: the key is not held), {@code renewChoice} is "ON" or
   * "OFF" for the CA's auto-renewal (null: as the profile says). Both are recorded with the row,
   * before the certificate is signed.
   */
  /**
   * The key the CA holds for a download of {@code fromSerial}, sealed again for the certificate
   * that renews it (a renewal keeps the public key, so the one bundle still fits): null when none
   * is held. The new hold ends when the old one does.
   */
  @FunctionalInterface
  public interface KeyCarrier {
    /** Holds no key for any renewal. */
    KeyCarrier NONE = fromSerial -> null;

    Function<String, HeldKey> carry(String fromSerial);
  }

  public record Upkeeping(KeyHolder holder, String renewChoice) {
    /** The key not held, auto-renewal as the profile says. */
    public static final Upkeeping DEFAULT = new Upkeeping(null, null);
  }

  /**
   * {@link #issue(IssuanceRequest, KeyAlgorithm, String, RequestKey)} with the caller's {@code
   * upkeeping} choices.
   */
  public IssueResult issue(
      IssuanceRequest request,
      KeyAlgorithm algorithm,
      String name,
      RequestKey key,
      Upkeeping upkeeping) {
    return counted(
        "Issue",
        attempt -> {
          Optional<IssuedCertificate> earlier = earlier(request, key, attempt);
          if (earlier.isPresent()) {
            return IssueResult.repeat(earlier.get());
          }
          String resource = resourceName(name);
          try {
            IssueResult result =
                issue(
                    attempt.profile(profiles.require(request.profile())),
                    request,
                    algorithm,
                    resource,
                    key,
                    upkeeping);
            attempt.validated(result.certificate());
            return result;
          } catch (RequestTakenException e) {
            return IssueResult.repeat(raced(key, attempt));
          }
        });
  }

  /**
   * Whether a call with {@code key} repeats one whose certificate is stored: it will be answered
   * from the store, so it costs no rate-limit token.
   */
  public boolean repeats(RequestKey key) {
    return requests.earlierCertificate(key).isPresent();
  }

  /** The certificate an earlier call with {@code key} made (none for a validate-only request). */
  private Optional<IssuedCertificate> earlier(
      IssuanceRequest request, RequestKey key, Attempt attempt) {
    if (request.validateOnly()) {
      return Optional.empty();
    }
    return requests.earlierCertificate(key).map(c -> attempt.repeated(issued(c)));
  }

  /** Another call with the same request id recorded first: its certificate. */
  private IssuedCertificate raced(RequestKey key, Attempt attempt) {
    return requests
        .earlierCertificate(key)
        .map(c -> attempt.repeated(issued(c)))
        .orElseThrow(
            () ->
                CaException.unavailable(
                        "another call with request_id '" + key.requestId() + "' failed; retry",
                        null)
                    .retryAfter(Duration.ofSeconds(1)));
  }

  private IssuedCertificate issued(StoredCertificate c) {
    return new IssuedCertificate(c, authorities.get(c.authorityId()).chain());
  }

  /** Issue under a profile the caller cannot name (the server's own TLS certificate). */
  public IssueResult issue(Profile profile, IssuanceRequest request, KeyAlgorithm algorithm) {
    return issue(profile, request, algorithm, null, null, Upkeeping.DEFAULT);
  }

  /**
   * The resource name asked for, checked: its syntax, and that no certificate holds it (the unique
   * index decides when two ask at once). Empty asks for a generated one.
   */
  private String resourceName(String name) {
    if (name.isEmpty()) {
      return CertificateFactory.Recording.GENERATED;
    }
    ResourceNames.require("name", name);
    if (queries.findByName(name).isPresent()) {
      throw CaException.field(
          ErrorKind.ALREADY_EXISTS,
          "name",
          "'" + name + "' is the name of another certificate (names are unique)");
    }
    return name;
  }

  private IssueResult issue(
      Profile profile,
      IssuanceRequest request,
      KeyAlgorithm algorithm,
      String name,
      RequestKey requestKey,
      Upkeeping upkeeping) {
    KeyAlgorithm keyAlgorithm = algorithm == null ? profile.defaultKeyType() : algorithm;
    Authority issuer = authorities.issuing(profile.authorityId(), profile.issueFromRoot());
    Instant now = clock.instant();
    // Policy runs before the key is made: a refused request costs no key generation.
    PublicKeyInfo key = PublicKeyInfo.of(keyAlgorithm);
    Template template = policy(request, profile, key, "key_type", issuer, now);
    KeyPair keyPair;
    try {
      keyPair = keyAlgorithm.generate(null, random);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("generating a " + keyAlgorithm.displayName() + " key", e);
    }
    SubjectPublicKeyInfo publicKey =
        SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded());
    KeyHolder holder = upkeeping.holder();
    Function<String, HeldKey> hold =
        holder == null ? null : serial -> holder.hold(serial, keyPair.getPrivate().getEncoded());
    IssuedCertificate issued =
        certify(
            request,
            profile,
            template,
            publicKey,
            issuer,
            null,
            name,
            requestKey,
            hold,
            upkeeping.renewChoice());
    return new IssueResult(issued, issued == null ? null : keyPair);
  }

  /**
   * Sign: certifies the key of a CSR whose signature verifies. Names come from the request; when it
   * names nothing, from the CSR (checked the same way).
   */
  public IssuedCertificate sign(IssuanceRequest request, String csrPem) {
    return sign(request, csrPem, "", null, null);
  }

  /**
   * Sign, the certificate to hold resource name {@code name} (empty: a generated one); a repeat of
   * the call's request {@code key} answers the first call's certificate.
   */
  public IssuedCertificate sign(
      IssuanceRequest request, String csrPem, String name, RequestKey key, String renewChoice) {
    return counted(
        "Sign",
        attempt -> {
          Optional<IssuedCertificate> earlier = earlier(request, key, attempt);
          if (earlier.isPresent()) {
            return earlier.get();
          }
          String resource = resourceName(name);
          try {
            return attempt.validated(
                sign(
                    attempt.profile(profiles.require(request.profile())),
                    request,
                    csrPem,
                    resource,
                    key,
                    renewChoice));
          } catch (RequestTakenException e) {
            return raced(key, attempt);
          }
        });
  }

  private IssuedCertificate sign(
      Profile profile,
      IssuanceRequest request,
      String csrPem,
      String name,
      RequestKey requestKey,
      String renewChoice) {
    Csr csr = Csr.parse(csrPem, verifier);
    IssuanceRequest named = request.hasNames() ? request : withCsrNames(request, csr, profile);
    Authority issuer = authorities.issuing(profile.authorityId(), profile.issueFromRoot());
    Instant now = clock.instant();
    PublicKeyInfo key = PublicKeyInfo.of(csr.publicKey());
    Template template = policy(named, profile, key, "csr_pem", issuer, now);
    return certify(
        named,
        profile,
        template,
        csr.publicKey(),
        issuer,
        null,
        name,
        requestKey,
        null,
        renewChoice);
  }

  /**
   * Renew: a new certificate for the subject, names, labels and public key of an issued one, under
   * its profile as the profile is now, linked to it. {@code presentedSerial} is the serial of the
   * caller's TLS client certificate when that is how it authenticated (null otherwise): it must be
   * the certificate being renewed.
   */
  public IssuedCertificate renew(
      String serialText, Duration lifetime, String principal, String presentedSerial) {
    return renew(serialText, lifetime, principal, presentedSerial, null);
  }

  /** Renew; a repeat of the call's request {@code key} answers the first call's renewal. */
  public IssuedCertificate renew(
      String serialText,
      Duration lifetime,
      String principal,
      String presentedSerial,
      RequestKey key) {
    return counted(
        "Renew",
        attempt -> {
          Optional<IssuedCertificate> earlier =
              requests.earlierCertificate(key).map(c -> attempt.repeated(issued(c)));
          if (earlier.isPresent()) {
            return earlier.get();
          }
          try {
            return renew(attempt, serialText, lifetime, principal, presentedSerial, key);
          } catch (RequestTakenException e) {
            return raced(key, attempt);
          }
        });
  }

  private IssuedCertificate renew(
      Attempt attempt,
      String serialText,
      Duration lifetime,
      String principal,
      String presentedSerial,
      RequestKey requestKey) {
    String serial = SerialNumbers.requireHex("serial_number", serialText);
    if (presentedSerial != null && !presentedSerial.equals(serial)) {
      throw CaException.denied(
          "serial_number",
          "the TLS client certificate (" + presentedSerial + ") is not the one being renewed");
    }
    StoredCertificate old = queries.get(serial);
    Instant now = clock.instant();
    if (old.imported() != null) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "serial_number",
          serial
              + " was imported (issued by "
              + old.imported().issuer()
              + "): renew it at its CA, then replace it with UpdateCertificate");
    }
    if (old.revocation() != null) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "serial_number",
          serial + " is revoked and cannot be renewed");
    }
    Profile profile =
        profiles
            .find(old.profile())
            .orElseThrow(
                () ->
                    CaException.field(
                        ErrorKind.FAILED_PRECONDITION,
                        "serial_number",
                        "its profile '" + old.profile() + "' no longer exists"));
    attempt.profile(profile);
    if (now.isAfter(old.notAfter().plus(profile.renewGrace()))) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "serial_number",
          serial
              + " expired at "
              + old.notAfter()
              + " and cannot be renewed (profile '"
              + profile.name()
              + "' renew_grace "
              + DurationText.human(profile.renewGrace())
              + ")");
    }
    X509Certificate certificate = Certificates.parsePem(old.certificatePem());
    SubjectPublicKeyInfo publicKey =
        SubjectPublicKeyInfo.getInstance(certificate.getPublicKey().getEncoded());
    IssuanceRequest request =
        new IssuanceRequest(
            profile.name(),
            SubjectFields.of(
                X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded())),
            old.dnsNames(),
            old.ipAddresses(),
            old.emailAddresses(),
            old.uris(),
            lifetime,
            old.labels(),
            false,
            principal);
    Authority issuer = authorities.issuing(profile.authorityId(), profile.issueFromRoot());
    PublicKeyInfo key = PublicKeyInfo.of(publicKey);
    Template template = policy(request, profile, key, "serial_number", issuer, now);
    // A renewal keeps the choice its predecessor was issued with.
    return certify(
        request,
        profile,
        template,
        publicKey,
        issuer,
        serial,
        null,
        requestKey,
        carrier.carry(serial),
        queries.renewChoice(serial).orElse(null));
  }

  private Template policy(
      IssuanceRequest request,
      Profile profile,
      PublicKeyInfo key,
      String keyField,
      Authority issuer,
      Instant now) {
    if (!now.isBefore(issuer.issuer().notAfter())) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "profile",
          "its authority '"
              + issuer.id()
              + "' expired at "
              + issuer.issuer().notAfter()
              + ": move the profile to another (UpdateProfile authority_id)");
    }
    long start = System.nanoTime();
    try {
      return policy.apply(request, profile, key, keyField, issuer.issuer(), now);
    } finally {
      policyStep.update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * What one Issue, Sign or Renew request came to, for {@link MetricNames#ISSUANCE}: its profile
   * and authority once known (never a name the caller made up), and whether it only validated.
   */
  private final class Attempt {
    private String profile = "-";
    private String authority = "-";
    private boolean validated;
    private boolean repeated;

    /** Returns {@code earlier}, noting that the request repeated an earlier one. */
    IssuedCertificate repeated(IssuedCertificate earlier) {
      repeated = true;
      profiles.find(earlier.stored().profile()).ifPresent(this::profile);
      return earlier;
    }

    Profile profile(Profile p) {
      profile = p.name();
      String id = p.authorityId();
      authority = id.isEmpty() || authorities.contains(id) ? authorities.get(id).id() : "-";
      return p;
    }

    /** Returns {@code issued}, noting whether it is null (the request only validated). */
    <T> T validated(T issued) {
      validated = issued == null;
      return issued;
    }
  }

  private <T> T counted(String rpc, java.util.function.Function<Attempt, T> work) {
    Attempt attempt = new Attempt();
    String outcome = "failed";
    try {
      T result = work.apply(attempt);
      outcome = attempt.repeated ? "repeated" : attempt.validated ? "validated" : "issued";
      return result;
    } catch (CaException e) {
      outcome =
          e.kind() == ErrorKind.UNAVAILABLE || e.kind() == ErrorKind.INTERNAL
              ? "failed"
              : "refused";
      throw e;
    } finally {
      metrics.counter(MetricNames.ISSUANCE, rpc, attempt.profile, attempt.authority, outcome).inc();
    }
  }

  /** The CSR's subject and SANs, each only where the profile says to use it. */
  static IssuanceRequest withCsrNames(IssuanceRequest request, Csr csr, Profile profile) {
    boolean sans = profile.useCsrSans();
    return request.withNames(
        profile.useCsrSubject() ? csr.subject() : SubjectFields.EMPTY,
        sans ? csr.dnsNames() : List.of(),
        sans ? csr.ipAddresses() : List.of(),
        sans ? csr.emailAddresses() : List.of(),
        sans ? csr.uris() : List.of());
  }

  private IssuedCertificate certify(
      IssuanceRequest request,
      Profile profile,
      Template t,
      SubjectPublicKeyInfo publicKey,
      Authority issuer,
      String renewedFrom,
      String name,
      RequestKey key,
      Function<String, HeldKey> hold,
      String renewChoice) {
    CertificateSpec.Builder spec =
        CertificateSpec.builder(t.subject(), publicKey, t.notBefore(), t.notAfter())
            .keyUsage(t.keyUsage())
            .extendedKeyUsages(t.extendedKeyUsages())
            .dnsNames(t.dnsNames())
            .ipAddresses(t.ipAddresses())
            .emailAddresses(t.emailAddresses())
            .uris(t.uris())
            .issuerUrls(urls.of(issuer.id()));
    CertificateFactory.Prepared prepared =
        factory.prepare(
            CertificateFactory.SigningKey.of(issuer),
            spec,
            new CertificateFactory.Recording(
                profile.name(), request.labels(), request.requestedBy(), renewedFrom, name, key));
    if (request.validateOnly()) {
      return null;
    }
    boolean renews = "ON".equals(renewChoice) || (renewChoice == null && profile.autoRenew());
    // The CA renews it at renew_before, or (when it does not) tells its watchers then.
    Instant due = profile.renewAt(t.notBefore(), t.notAfter());
    return new IssuedCertificate(
        factory.issue(
            prepared,
            serial ->
                new Upkeep(
                    hold == null ? null : hold.apply(serial),
                    renewChoice,
                    renews ? due : null,
                    renews ? null : due)),
        issuer.chain());
  }
}
