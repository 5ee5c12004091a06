package dev.grpca.server.revocation;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one current CRL per authority in the store: a background job, never the Revoke call. It
 * publishes when an authority has none, when half of the current one's validity has passed, and
 * soon after a revocation (debounced: many revocations in a burst make one CRL). Numbers come from
 * the store, so they keep increasing across restarts and processes.
 */
public final class CrlPublisher {
  private static final Logger log = LoggerFactory.getLogger(CrlPublisher.class);
  private static final Duration CHECK_EVERY = Duration.ofMinutes(1);

  private final Authorities authorities;
  private final CrlStore store;
  private final CrlWriter writer;
  private final Clock clock;
  private final Duration validity;
  private final Duration debounce;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private ScheduledExecutorService scheduler;

  public CrlPublisher(
      Authorities authorities,
      CrlStore store,
      CrlWriter writer,
      Clock clock,
      Duration validity,
      Duration debounce) {
    this.authorities = authorities;
    this.store = store;
    this.writer = writer;
    this.clock = clock;
    this.validity = validity;
    this.debounce = debounce;
  }

  /** Publishes what is due now, then checks once a minute. */
  public CrlPublisher start(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
    publishDue();
    long every = CHECK_EVERY.toMillis();
    scheduler.scheduleWithFixedDelay(this::publishDueQuietly, every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /** A certificate of {@code authorityId} was revoked: publish within the debounce time. */
  public void revoked(String authorityId) {
    if (scheduler != null && pending.add(authorityId)) {
      scheduler.schedule(
          () -> {
            pending.remove(authorityId);
            try {
              publish(authorityId);
            } catch (RuntimeException e) {
              log.warn(
                  "publishing the CRL of {} failed; the periodic check retries", authorityId, e);
            }
          },
          debounce.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  public Optional<StoredCrl> latest(String authorityId) {
    return store.latest(authorityId);
  }

  /** Builds, signs and stores a new CRL for {@code authorityId} now. */
  public StoredCrl publish(String authorityId) {
    Authority authority = authorities.get(authorityId);
    synchronized (locks.computeIfAbsent(authority.id(), k -> new Object())) {
      for (int attempt = 1; ; attempt++) {
        Instant thisUpdate = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant nextUpdate = thisUpdate.plus(validity);
        long number = store.nextNumber(authority.id());
        long started = System.nanoTime();
        byte[] der = writer.write(authority, number, thisUpdate, nextUpdate);
        StoredCrl crl = new StoredCrl(authority.id(), number, thisUpdate, nextUpdate, der);
        if (store.save(crl)) {
          log.info(
              "CRL {} of {} published ({} bytes, built and signed in {} ms, next update {})",
              number,
              authority.id(),
              der.length,
              (System.nanoTime() - started) / 1_000_000,
              nextUpdate);
          return crl;
        }
        // Another process published this number first: take the next one.
        if (attempt >= 5) {
          throw new IllegalStateException("could not publish a CRL for " + authority.id());
        }
      }
    }
  }

  private void publishDue() {
    Instant now = clock.instant();
    for (Authority authority : authorities.all()) {
      Optional<StoredCrl> current = store.latest(authority.id());
      boolean due =
          current.isEmpty()
              || !now.isBefore(
                  current
                      .get()
                      .thisUpdate()
                      .plus(
                          Duration.between(current.get().thisUpdate(), current.get().nextUpdate())
                              .dividedBy(2)));
      if (due) {
        publish(authority.id());
      }
    }
  }

  private void publishDueQuietly() {
    try {
      publishDue();
    } catch (RuntimeException e) {
      log.warn("publishing CRLs failed; retrying in {}", CHECK_EVERY, e);
    }
  }
}
