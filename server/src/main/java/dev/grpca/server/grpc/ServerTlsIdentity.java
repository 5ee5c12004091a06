package dev.grpca.server.grpc;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.IssueResult;
import dev.grpca.server.policy.BuiltInProfiles;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.policy.NameSyntax;
import dev.grpca.server.policy.Profile;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.SubjectFields;
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
 * with a key that lives only in memory. Once a minute it checks the clock and renews when a third
 * of the certificate's lifetime is left; new handshakes pick up the new certificate, open
 * connections keep theirs. Checking often, rather than sleeping until the renewal time, keeps it
 * right across clock jumps and suspended machines; a failed renewal is simply retried next minute.
 * When the default issuer moves (a rotation), it renews at once from the new one.
 */
public final class ServerTlsIdentity {
  private static final Logger log = LoggerFactory.getLogger(ServerTlsIdentity.class);
  static final String PROFILE = "grpca-server";
  private static final Duration CHECK_EVERY = Duration.ofMinutes(1);
  private static final Duration MIN_INTERVAL = Duration.ofMinutes(1);

  private final IssuanceService issuance;
  private final Profile profile;
  private final List<String> dnsNames = new ArrayList<>();
  private final List<String> ipAddresses = new ArrayList<>();
  private final Clock clock;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private volatile X509Certificate current;
  private volatile Instant renewAt;

  public ServerTlsIdentity(
      IssuanceService issuance, List<String> extraHostNames, Duration lifetime, Clock clock) {
    this.issuance = issuance;
    this.profile = new Profile(BuiltInProfiles.serverTls(PROFILE, lifetime));
    LinkedHashSet<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    names.addAll(extraHostNames);
    for (String name : names) {
      (NameSyntax.isIpAddress(name) ? ipAddresses : dnsNames).add(name);
    }
    this.clock = clock;
  }

  /**
   * Issues the first certificate (failing startup if it cannot), checks for renewal, and renews as
   * soon as {@code authorities}' default issuer moves.
   */
  public ServerTlsIdentity start(ScheduledExecutorService scheduler, Authorities authorities) {
    renew();
    long every = CHECK_EVERY.toMillis();
    scheduler.scheduleWithFixedDelay(this::renewIfDue, every, every, TimeUnit.MILLISECONDS);
    authorities.whenDefaultMoved(
        moved -> {
          // Due now; should this renewal fail, the check each minute retries it.
          renewAt = Instant.EPOCH;
          scheduler.execute(this::renewIfDue);
        });
    return this;
  }

  public AdvancedTlsX509KeyManager keyManager() {
    return keyManager;
  }

  /** The certificate new handshakes present. */
  public X509Certificate current() {
    return current;
  }

  /** Renews when the renewal time has come; never throws. */
  public void renewIfDue() {
    if (clock.instant().isBefore(renewAt)) {
      return;
    }
    try {
      renew();
    } catch (RuntimeException e) {
      log.warn("renewing the server TLS certificate failed; retrying in {}", CHECK_EVERY, e);
    }
  }

  private synchronized void renew() {
    Instant issuedAt = clock.instant();
    IssueResult issued =
        issuance.issue(
            profile,
            new IssuanceRequest(
                profile.name(),
                new SubjectFields("grpca server", "grpca", "", "", "", "", ""),
                dnsNames,
                ipAddresses,
                List.of(),
                List.of(),
                null,
                Map.of(),
                false,
                PROFILE),
            KeyAlgorithm.EC_P256);
    X509Certificate certificate =
        Certificates.parsePem(issued.certificate().stored().certificatePem());
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    // The root stays out: clients already have it, that is what they trust.
    List<X509Certificate> issuers = issued.certificate().chain();
    chain.addAll(issuers.subList(0, issuers.size() - 1));
    keyManager.updateIdentityCredentials(
        chain.toArray(new X509Certificate[0]), issued.privateKey());
    current = certificate;
    Instant notAfter = certificate.getNotAfter().toInstant();
    Duration twoThirds = Duration.between(issuedAt, notAfter).multipliedBy(2).dividedBy(3);
    renewAt = issuedAt.plus(twoThirds.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : twoThirds);
    log.info(
        "server TLS certificate {} valid until {}, renewal at {}",
        issued.certificate().stored().serialNumber(),
        notAfter,
        renewAt);
  }
}
