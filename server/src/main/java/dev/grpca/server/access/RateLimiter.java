package dev.grpca.server.access;

import com.codahale.metrics.Counter;
import dev.grpca.server.config.ServerConfig.RateLimit;
import dev.grpca.server.error.CaException;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.store.AccessStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Token buckets over certificates, per principal and per profile, kept in the database: every
 * replica on it takes from the same buckets, under a row lock, so a limit holds across replicas
 * exactly (up to the difference between their clocks, which only shifts refills). A bucket holds
 * {@code certificates} tokens and refills evenly over {@code per}. Over the limit:
 * RESOURCE_EXHAUSTED with when to retry.
 */
public final class RateLimiter {
  private final List<RateLimit> limits;
  private final AccessStore store;
  private final Clock clock;
  private final Counter refused;

  public RateLimiter(List<RateLimit> limits, AccessStore store, Clock clock, Metrics metrics) {
    this.refused = metrics.counter(MetricNames.RATE_LIMITED);
    this.limits = List.copyOf(limits);
    this.store = store;
    this.clock = clock;
  }

  /** Takes one certificate from every bucket that applies, or none and throws. */
  public void take(String principal, String profile) {
    List<AccessStore.Bucket> buckets = new ArrayList<>();
    List<RateLimit> applied = new ArrayList<>();
    for (RateLimit l : limits) {
      if (applies(l.principal(), principal) && applies(l.profile(), profile)) {
        String key =
            (l.principal() == null ? "" : "principal:" + principal)
                + (l.principal() != null && l.profile() != null ? "/" : "")
                + (l.profile() == null ? "" : "profile:" + profile)
                + "/"
                + l.certificates()
                + "per"
                + l.per().toSeconds();
        buckets.add(
            new AccessStore.Bucket(
                key, l.certificates(), l.certificates() / (double) l.per().toNanos() * 1e9));
        applied.add(l);
      }
    }
    if (buckets.isEmpty()) {
      return;
    }
    double wait = store.take(buckets, clock.instant());
    if (wait > 0) {
      refused.inc();
      Duration retry = Duration.ofMillis((long) Math.ceil(wait * 1000));
      List<String> described = new ArrayList<>();
      for (RateLimit l : applied) {
        described.add(
            l.certificates()
                + " per "
                + DurationText.human(l.per())
                + (l.principal() == null ? "" : " for principal '" + principal + "'")
                + (l.profile() == null ? "" : " for profile '" + profile + "'"));
      }
      throw CaException.exhausted(
          "rate limit reached ("
              + String.join("; ", described)
              + "): retry in "
              + DurationText.human(Duration.ofSeconds((long) Math.ceil(wait))),
          retry);
    }
  }

  private static boolean applies(String pattern, String value) {
    return pattern == null || pattern.equals("*") || pattern.equals(value);
  }
}
