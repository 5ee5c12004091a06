package dev.grpca.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReadCacheTest {
  @Test
  void aFreshValueIsServedWithoutLoadingAgainUntilCleared() {
    ReadCache<String, Integer> cache = new ReadCache<>(Duration.ofMinutes(1), 10);
    AtomicInteger loads = new AtomicInteger();
    assertThat(cache.get("a", k -> loads.incrementAndGet())).isEqualTo(1);
    assertThat(cache.get("a", k -> loads.incrementAndGet())).isEqualTo(1);
    cache.clear();
    assertThat(cache.get("a", k -> loads.incrementAndGet())).isEqualTo(2);
  }

  @Test
  void aValueReadWhileAChangeWasMadeIsNotKept() {
    ReadCache<String, String> cache = new ReadCache<>(Duration.ofMinutes(1), 10);
    // The read sees the old value; the change lands (and clears) before the read is cached.
    assertThat(
            cache.get(
                "token",
                k -> {
                  cache.clear();
                  return "old";
                }))
        .isEqualTo("old");
    assertThat(cache.get("token", k -> "new")).isEqualTo("new");
  }

  @Test
  void anOldValueIsLoadedAgain() {
    AtomicLong nanos = new AtomicLong();
    ReadCache<String, Integer> cache = new ReadCache<>(Duration.ofMillis(1), 10, nanos::get);
    AtomicInteger loads = new AtomicInteger();
    cache.get("a", k -> loads.incrementAndGet());
    nanos.addAndGet(Duration.ofMillis(5).toNanos());
    assertThat(cache.get("a", k -> loads.incrementAndGet())).isEqualTo(2);
  }
}
