package dev.grpca.server.x509;

/**
 * The HTTP URLs certificates carry for their issuer: where its CRL is (CRL distribution point) and
 * where its certificate is (AIA caIssuers), both on the sidecar's public base URL.
 */
public record IssuerUrls(String publicBaseUrl) {
  public String crl(String authorityId) {
    return publicBaseUrl + "/v1/issuers/" + authorityId + "/crl";
  }

  /** One responder answers for every issuer. */
  public String ocsp() {
    return publicBaseUrl + "/v1/ocsp";
  }

  public String caIssuers(String authorityId) {
    return publicBaseUrl + "/v1/issuers/" + authorityId + "/ca";
  }
}
