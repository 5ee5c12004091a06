package dev.grpca.server.authority;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.hsm.Signer;
import dev.grpca.server.hsm.TokenKey;
import dev.grpca.server.hsm.TokenKeys;
import dev.grpca.server.store.AuthorityStore;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.NameConstraintRules;
import dev.grpca.server.x509.Pem;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.RFC4519Style;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the root and the issuing intermediate exist: on the first start it generates their
 * keys in the token and their certificates; on later starts it finds them again (the database holds
 * the certificate, the token the key under the same label). A token that already has a labelled key
 * and certificate the database lacks (say the database was reset) is adopted, never replaced.
 */
public final class AuthorityBootstrap {
  private static final Logger log = LoggerFactory.getLogger(AuthorityBootstrap.class);

  /** The profile CA certificates are recorded under, in the certificate table like any other. */
  public static final String PROFILE = "grpca-ca";

  /** The profile of the CA certificates SignSubordinate makes for other CAs. */
  public static final String SUBORDINATE_PROFILE = "grpca-subordinate";

  private final TokenKeys token;
  private final AuthorityStore store;
  private final CertificateFactory factory;
  private final IssuerUrls urls;
  private final Clock clock;
  private final OneAtATime creations;

  /**
   * Runs a creation while no other runs, on any replica: a creation found stopped part-way is then
   * one that stopped, never one still running elsewhere.
   */
  public interface OneAtATime {
    <T> T run(Supplier<T> work);

    /** For one process alone on its database (tests of the parts). */
    OneAtATime IN_THIS_PROCESS =
        new OneAtATime() {
          @Override
          public synchronized <T> T run(Supplier<T> work) {
            return work.get();
          }
        };
  }

  public AuthorityBootstrap(
      TokenKeys token,
      AuthorityStore store,
      CertificateFactory factory,
      IssuerUrls urls,
      Clock clock,
      OneAtATime creations) {
    this.creations = creations;
    this.token = token;
    this.store = store;
    this.factory = factory;
    this.urls = urls;
    this.clock = clock;
  }

  /** The URLs the certificates of each authority carry, and its CRL validity. */
  public IssuerUrls urls() {
    return urls;
  }

  /**
   * The root and the intermediate it signs, made at the first start. The intermediate is the
   * default issuer until the default is moved (DisableAuthority with move_profiles_to): from then
   * on the database says which CA it is, whatever the configuration names.
   */
  public Authorities ensure(AuthoritySpec rootSpec, AuthoritySpec intermediateSpec) {
    Authority root = loadOrCreate(rootSpec, null);
    Authority intermediate = loadOrCreate(intermediateSpec, root);
    String defaultId = store.claimDefault(intermediate.id());
    if (!defaultId.equals(intermediate.id())) {
      log.info(
          "the default issuer is {} (moved from the configured {})", defaultId, intermediate.id());
    }
    return withTheOthers(new Authorities(List.of(root, intermediate), intermediate.id()));
  }

  /**
   * {@code authorities} with every other CA the database has (made at run time, here or on another
   * replica), and set to load the ones made from now on elsewhere when they are first asked for.
   */
  private Authorities withTheOthers(Authorities authorities) {
    authorities.loadWith(id -> loadMade(id, authorities), () -> loadAll(authorities));
    loadAll(authorities);
    return authorities;
  }

  private void loadAll(Authorities authorities) {
    java.util.Set<String> disabled = new java.util.HashSet<>();
    String defaultId = null;
    for (StoredAuthority row : store.list()) {
      if (row.isComplete()) {
        authorities.find(row.id());
        if (row.isDefault() && defaultId == null) {
          defaultId = row.id();
        }
      }
      if (StoredAuthority.DISABLED.equals(row.state())) {
        disabled.add(row.id());
      }
    }
    authorities.disabled(disabled);
    store.settings().forEach(urls::configure);
    if (defaultId != null) {
      authorities.defaultIs(defaultId);
    }
  }

  /** A CA made at run time, with its parent (loaded first if need be); empty if there is none. */
  private Optional<Authority> loadMade(String id, Authorities authorities) {
    Optional<StoredAuthority> row = store.find(id).filter(StoredAuthority::isComplete);
    if (row.isEmpty()) {
      return Optional.empty();
    }
    Authority parent =
        row.get().parentId() == null ? null : authorities.find(row.get().parentId()).orElse(null);
    if (row.get().parentId() != null && parent == null) {
      return Optional.empty();
    }
    return Optional.of(load(id, row.get(), parent));
  }

  /**
   * The root and the intermediate as another process made them: nothing is created or adopted, and
   * a missing one is an error (responder mode).
   */
  public Authorities loadExisting(AuthoritySpec rootSpec, AuthoritySpec intermediateSpec) {
    Authority root = loadStored(rootSpec, null);
    Authority intermediate = loadStored(intermediateSpec, root);
    return withTheOthers(new Authorities(List.of(root, intermediate), intermediate.id()));
  }

  private Authority loadStored(AuthoritySpec spec, Authority parent) {
    StoredAuthority row =
        store
            .find(spec.id())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "authority "
                            + spec.id()
                            + " is not in the database yet: start the CA itself first"));
    if (!row.isComplete()) {
      throw new IllegalStateException(
          "authority " + spec.id() + " is still being created: start the CA itself first");
    }
    return load(spec.id(), row, parent);
  }

  private Authority loadOrCreate(AuthoritySpec spec, Authority parent) {
    Optional<StoredAuthority> stored = store.find(spec.id());
    if (stored.isPresent() && stored.get().isComplete()) {
      return load(spec.id(), stored.get(), parent);
    }
    if (stored.isPresent()) {
      return resumed(spec, parent, parent == null ? null : 0, NameConstraintRules.NONE);
    }
    Optional<TokenKey> key = token.find(spec.keyLabel());
    if (key.isPresent()) {
      X509Certificate certificate = key.get().certificate();
      if (!isFinished(certificate)) {
        // A first start that stopped between labelling the key and writing the row: nothing was
        // recorded or signed under it yet.
        token.delete(spec.keyLabel());
        log.info(
            "authority {}: the key of a start that stopped removed; making it again", spec.id());
        return create(spec, parent, false, parent == null ? null : 0, NameConstraintRules.NONE);
      }
      checkParent(spec, certificate, parent);
      insert(spec, parent, certificate);
      log.info("authority {} adopted from the token (key '{}')", spec.id(), spec.keyLabel());
      return new Authority(
          spec.id(),
          parent == null ? null : parent.id(),
          chain(certificate, parent),
          key.get().signer());
    }
    return create(spec, parent, false, parent == null ? null : 0, NameConstraintRules.NONE);
  }

  /**
   * A creation that stopped after its row was written (the token or the database failed, or the
   * process died), finished or made again under that row: with the key the token holds when its
   * real certificate got there (only the row's completion was missing), else with a new key, the
   * stopped one's removed first.
   */
  private Authority resumed(
      AuthoritySpec spec,
      Authority parent,
      Integer pathLength,
      NameConstraintRules nameConstraints) {
    Optional<TokenKey> key = token.find(spec.keyLabel());
    if (key.isPresent()) {
      X509Certificate certificate = key.get().certificate();
      if (isFinished(certificate) && isSignedBy(certificate, parent)) {
        store.complete(spec.id(), Pem.certificate(certificate), spec.subject(), clock.instant());
        log.info("authority {} completed from the token (key '{}')", spec.id(), spec.keyLabel());
        return new Authority(
            spec.id(),
            parent == null ? null : parent.id(),
            chain(certificate, parent),
            key.get().signer());
      }
      token.delete(spec.keyLabel());
      log.info(
          "authority {}: the key of a creation that stopped removed from the token; making it"
              + " again",
          spec.id());
    }
    return create(spec, parent, true, pathLength, nameConstraints);
  }

  /**
   * Whether a CA certificate the token holds is the real one, not the placeholder a key sits beside
   * while its creation runs: only the real one may sign CRLs.
   */
  private static boolean isFinished(X509Certificate certificate) {
    boolean[] usage = certificate.getKeyUsage();
    return usage != null && usage.length > 6 && usage[6];
  }

  private static boolean isSignedBy(X509Certificate certificate, Authority parent) {
    try {
      certificate.verify(
          parent == null ? certificate.getPublicKey() : parent.certificate().getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private Authority load(String id, StoredAuthority row, Authority parent) {
    TokenKey tokenKey =
        token
            .find(row.keyLabel())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "authority "
                            + id
                            + ": its key '"
                            + row.keyLabel()
                            + "' is not in the token (does hsm.pkcs11_config name the token"
                            + " this database was made with?)"));
    X509Certificate certificate = Certificates.parsePem(row.certificatePem());
    if (!certificate.getPublicKey().equals(tokenKey.certificate().getPublicKey())) {
      throw new IllegalStateException(
          "authority " + id + ": the token key '" + row.keyLabel() + "' is not its key");
    }
    log.info("authority {} loaded (key '{}' in the token)", id, row.keyLabel());
    List<X509Certificate> chain = chain(certificate, parent);
    if (row.chainPem() != null) {
      // Under an external root: the chain it was activated with.
      chain.addAll(Certificates.parseAll("chain_pem", row.chainPem()));
    }
    return new Authority(id, parent == null ? null : parent.id(), chain, tokenKey.signer());
  }

  /** An intermediate for an external root, made and waiting for its certificate. */
  public record Pending(StoredAuthority row, String csrPem) {}

  /**
   * An intermediate for an external root (CreateIntermediate with external): its row first (state
   * PENDING_CSR), then its key in the token, then its CSR, signed by that key. The token lists a
   * key only beside a certificate, so until {@link #activate} brings the real one a placeholder
   * self-signed certificate sits there; it is never served nor trusted, and it is not one this CA
   * issues, so it is not recorded.
   */
  public Pending createPending(AuthoritySpec spec) {
    return creations.run(() -> pending(spec));
  }

  private Pending pending(AuthoritySpec spec) {
    if (store.find(spec.id()).isPresent()) {
      throw taken(spec.id(), "");
    }
    if (token.find(spec.keyLabel()).isPresent()) {
      throw taken(spec.id(), " (the token has a key labelled '" + spec.keyLabel() + "')");
    }
    try {
      store.insert(
          new StoredAuthority(
              spec.id(),
              null,
              spec.keyLabel(),
              null,
              false,
              clock.instant(),
              StoredAuthority.PENDING_CSR,
              null,
              null));
    } catch (AuthorityStore.DuplicateAuthorityException e) {
      throw taken(spec.id(), "");
    }
    Signer signer = token.generate(spec.keyAlgorithm());
    X500Name subject =
        X500Name.getInstance(BCStyle.INSTANCE, new X500Name(RFC4519Style.INSTANCE, spec.subject()));
    token.store(spec.keyLabel(), signer, Csrs.placeholder(signer, subject, clock.instant()));
    String csr = Csrs.request(signer, subject);
    store.pendingCsr(spec.id(), csr);
    log.info(
        "authority {}: {} key '{}' made in the token, its CSR out for an external root",
        spec.id(),
        spec.keyAlgorithm().displayName(),
        spec.keyLabel());
    return new Pending(store.find(spec.id()).orElseThrow(), csr);
  }

  /**
   * The PENDING_CSR intermediate {@code id} made ACTIVE with {@code certificate}, which the
   * external root signed, and {@code above}, the chain from its issuer up to that root. Java's PKIX
   * validator checks the path as relying parties will (signatures, validity now, CA flags, path
   * lengths, name constraints); the certificate must carry the token key and may sign certificates.
   */
  public Authority activate(String id, X509Certificate certificate, List<X509Certificate> above) {
    StoredAuthority row =
        store
            .find(id)
            .orElseThrow(
                () ->
                    CaException.field(
                        ErrorKind.NOT_FOUND, "authority_id", "no authority '" + id + "'"));
    if (!row.isPending()) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "authority_id",
          "authority '" + id + "' is " + row.state() + ", not waiting for a certificate");
    }
    TokenKey key =
        token
            .find(row.keyLabel())
            .orElseThrow(
                () ->
                    CaException.unavailable(
                        "the key '" + row.keyLabel() + "' of " + id + " is not in the token",
                        null));
    if (!certificate.getPublicKey().equals(key.certificate().getPublicKey())) {
      throw CaException.invalid(
          "certificate_pem",
          "it certifies another key than the one " + id + "'s CSR carried (made in the token)");
    }
    boolean[] usage = certificate.getKeyUsage();
    if (certificate.getBasicConstraints() < 0 || usage == null || !usage[5]) {
      throw CaException.invalid(
          "certificate_pem",
          "not a CA certificate (expected: basicConstraints CA:TRUE and keyUsage keyCertSign)");
    }
    ExternalPaths.validate(certificate, above, clock.instant());
    token.store(row.keyLabel(), key.signer(), certificate);
    String subject =
        Certificates.rfc4514(
            X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()));
    if (!store.activate(
        id, Pem.certificate(certificate), Pem.certificates(above), subject, clock.instant())) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "authority_id",
          "authority '" + id + "' was activated already");
    }
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    chain.addAll(above);
    log.info(
        "authority {} activated: under {}",
        id,
        above.get(above.size() - 1).getSubjectX500Principal());
    return new Authority(id, null, chain, key.signer());
  }

  /**
   * A new key in the token and its certificate, through the one certificate path: checked, then the
   * CA's row written (the certificate row needs it, for a root), then the certificate recorded,
   * signed and stored, then the key labelled in the token and the CA's row completed.
   */
  private Authority create(
      AuthoritySpec spec,
      Authority parent,
      boolean rowWritten,
      Integer pathLength,
      NameConstraintRules nameConstraints) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Signer signer = token.generate(spec.keyAlgorithm());
    X500Name subject =
        X500Name.getInstance(BCStyle.INSTANCE, new X500Name(RFC4519Style.INSTANCE, spec.subject()));
    // Labelled at once, beside a placeholder: a creation that stops from here on leaves a key that
    // is found (and removed, or finished) when it is tried again, never an unlabelled one.
    token.store(spec.keyLabel(), signer, Csrs.placeholder(signer, subject, clock.instant()));
    X509Certificate x509;
    try {
      x509 = signed(spec, parent, rowWritten, pathLength, nameConstraints, signer, subject, now);
      token.store(spec.keyLabel(), signer, x509);
    } catch (RuntimeException e) {
      discard(spec.keyLabel(), e);
      throw e;
    }
    // Should this fail, the token holds the real certificate: a retry completes from it.
    store.complete(spec.id(), Pem.certificate(x509), spec.subject(), clock.instant());
    log.info(
        "authority {} created: {} key '{}' made in the token, valid until {}",
        spec.id(),
        spec.keyAlgorithm().displayName(),
        spec.keyLabel(),
        x509.getNotAfter().toInstant());
    return new Authority(
        spec.id(), parent == null ? null : parent.id(), chain(x509, parent), signer);
  }

  /** Removes the key of a creation that failed; if the token fails too, a retry removes it. */
  private void discard(String label, RuntimeException failure) {
    try {
      token.delete(label);
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /** The CA's certificate, through the one certificate path (its row written first if need be). */
  private X509Certificate signed(
      AuthoritySpec spec,
      Authority parent,
      boolean rowWritten,
      Integer pathLength,
      NameConstraintRules nameConstraints,
      Signer signer,
      X500Name subject,
      Instant now) {
    Instant notAfter = now.plus(spec.lifetime());
    if (parent != null && notAfter.isAfter(parent.issuer().notAfter())) {
      notAfter = parent.issuer().notAfter();
    }
    CertificateSpec.Builder certificate =
        CertificateSpec.builder(
                subject,
                SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()),
                now,
                notAfter)
            .ca(pathLength)
            .nameConstraints(nameConstraints)
            .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature);
    if (parent != null) {
      certificate.issuerUrls(urls.of(parent.id()));
    }
    CertificateFactory.Recording recording = CertificateFactory.Recording.system(PROFILE);
    CertificateFactory.Prepared prepared =
        parent == null
            ? factory.prepareSelfSigned(spec.id(), signer, certificate, recording)
            : factory.prepare(CertificateFactory.SigningKey.of(parent), certificate, recording);
    if (!rowWritten) {
      insert(spec, parent, null);
    }
    return Certificates.parsePem(factory.issue(prepared).certificatePem());
  }

  /**
   * A CA made while the server runs (CreateRoot, CreateIntermediate): its row first, so that two
   * calls for one id (here or on two replicas) collide before any key is made; then its key in the
   * token and its certificate through the one certificate path. A creation that stopped part-way
   * (its row has no certificate) is made again under its row.
   *
   * @param parent null for a root
   * @param pathLength its pathLenConstraint; null for none
   */
  public Authority createNow(
      AuthoritySpec spec,
      Authority parent,
      Integer pathLength,
      NameConstraintRules nameConstraints) {
    return creations.run(() -> creating(spec, parent, pathLength, nameConstraints));
  }

  private Authority creating(
      AuthoritySpec spec,
      Authority parent,
      Integer pathLength,
      NameConstraintRules nameConstraints) {
    Optional<StoredAuthority> stored = store.find(spec.id());
    String parentId = parent == null ? null : parent.id();
    if (stored.isPresent()
        && (stored.get().isComplete()
            || stored.get().isPending()
            || !Objects.equals(stored.get().parentId(), parentId))) {
      throw taken(spec.id(), "");
    }
    if (stored.isPresent()) {
      return resumed(spec, parent, pathLength, nameConstraints);
    }
    if (token.find(spec.keyLabel()).isPresent()) {
      throw taken(spec.id(), " (the token has a key labelled '" + spec.keyLabel() + "')");
    }
    try {
      insert(spec, parent, null);
    } catch (AuthorityStore.DuplicateAuthorityException e) {
      throw taken(spec.id(), "");
    }
    return create(spec, parent, true, pathLength, nameConstraints);
  }

  /** An id that is taken: by a CA, a creation under another parent, or a key in the token. */
  private static CaException taken(String id, String by) {
    return CaException.field(
        ErrorKind.ALREADY_EXISTS, "authority_id", "authority '" + id + "' exists already" + by);
  }

  /** The CA's row; {@code certificate} null while it is being created. */
  private void insert(AuthoritySpec spec, Authority parent, X509Certificate certificate) {
    store.insert(
        new StoredAuthority(
            spec.id(),
            parent == null ? null : parent.id(),
            spec.keyLabel(),
            certificate == null ? null : Pem.certificate(certificate),
            false,
            clock.instant()));
  }

  private static void checkParent(AuthoritySpec spec, X509Certificate cert, Authority parent) {
    X509Certificate expectedIssuer = parent == null ? cert : parent.certificate();
    try {
      cert.verify(expectedIssuer.getPublicKey());
    } catch (Exception e) {
      throw new IllegalStateException(
          "authority " + spec.id() + ": the certificate in the token is not signed by its parent",
          e);
    }
  }

  private static List<X509Certificate> chain(X509Certificate certificate, Authority parent) {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    if (parent != null) {
      chain.addAll(parent.chain());
    }
    return chain;
  }
}
