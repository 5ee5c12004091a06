package dev.grpca.server.grpc;

import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.IssueResult;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.policy.NameSyntax;
import dev.grpca.server.policy.NotAfterBehavior;
import dev.grpca.server.policy.Profile;
import dev.grpca.server.policy.SubjectFields;
import dev.grpca.server.x509.KeyAlgorithm;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server's own TLS certificate, issued by its own issuing CA like any other (and stored),
 * with a key that lives only in memory. It is renewed when a third of its lifetime is left; new
 * handshakes pick up the new certificate, open connections keep theirs.
 */
public final class ServerTlsIdentity {
  private static final Logger log = LoggerFactory.getLogger(ServerTlsIdentity.class);
  static final String PROFILE = "grpca-server";
  private static final Duration RETRY = Duration.ofMinutes(1);

  private final IssuanceService issuance;
  private final Profile profile;
  private final List<String> dnsNames = new ArrayList<>();
  private final List<String> ipAddresses = new ArrayList<>();
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private volatile X509Certificate current;

  public ServerTlsIdentity(
      IssuanceService issuance,
      List<String> extraHostNames,
      Duration lifetime,
      Clock clock,
      ScheduledExecutorService scheduler) {
    this.issuance = issuance;
    this.profile =
        new Profile(PROFILE, lifetime, lifetime, Profile.BACKDATE, NotAfterBehavior.TRUNCATE);
    LinkedHashSet<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    names.addAll(extraHostNames);
    for (String name : names) {
      (NameSyntax.isIpAddress(name) ? ipAddresses : dnsNames).add(name);
    }
    this.clock = clock;
    this.scheduler = scheduler;
  }

  /** Issues the first certificate (failing startup if it cannot) and schedules renewals. */
  public ServerTlsIdentity start() {
    renew();
    return this;
  }

  public AdvancedTlsX509KeyManager keyManager() {
    return keyManager;
  }

  public X509Certificate current() {
    return current;
  }

  private void renew() {
    IssueResult issued =
        issuance.issue(
            profile,
            new IssuanceRequest(
                profile.name(),
                new SubjectFields("grpca server", "grpca", "", "", "", "", ""),
                dnsNames,
                ipAddresses,
                null,
                Map.of(),
                false,
                PROFILE),
            KeyAlgorithm.EC_P256);
    X509Certificate certificate = issued.certificate().certificate();
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    // The root stays out: clients already have it, that is what they trust.
    List<X509Certificate> issuers = issued.certificate().chain();
    chain.addAll(issuers.subList(0, issuers.size() - 1));
    keyManager.updateIdentityCredentials(
        chain.toArray(new X509Certificate[0]), issued.privateKey());
    current = certificate;
    Instant notBefore = certificate.getNotBefore().toInstant();
    Instant notAfter = certificate.getNotAfter().toInstant();
    Instant renewAt = notAfter.minus(Duration.between(notBefore, notAfter).dividedBy(3));
    log.info(
        "server TLS certificate {} valid until {}, renewal at {}",
        issued.certificate().stored().serialNumber(),
        notAfter,
        renewAt);
    schedule(Duration.between(clock.instant(), renewAt));
  }

  private void schedule(Duration delay) {
    long millis = Math.max(0, delay.toMillis());
    scheduler.schedule(this::renewOrRetry, millis, TimeUnit.MILLISECONDS);
  }

  private void renewOrRetry() {
    try {
      renew();
    } catch (RuntimeException e) {
      log.warn("renewing the server TLS certificate failed; retrying in {}", RETRY, e);
      schedule(RETRY);
    }
  }
}
