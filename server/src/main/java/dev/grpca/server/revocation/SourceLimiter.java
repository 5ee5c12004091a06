package dev.grpca.server.revocation;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many costly answers each source address may still have: a token bucket per source, {@code
 * perMinute} deep, refilled continuously. It holds at most {@value #MAX_SOURCES} sources and
 * forgets them all past that (a source is a TCP peer, so their number is bounded by real
 * connections).
 */
final class SourceLimiter {
  static final int MAX_SOURCES = 10_000;
  private static final long MINUTE_NANOS = Duration.ofMinutes(1).toNanos();

  private final int perMinute;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    Instant last;

    Bucket(double tokens, Instant last) {
      this.tokens = tokens;
      this.last = last;
    }
  }

  SourceLimiter(int perMinute) {
    if (perMinute < 1) {
      throw new IllegalArgumentException("perMinute: " + perMinute + " (expected: >= 1)");
    }
    this.perMinute = perMinute;
  }

  /** Takes one of {@code source}'s answers; false when it has none left now. */
  boolean tryTake(String source, Instant now) {
    if (buckets.size() >= MAX_SOURCES && !buckets.containsKey(source)) {
      buckets.clear();
    }
    Bucket bucket = buckets.computeIfAbsent(source, s -> new Bucket(perMinute, now));
    synchronized (bucket) {
      long elapsed = Math.max(0, Duration.between(bucket.last, now).toNanos());
      bucket.tokens =
          Math.min(perMinute, bucket.tokens + (double) elapsed * perMinute / MINUTE_NANOS);
      bucket.last = now;
      if (bucket.tokens < 1) {
        return false;
      }
      bucket.tokens -= 1;
      return true;
    }
  }
}
