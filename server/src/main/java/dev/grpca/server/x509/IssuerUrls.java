package dev.grpca.server.x509;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP URLs certificates carry for their issuer: where its CRL is (CRL distribution point),
 * where its certificate is (AIA caIssuers) and who answers OCSP for it (AIA OCSP). By default they
 * are on the sidecar's public base URL; an authority given URLs of its own (UpdateAuthority) has
 * its certificates carry those from then on.
 */
public final class IssuerUrls {
  private final String publicBaseUrl;
  private final Map<String, IssuerSettings> configured = new ConcurrentHashMap<>();
  private final Map<String, Urls> effective = new ConcurrentHashMap<>();

  public IssuerUrls(String publicBaseUrl) {
    this.publicBaseUrl = publicBaseUrl;
  }

  public String publicBaseUrl() {
    return publicBaseUrl;
  }

  /** Where the sidecar serves the CRL of {@code authorityId}. */
  public String crl(String authorityId) {
    return publicBaseUrl + "/v1/issuers/" + authorityId + "/crl";
  }

  /** The sidecar's responder, which answers for every issuer. */
  public String ocsp() {
    return publicBaseUrl + "/v1/ocsp";
  }

  /** Where the sidecar serves the certificate of {@code authorityId}. */
  public String caIssuers(String authorityId) {
    return publicBaseUrl + "/v1/issuers/" + authorityId + "/ca";
  }

  /** What the certificates {@code authorityId} signs now carry (made once per setting). */
  public Urls of(String authorityId) {
    return effective.computeIfAbsent(authorityId, this::made);
  }

  private Urls made(String authorityId) {
    IssuerSettings set = settings(authorityId);
    return new Urls(
        set.crl().isEmpty() ? List.of(crl(authorityId)) : set.crl(),
        set.caIssuers().isEmpty() ? List.of(caIssuers(authorityId)) : set.caIssuers(),
        set.ocsp().isEmpty() ? List.of(ocsp()) : set.ocsp());
  }

  /** What was set for {@code authorityId}; {@link IssuerSettings#DEFAULTS} when nothing was. */
  public IssuerSettings settings(String authorityId) {
    return configured.getOrDefault(authorityId, IssuerSettings.DEFAULTS);
  }

  /** How long the next CRL of {@code authorityId} is valid. */
  public Duration crlValidity(String authorityId, Duration fallback) {
    Duration set = settings(authorityId).crlValidity();
    return set == null ? fallback : set;
  }

  /** The settings of {@code authorityId}, as stored (here or by another replica). */
  public void configure(String authorityId, IssuerSettings settings) {
    configured.put(authorityId, settings);
    effective.remove(authorityId);
  }

  /** The URLs of one certificate: the CRL distribution point's names, caIssuers, OCSP. */
  public record Urls(List<String> crl, List<String> caIssuers, List<String> ocsp) {
    public Urls {
      crl = List.copyOf(crl);
      caIssuers = List.copyOf(caIssuers);
      ocsp = List.copyOf(ocsp);
    }

    public static final Urls NONE = new Urls(List.of(), List.of(), List.of());
  }
}
