package dev.grpca.server.revocation;

import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.x509.IssuerUrls;
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
import java.util.function.BooleanSupplier;
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

  /**
   * How many CRLs of an authority stay stored: the newest, and the one before it, which another
   * process may still be reading as this one publishes.
   */
  static final int KEEP = 2;

  private final Authorities authorities;
  private final CrlStore store;
  private final CrlWriter writer;
  private final IssuerUrls urls;
  private final Clock clock;
  private final Duration validity;
  private final Duration debounce;
  private static final TimeUnit MILLIS = TimeUnit.MILLISECONDS;

  /**
   * Authorities with revocations no stored CRL lists yet, each with the number of the newest CRL
   * when the last of them was heard of: a CRL numbered above it lists them.
   */
  private final Map<String, Long> pending = new ConcurrentHashMap<>();

  /** Authorities with a publication after revocations scheduled. */
  private final Set<String> waiting = ConcurrentHashMap.newKeySet();

  private final CurrentCrls current;

  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final Metrics metrics;

  /**
   * The newest stored CRL of each authority as last seen here (published here, or read by the
   * minutely check), for the gauges: a scrape reads memory, never the database.
   */
  private final Map<String, CrlInfo> newest = new ConcurrentHashMap<>();

  private ScheduledExecutorService scheduler;

  /** Whether this process runs the scheduled publications now (of several replicas, one does). */
  private BooleanSupplier leads = () -> true;

  public CrlPublisher(
      Authorities authorities,
      CrlStore store,
      CrlWriter writer,
      IssuerUrls urls,
      Clock clock,
      Duration validity,
      Duration debounce,
      Metrics metrics) {
    this.metrics = metrics;
    authorities.all().forEach(this::gauges);
    authorities.whenAdded(this::gauges);
    this.authorities = authorities;
    this.store = store;
    this.current = new CurrentCrls(store);
    this.writer = writer;
    this.urls = urls;
    this.clock = clock;
    this.validity = validity;
    this.debounce = debounce;
  }

  /** The CRL gauges of {@code authority} (read when scraped, from the newest CRL it has). */
  private void gauges(Authority authority) {
    String id = authority.id();
    metrics.gauge(MetricNames.CRL_ENTRIES, () -> newest(id, CrlInfo::entries), id);
    metrics.gauge(MetricNames.CRL_BYTES, () -> newest(id, CrlInfo::size), id);
    metrics.gauge(MetricNames.CRL_NUMBER, () -> newest(id, CrlInfo::number), id);
    metrics.gauge(
        MetricNames.CRL_THIS_UPDATE, () -> newest(id, i -> i.thisUpdate().getEpochSecond()), id);
    metrics.gauge(
        MetricNames.CRL_NEXT_UPDATE,
        () ->
            newest(id, i -> Duration.between(clock.instant(), i.nextUpdate()).toMillis() / 1000.0),
        id);
  }

  /**
   * Runs the scheduled publications (due CRLs, those after revocations) only while {@code leads}
   * says so: replicas on one database take a lease, so that one of them publishes. RebuildCrl,
   * which an operator asks for, publishes whoever is asked.
   */
  public CrlPublisher onlyWhile(BooleanSupplier leads) {
    this.leads = leads;
    return this;
  }

  /** Publishes what is due now, then checks once a minute. */
  public CrlPublisher start(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
    publishDue();
    long every = CHECK_EVERY.toMillis();
    scheduler.scheduleWithFixedDelay(this::publishDueQuietly, every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * A certificate of {@code authorityId} was revoked: publish within the debounce time. On a
   * replica that does not lead, wait for the leader's CRL instead, and publish it itself once the
   * leader's lease has run out without one (the leader died).
   */
  public void revoked(String authorityId) {
    if (scheduler == null) {
      return;
    }
    long newest;
    try {
      newest = store.latestInfo(authorityId).map(CrlInfo::number).orElse(0L);
    } catch (RuntimeException e) {
      newest = 0; // Then any CRL stored later counts as the one that lists the revocation.
    }
    // The first revocation of a burst schedules the publication; later ones only raise the number
    // the CRL that lists them all must be above.
    pending.merge(authorityId, newest, Math::max);
    if (waiting.add(authorityId)) {
      scheduler.schedule(() -> publishAfterRevocation(authorityId), debounce.toMillis(), MILLIS);
    }
  }

  private void publishAfterRevocation(String authorityId) {
    // Each step takes the authority out of pending before waiting: a revocation heard in between
    // is then listed by the CRL this publishes or schedules a wait of its own.
    long above = pending.getOrDefault(authorityId, -1L);
    try {
      if (leads.getAsBoolean()) {
        pending.remove(authorityId);
        waiting.remove(authorityId);
        try {
          publish(authorityId);
        } catch (RuntimeException e) {
          log.warn("publishing the CRL of {} failed; retrying", authorityId, e);
          pending.merge(authorityId, above, Math::min);
          if (waiting.add(authorityId)) {
            retryLater(authorityId);
          }
        }
        return;
      }
      long newest = store.latestInfo(authorityId).map(CrlInfo::number).orElse(0L);
      if (newest > above && pending.remove(authorityId, above)) {
        waiting.remove(authorityId); // The leader published after the revocations.
        return;
      }
    } catch (RuntimeException e) {
      log.warn("checking for the CRL of {} failed; retrying", authorityId, e);
    }
    retryLater(authorityId);
  }

  private void retryLater(String authorityId) {
    scheduler.schedule(
        () -> publishAfterRevocation(authorityId), Math.max(debounce.toMillis(), 1000), MILLIS);
  }

  /** The newest stored CRL of an authority (see {@link CurrentCrls}). */
  public Optional<StoredCrl> latest(String authorityId) {
    return current.latest(authorityId);
  }

  /** What is known of the newest stored CRL of an authority, without its bytes. */
  public Optional<CrlInfo> latestInfo(String authorityId) {
    return current.latestInfo(authorityId);
  }

  /** Where the HTTP sidecar serves the CRL of an authority. */
  public String url(String authorityId) {
    return urls.crl(authorityId);
  }

  /** How long the next CRL of {@code authorityId} is valid (UpdateAuthority, or crl.validity). */
  public Duration validity(String authorityId) {
    return urls.crlValidity(authorityId, validity);
  }

  /** Builds, signs and stores a new CRL for {@code authorityId} now. */
  public StoredCrl publish(String authorityId) {
    Authority authority = authorities.get(authorityId);
    synchronized (locks.computeIfAbsent(authority.id(), k -> new Object())) {
      for (int attempt = 1; ; attempt++) {
        Instant thisUpdate = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant nextUpdate = thisUpdate.plus(validity(authority.id()));
        long number = store.nextNumber(authority.id());
        long started = System.nanoTime();
        StoredCrl crl = writer.write(authority, number, thisUpdate, nextUpdate);
        long built = System.nanoTime();
        if (store.save(crl)) {
          long saved = System.nanoTime();
          current.hold(crl);
          seen(crl.info());
          metrics
              .timer(MetricNames.CRL_BUILD, authority.id())
              .update(built - started, TimeUnit.NANOSECONDS);
          try {
            store.dropBelow(authority.id(), number - (KEEP - 1));
          } catch (RuntimeException e) {
            // The new CRL is stored and served; older ones stay until the next publication.
            log.warn("dropping old CRLs of {} failed", authority.id(), e);
          }
          log.info(
              "CRL {} of {} published: {} entries, {} bytes, built and signed in {} ms, stored in"
                  + " {} ms; next update {}",
              number,
              authority.id(),
              crl.info().entries(),
              crl.info().size(),
              (built - started) / 1_000_000,
              (saved - built) / 1_000_000,
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
    authorities.refresh();
    Instant now = clock.instant();
    for (Authority authority : authorities.all()) {
      Optional<CrlInfo> newest = store.latestInfo(authority.id());
      newest.ifPresent(this::seen);
      // Due once half its validity has passed, or half the validity set now if that is shorter
      // (UpdateAuthority shortened it): a shorter crl_validity applies within the minute.
      boolean due =
          newest.isEmpty()
              || !now.isBefore(
                  newest
                      .get()
                      .thisUpdate()
                      .plus(
                          min(
                                  Duration.between(
                                      newest.get().thisUpdate(), newest.get().nextUpdate()),
                                  validity(authority.id()))
                              .dividedBy(2)));
      if (due && leads.getAsBoolean()) {
        publish(authority.id());
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private void seen(CrlInfo info) {
    newest.merge(info.authorityId(), info, (a, b) -> a.number() >= b.number() ? a : b);
  }

  private Number newest(String authorityId, java.util.function.Function<CrlInfo, Number> value) {
    CrlInfo info = newest.get(authorityId);
    return info == null ? Double.NaN : value.apply(info);
  }

  private void publishDueQuietly() {
    try {
      publishDue();
    } catch (RuntimeException e) {
      log.warn("publishing CRLs failed; retrying in {}", CHECK_EVERY, e);
    }
  }
}
