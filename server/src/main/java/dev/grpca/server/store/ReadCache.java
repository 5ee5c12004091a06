package dev.grpca.server.store;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Keeps what was read from the database for a short time, so that the lookups every call makes (its
 * bearer token, its principal, its profile) do not each cost a query. A change made through this
 * process clears the cache at once ({@link #clear}); one made by another replica is seen within the
 * freshness time. Bounded: it is emptied rather than grown past its size.
 */
public final class ReadCache<K, V> {
  /** How long a change made by another replica may take to apply here. */
  public static final Duration FRESH = Duration.ofSeconds(1);

  private final LongSupplier nanoTime;
  private final long freshNanos;
  private final int maxSize;
  private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();

  /** Bumped by {@link #clear}: a value loaded across a clear may be stale and is not kept. */
  private final AtomicLong generation = new AtomicLong();

  private record Entry<V>(V value, long readAt) {}

  public ReadCache(Duration fresh, int maxSize) {
    this(fresh, maxSize, System::nanoTime);
  }

  /** As above, its time read from {@code nanoTime} (a test's, to move it). */
  ReadCache(Duration fresh, int maxSize, LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.freshNanos = fresh.toNanos();
    this.maxSize = maxSize;
  }

  /** The value for {@code key}: cached if read less than the freshness time ago, else loaded. */
  public V get(K key, Function<K, V> load) {
    long now = nanoTime.getAsLong();
    Entry<V> cached = entries.get(key);
    if (cached != null && now - cached.readAt() < freshNanos) {
      return cached.value();
    }
    long before = generation.get();
    V value = load.apply(key);
    if (entries.size() >= maxSize) {
      entries.clear();
    }
    entries.put(key, new Entry<>(value, now));
    if (generation.get() != before) {
      // A change was made while this was read: what was read may predate it.
      entries.remove(key);
    }
    return value;
  }

  /** Forgets everything; called after a change is written. */
  public void clear() {
    generation.incrementAndGet();
    entries.clear();
  }
}
