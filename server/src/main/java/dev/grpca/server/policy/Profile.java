package dev.grpca.server.policy;

import java.time.Duration;

/**
 * An issuance profile: what a certificate issued under it may be. This first cut carries the
 * lifetime rules; names, keys and usages are fixed (DNS and IP SANs, serverAuth + clientAuth).
 */
public record Profile(
    String name,
    Duration defaultLifetime,
    Duration maxLifetime,
    Duration backdate,
    NotAfterBehavior notAfterBehavior) {

  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
  public static final Duration MAX_LIFETIME = Duration.ofDays(90);
  public static final Duration BACKDATE = Duration.ofSeconds(30);

  public Profile {
    String where = "profiles[" + name + "]";
    if (name == null || !name.matches("[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")) {
      throw new IllegalArgumentException(
          "profiles.name: '" + name + "' (expected: lower-case letters, digits and '-', <= 64)");
    }
    if (defaultLifetime.isNegative() || defaultLifetime.isZero()) {
      throw new IllegalArgumentException(
          where + ".default_lifetime: " + Durations.human(defaultLifetime) + " (expected: > 0)");
    }
    if (maxLifetime.compareTo(defaultLifetime) < 0) {
      throw new IllegalArgumentException(
          where
              + ".max_lifetime: "
              + Durations.human(maxLifetime)
              + " (expected: >= default_lifetime "
              + Durations.human(defaultLifetime)
              + ")");
    }
    if (backdate.isNegative() || backdate.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          where + ".backdate: " + Durations.human(backdate) + " (expected: 0s..1h)");
    }
  }

  /** The built-in {@code default} profile: 24h by default, at most 90 days, 30 s backdate. */
  public static Profile defaults(String name) {
    return new Profile(name, DEFAULT_LIFETIME, MAX_LIFETIME, BACKDATE, NotAfterBehavior.ERROR);
  }
}
