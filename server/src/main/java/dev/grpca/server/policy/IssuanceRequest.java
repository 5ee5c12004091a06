package dev.grpca.server.policy;

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
    Duration lifetime,
    Map<String, String> labels,
    boolean validateOnly,
    String requestedBy) {

  public IssuanceRequest {
    subject = subject == null ? SubjectFields.EMPTY : subject;
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    labels = Map.copyOf(labels);
  }

  /** Whether the caller named anything the certificate is about. */
  public boolean hasNames() {
    return !subject.isEmpty() || !dnsNames.isEmpty() || !ipAddresses.isEmpty();
  }

  public IssuanceRequest withNames(SubjectFields s, List<String> dns, List<String> ips) {
    return new IssuanceRequest(profile, s, dns, ips, lifetime, labels, validateOnly, requestedBy);
  }
}
