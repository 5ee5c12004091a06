package dev.grpca.server.store;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Keeps what was read from the database for a short time, so that the lookups every call makes (its
 * bearer token, its principal, its profile) do not each cost a query. A change made through this
 * process clears the cache at once ({@link #clear}); one made by another replica is seen within the
 * freshness time. Bounded: it is emptied rather than grown past its size.
 */
public final class ReadCache<K, V> {
  private final long freshNanos;
  private final int maxSize;
  private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();

  private record Entry<V>(V value, long readAt) {}

  public ReadCache(Duration fresh, int maxSize) {
    this.freshNanos = fresh.toNanos();
    this.maxSize = maxSize;
  }

  /** The value for {@code key}: cached if read less than the freshness time ago, else loaded. */
  public V get(K key, Function<K, V> load) {
    long now = System.nanoTime();
    Entry<V> cached = entries.get(key);
    if (cached != null && now - cached.readAt() < freshNanos) {
      return cached.value();
    }
    V value = load.apply(key);
    if (entries.size() >= maxSize) {
      entries.clear();
    }
    entries.put(key, new Entry<>(value, now));
    return value;
  }

  public void clear() {
    entries.clear();
  }
}
