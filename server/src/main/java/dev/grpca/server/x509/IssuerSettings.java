package dev.grpca.server.x509;

import java.time.Duration;
import java.util.List;

/**
 * What an operator set for one authority (UpdateAuthority, Vault's config/urls and config/crl): the
 * AIA caIssuers, CRL distribution point and AIA OCSP URLs the certificates it signs from now on
 * carry, and how long its CRLs are valid. An empty list or a null validity: the server's default.
 */
public record IssuerSettings(
    List<String> caIssuers, List<String> crl, List<String> ocsp, Duration crlValidity) {
  public static final IssuerSettings DEFAULTS =
      new IssuerSettings(List.of(), List.of(), List.of(), null);

  public IssuerSettings {
    caIssuers = caIssuers == null ? List.of() : List.copyOf(caIssuers);
    crl = crl == null ? List.of() : List.copyOf(crl);
    ocsp = ocsp == null ? List.of() : List.copyOf(ocsp);
  }
}
