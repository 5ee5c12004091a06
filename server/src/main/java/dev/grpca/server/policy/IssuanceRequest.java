package dev.grpca.server.policy;

import dev.grpca.server.x509.SubjectFields;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a caller asks for, before any check: the fields Issue and Sign share. {@code lifetime} is
 * {@code null} when the caller named none.
 */
public record IssuanceRequest(
    String profile,
    SubjectFields subject,
    List<String> dnsNames,
    List<String> ipAddresses,
    List<String> emailAddresses,
    List<String> uris,
    Duration lifetime,
    Map<String, String> labels,
    boolean validateOnly,
    String requestedBy) {

  public IssuanceRequest {
    subject = subject == null ? SubjectFields.EMPTY : subject;
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    emailAddresses = List.copyOf(emailAddresses);
    uris = List.copyOf(uris);
    labels = Map.copyOf(labels);
  }

  /** Whether the caller named anything the certificate is about. */
  public boolean hasNames() {
    return !subject.isEmpty()
        || !dnsNames.isEmpty()
        || !ipAddresses.isEmpty()
        || !emailAddresses.isEmpty()
        || !uris.isEmpty();
  }

  /** The same request with the subject and SANs of a CSR ({@code null} subject: keep none). */
  public IssuanceRequest withNames(
      SubjectFields s, List<String> dns, List<String> ips, List<String> emails, List<String> u) {
    return new IssuanceRequest(
        profile, s, dns, ips, emails, u, lifetime, labels, validateOnly, requestedBy);
  }
}
