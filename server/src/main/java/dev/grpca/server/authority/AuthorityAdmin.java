package dev.grpca.server.authority;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.store.AuthorityStore;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.IssuerSettings;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.NameConstraintRules;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.RFC4519Style;

/**
 * Making CAs while the server runs: the checks of CreateRoot and CreateIntermediate, then {@link
 * AuthorityBootstrap#createNow}. Each new CA joins {@link Authorities} and is handed to {@code
 * made} (its first CRL, the watchers of trust bundles).
 */
public final class AuthorityAdmin {
  private static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?");
  private static final Duration MIN_LIFETIME = Duration.ofDays(1);
  private static final Duration MAX_LIFETIME = Duration.ofDays(100 * 366);
  private static final int MAX_PATH_LENGTH = 16;

  /**
   * What a new CA is to be: {@code pathLength} null for the default (none for a root, else 0),
   * {@code nameConstraints} null for none.
   */
  public record Request(
      String id,
      String subject,
      KeyAlgorithm keyAlgorithm,
      Duration lifetime,
      Integer pathLength,
      NameConstraintRules nameConstraints) {
    public Request {
      nameConstraints = nameConstraints == null ? NameConstraintRules.NONE : nameConstraints;
    }
  }

  /** Points the profiles of one authority at another (ProfileCatalog#moveAuthority). */
  @FunctionalInterface
  public interface ProfileMover {
    List<String> move(String from, String to, String principal);
  }

  /** What DisableAuthority did: the authority, and the profiles moved off it. */
  public record Disabled(Authority authority, List<String> movedProfiles) {}

  private final Authorities authorities;
  private final AuthorityStore store;
  private final ProfileMover mover;
  private final AuthorityBootstrap bootstrap;
  private final Clock clock;
  private final Consumer<Authority> made;

  public AuthorityAdmin(
      Authorities authorities,
      AuthorityStore store,
      ProfileMover mover,
      AuthorityBootstrap bootstrap,
      Clock clock,
      Consumer<Authority> made) {
    this.authorities = authorities;
    this.store = store;
    this.mover = mover;
    this.bootstrap = bootstrap;
    this.clock = clock;
    this.made = made;
  }

  /** The URLs the certificates of each authority carry, and its CRL validity. */
  public IssuerUrls urls() {
    return bootstrap.urls();
  }

  /** A new root: self-signed, no path length unless asked. */
  public Authority createRoot(Request r) {
    AuthoritySpec spec = spec(r, KeyAlgorithm.EC_P384, Duration.ofDays(3650));
    return added(
        bootstrap.createNow(
            spec,
            null,
            r.pathLength() == null ? null : pathLength(r.pathLength(), "path_length"),
            r.nameConstraints().checked()));
  }

  /**
   * A new intermediate signed by {@code parentId}: the parent must be valid now and its path length
   * must allow a CA below it, with a shorter one.
   */
  public Authority createIntermediate(Request r, String parentId) {
    Authority parent = parentFor(parentId);
    AuthoritySpec spec = spec(r, KeyAlgorithm.EC_P256, Duration.ofDays(1825));
    int pathLength = childPathLength(parent, r.pathLength(), "path_length");
    return added(bootstrap.createNow(spec, parent, pathLength, r.nameConstraints().checked()));
  }

  /**
   * An intermediate for an external root: its key in the token, its CSR back for that root to sign
   * (state PENDING_CSR until {@link #activate}). Its path length and name constraints are the
   * external root's to set in the certificate.
   */
  public AuthorityBootstrap.Pending createExternal(Request r) {
    if (r.pathLength() != null) {
      throw CaException.invalid(
          "path_length", "set by the external root in the certificate it signs (leave it unset)");
    }
    if (!r.nameConstraints().isEmpty()) {
      throw CaException.invalid(
          "name_constraints",
          "set by the external root in the certificate it signs (leave them unset)");
    }
    return bootstrap.createPending(spec(r, KeyAlgorithm.EC_P256, Duration.ofDays(1825)));
  }

  /**
   * ActivateIntermediate: the PENDING_CSR intermediate {@code id} takes {@code certificatePem},
   * which the external root signed, and {@code chainPem}, the certificates above it up to that
   * root, and becomes ACTIVE.
   */
  public Authority activate(String id, String certificatePem, String chainPem) {
    if (id == null || id.isEmpty()) {
      throw CaException.invalid("authority_id", "empty (expected: the pending authority's id)");
    }
    List<X509Certificate> certificate = Certificates.parseAll("certificate_pem", certificatePem);
    if (certificate.size() != 1) {
      throw CaException.invalid(
          "certificate_pem",
          certificate.size() + " certificates (expected: one; the ones above it go in chain_pem)");
    }
    List<X509Certificate> above = Certificates.parseAll("chain_pem", chainPem);
    return added(bootstrap.activate(id, certificate.get(0), above));
  }

  /**
   * DisableAuthority: {@code id} issues no more (FAILED_PRECONDITION to Issue, Sign and Renew of
   * its profiles), and keeps publishing CRLs and answering OCSP for what it issued. With {@code
   * moveTo}, its profiles issue from that authority first, so that nothing that used them stops:
   * the rotation from an old intermediate to a new one. The default issuer is disabled only with
   * {@code moveTo}, an intermediate, which becomes the default issuer: profiles that name no CA,
   * and the server's own TLS certificate, come from it from then on.
   */
  public Disabled disable(String id, String moveTo, String principal) {
    if (id == null || id.isEmpty()) {
      throw CaException.invalid("authority_id", "empty (expected: the authority to disable)");
    }
    Authority authority = authorities.get(id);
    boolean isDefault = authority.id().equals(authorities.defaultIssuer().id());
    if (isDefault && (moveTo == null || moveTo.isEmpty())) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "move_profiles_to",
          "'"
              + id
              + "' is the default issuer (profiles that name no authority and the server's TLS"
              + " certificate come from it): name the intermediate that takes over");
    }
    if (authorities.isDisabled(id)) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION, "authority_id", "'" + id + "' is disabled already");
    }
    List<String> moved = List.of();
    if (moveTo != null && !moveTo.isEmpty()) {
      if (moveTo.equals(id)) {
        throw CaException.invalid("move_profiles_to", "the authority being disabled itself");
      }
      Authority target =
          authorities
              .find(moveTo)
              .orElseThrow(
                  () ->
                      CaException.field(
                          ErrorKind.NOT_FOUND,
                          "move_profiles_to",
                          "no authority '" + moveTo + "'"));
      if (authorities.isDisabled(target.id())
          || !clock.instant().isBefore(target.issuer().notAfter())) {
        throw CaException.field(
            ErrorKind.FAILED_PRECONDITION,
            "move_profiles_to",
            "authority '" + moveTo + "' does not issue (disabled or expired)");
      }
      if (isDefault && target.chain().size() == 1) {
        throw CaException.field(
            ErrorKind.FAILED_PRECONDITION,
            "move_profiles_to",
            "'"
                + moveTo
                + "' is a root CA: the default issuer must be an intermediate (name one, or"
                + " create it under this root first)");
      }
      moved = mover.move(id, target.id(), principal);
    }
    if (!store.disable(
        id,
        isDefault ? moveTo : null,
        "authority "
            + id
            + " disabled"
            + (moved.isEmpty() ? "" : "; profiles " + moved + " moved to " + moveTo)
            + (isDefault ? "; the default issuer is now " + moveTo : ""),
        clock.instant())) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION, "authority_id", "'" + id + "' is not active");
    }
    authorities.refresh();
    made.accept(authority);
    return new Disabled(authority, moved);
  }

  /**
   * What UpdateAuthority may change; a null field stays as it is, an empty list or a zero validity
   * goes back to the server's default.
   */
  public record Update(
      List<String> caIssuers, List<String> crl, List<String> ocsp, Duration crlValidity) {}

  /** The shortest and the longest CRL validity UpdateAuthority takes. */
  static final Duration MIN_CRL_VALIDITY = Duration.ofMinutes(5);

  static final Duration MAX_CRL_VALIDITY = Duration.ofDays(366);

  /** At most this many URLs of each kind. */
  static final int MAX_URLS = 8;

  /**
   * Sets the URLs the certificates an authority signs from now on carry (several of each; an empty
   * list: the sidecar's own) and the validity of its next CRLs, stored and audited; certificates
   * signed before keep their own. Other replicas read them again on the AUTHORITY event.
   */
  public IssuerSettings update(String id, Update u) {
    if (id == null || id.isEmpty()) {
      throw CaException.invalid("authority_id", "empty (expected: the authority to change)");
    }
    Authority authority = authorities.get(id);
    IssuerUrls urls = bootstrap.urls();
    IssuerSettings was = urls.settings(authority.id());
    Duration validity = was.crlValidity();
    if (u.crlValidity() != null && u.crlValidity().isZero()) {
      validity = null;
    } else if (u.crlValidity() != null) {
      validity = u.crlValidity();
      if (validity.compareTo(MIN_CRL_VALIDITY) < 0 || validity.compareTo(MAX_CRL_VALIDITY) > 0) {
        throw CaException.invalid(
            "settings.crl_validity",
            "must be from " + MIN_CRL_VALIDITY + " to " + MAX_CRL_VALIDITY + ", got " + validity);
      }
    }
    IssuerSettings next =
        new IssuerSettings(
            u.caIssuers() == null
                ? was.caIssuers()
                : urlList("settings.ca_issuers_urls", u.caIssuers()),
            u.crl() == null ? was.crl() : urlList("settings.crl_distribution_points", u.crl()),
            u.ocsp() == null ? was.ocsp() : urlList("settings.ocsp_servers", u.ocsp()),
            validity);
    store.updateSettings(
        authority.id(),
        next,
        "authority " + authority.id() + " settings: " + next,
        clock.instant());
    urls.configure(authority.id(), next);
    return next;
  }

  /**
   * URLs as certificates may carry them: absolute http or https, printable ASCII with no space, at
   * most 512 characters, no repeats.
   */
  private static List<String> urlList(String field, List<String> urls) {
    if (urls.size() > MAX_URLS) {
      throw CaException.invalid(field, "at most " + MAX_URLS + " URLs, got " + urls.size());
    }
    for (int i = 0; i < urls.size(); i++) {
      String url = urls.get(i);
      String at = field + "[" + i + "]";
      if (url.length() > 512 || !url.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw CaException.invalid(at, "not a URL (printable ASCII, no spaces, <= 512 characters)");
      }
      java.net.URI uri;
      try {
        uri = new java.net.URI(url);
      } catch (java.net.URISyntaxException e) {
        throw CaException.invalid(at, "not a URL: " + e.getReason());
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null
          || uri.getFragment() != null) {
        throw CaException.invalid(at, "'" + url + "' is not an absolute http(s) URL");
      }
      if (urls.subList(0, i).contains(url)) {
        throw CaException.invalid(at, "'" + url + "' is given twice");
      }
    }
    return List.copyOf(urls);
  }

  /**
   * The subject (RFC 4514) a PENDING_CSR intermediate asked for in its CSR; empty until its CSR is
   * stored. The CSR is ours (made in the token), so it is read, not verified again.
   */
  public static String pendingSubject(StoredAuthority row) {
    return row.csrPem() == null ? "" : Certificates.rfc4514(Csrs.subject(row.csrPem()));
  }

  /** The intermediates waiting for the certificate an external root signs. */
  public List<StoredAuthority> pending() {
    return store.list().stream().filter(StoredAuthority::isPending).toList();
  }

  /**
   * The local authority {@code parentId} (parent_authority_id), if it may sign a CA now: valid, and
   * with a path length that leaves room for one.
   */
  public Authority parentFor(String parentId) {
    if (parentId == null || parentId.isEmpty()) {
      throw CaException.invalid(
          "parent_authority_id", "empty (expected: the id of the local authority that signs it)");
    }
    Authority parent =
        authorities
            .find(parentId)
            .orElseThrow(
                () ->
                    CaException.field(
                        ErrorKind.NOT_FOUND,
                        "parent_authority_id",
                        "no authority '" + parentId + "'"));
    if (!clock.instant().isBefore(parent.issuer().notAfter())) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "parent_authority_id",
          "authority '" + parentId + "' expired at " + parent.issuer().notAfter());
    }
    if (parent.certificate().getBasicConstraints() == 0) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "parent_authority_id",
          "authority '" + parentId + "' has path length 0: it may sign no CA");
    }
    return parent;
  }

  /**
   * The path length of a CA below {@code parent}: {@code asked} (null: 0), shorter than the
   * parent's when it has one; {@code field} names it in a refusal.
   */
  public static int childPathLength(Authority parent, Integer asked, String field) {
    int pathLength = asked == null ? 0 : pathLength(asked, field);
    int parentLimit = parent.certificate().getBasicConstraints();
    if (parentLimit != Integer.MAX_VALUE && pathLength >= parentLimit) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          field,
          pathLength
              + " (authority '"
              + parent.id()
              + "' has path length "
              + parentLimit
              + ": a CA below it may have at most "
              + (parentLimit - 1)
              + ")");
    }
    return pathLength;
  }

  /** An RFC 4514 DN, INVALID_ARGUMENT naming {@code field} when it is not one. */
  public static X500Name subject(String field, String text) {
    String subject = text == null ? "" : text.trim();
    try {
      X500Name name = new X500Name(RFC4519Style.INSTANCE, subject);
      if (name.getRDNs().length > 0) {
        return X500Name.getInstance(BCStyle.INSTANCE, name);
      }
    } catch (IllegalArgumentException e) {
      // Refused below.
    }
    throw CaException.invalid(
        field, "'" + subject + "' (expected: an RFC 4514 DN such as CN=Acme Issuing CA,O=Acme)");
  }

  private Authority added(Authority authority) {
    authorities.add(authority);
    made.accept(authority);
    return authority;
  }

  private static AuthoritySpec spec(Request r, KeyAlgorithm defaultKey, Duration defaultLifetime) {
    if (r.id() == null || !ID.matcher(r.id()).matches()) {
      throw CaException.invalid(
          "authority_id",
          "'"
              + r.id()
              + "' (expected: 1-64 lowercase letters, digits and '-', starting and ending with a"
              + " letter or digit)");
    }
    String subject = r.subject() == null ? "" : r.subject().trim();
    subject("subject", subject);
    KeyAlgorithm key = r.keyAlgorithm() == null ? defaultKey : r.keyAlgorithm();
    if (!key.isTokenSupported()) {
      throw CaException.invalid(
          "key_type", key.displayName() + " (expected: an RSA or EC P-256/P-384 key type)");
    }
    Duration lifetime = r.lifetime() == null ? defaultLifetime : r.lifetime();
    if (lifetime.compareTo(MIN_LIFETIME) < 0 || lifetime.compareTo(MAX_LIFETIME) > 0) {
      throw CaException.invalid(
          "lifetime", DurationText.human(lifetime) + " (expected: 1d..36600d)");
    }
    return new AuthoritySpec(r.id(), subject, key, lifetime);
  }

  private static int pathLength(int asked, String field) {
    if (asked < 0 || asked > MAX_PATH_LENGTH) {
      throw CaException.invalid(field, asked + " (expected: 0.." + MAX_PATH_LENGTH + ", or unset)");
    }
    return asked;
  }
}
