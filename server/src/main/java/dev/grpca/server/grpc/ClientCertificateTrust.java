package dev.grpca.server.grpc;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which client certificates the gRPC listener accepts: those signed by any of this server's CAs
 * (each CA's own certificate is a trust anchor, so a certificate under an external root is taken
 * only when one of our intermediates signed it, never for the root alone), and those under the
 * configured {@code grpc.client_ca_files}. The set grows as CAs are made, here or on another
 * replica, and keeps disabled CAs: what they issued authenticates until it expires or is revoked.
 */
final class ClientCertificateTrust {
  private static final Logger log = LoggerFactory.getLogger(ClientCertificateTrust.class);

  private final AdvancedTlsX509TrustManager manager;
  private final List<X509Certificate> configured;
  private final Authorities authorities;

  private ClientCertificateTrust(
      AdvancedTlsX509TrustManager manager,
      List<X509Certificate> configured,
      Authorities authorities) {
    this.manager = manager;
    this.configured = configured;
    this.authorities = authorities;
  }

  /** Trust in {@code authorities}' certificates and the files', kept up to date. */
  static ClientCertificateTrust of(Authorities authorities, List<Path> clientCaFiles)
      throws IOException, GeneralSecurityException {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    List<X509Certificate> configured = new ArrayList<>();
    for (Path file : clientCaFiles) {
      try (InputStream in = Files.newInputStream(file)) {
        for (var ca : x509.generateCertificates(in)) {
          configured.add((X509Certificate) ca);
        }
      }
    }
    ClientCertificateTrust trust =
        new ClientCertificateTrust(
            AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(
                    AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                .build(),
            List.copyOf(configured),
            authorities);
    trust.update();
    authorities.whenAdded(added -> trust.updateQuietly());
    return trust;
  }

  X509ExtendedTrustManager manager() {
    return manager;
  }

  private void update() throws IOException, GeneralSecurityException {
    Set<X509Certificate> anchors = new LinkedHashSet<>();
    for (Authority authority : authorities.all()) {
      anchors.add(authority.certificate());
    }
    anchors.addAll(configured);
    manager.updateTrustCredentials(anchors.toArray(new X509Certificate[0]));
  }

  private void updateQuietly() {
    try {
      update();
    } catch (IOException | GeneralSecurityException e) {
      // The anchors stay as they were: the new CA's certificates are refused until the next one.
      log.warn("could not add a new CA to the trusted client issuers", e);
    }
  }
}
