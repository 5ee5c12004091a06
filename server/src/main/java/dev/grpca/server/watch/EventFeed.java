package dev.grpca.server.watch;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.store.StoredCertificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the changes in the event table to watchers, in order, each exactly once: one thread reads
 * what is new (every {@code poll}, and at once when {@link #nudge}d after a change made here or
 * announced by another replica) and offers it to every watcher it matches. A new watcher first gets
 * what it missed since its resume point, read on the same thread, then joins the live ones; so
 * nothing is told twice or skipped between the two.
 */
public final class EventFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventFeed.class);
  private static final int BATCH = 500;

  /**
   * An event as it is handed out, with its certificate as it is now (read once, for every watcher
   * that asks, and only if one asks).
   */
  public static final class Delivered {
    private final EventStore.Event event;
    private final Function<String, Optional<StoredCertificate>> find;
    private Optional<StoredCertificate> certificate;

    public Delivered(EventStore.Event event, Function<String, Optional<StoredCertificate>> find) {
      this.event = event;
      this.find = find;
    }

    public EventStore.Event event() {
      return event;
    }

    /** The certificate the event is about (for a renewal, the new one). */
    public Optional<StoredCertificate> certificate() {
      if (certificate == null) {
        certificate = find.apply(event.serialNumber());
      }
      return certificate;
    }
  }

  /** One stream's end of the feed. */
  public interface Watcher {
    boolean matches(Delivered event);

    /** Takes the event; false once the watcher is closed (gone, or too slow to keep up). */
    boolean offer(Delivered event);

    /** Whether its stream ended (the client went, or it was closed). */
    boolean closed();
  }

  private record Joining(long after, Watcher watcher) {}

  private final EventStore store;
  private final Function<String, Optional<StoredCertificate>> find;
  private final Duration retention;
  private final ScheduledExecutorService thread;
  private final Queue<Joining> joining = new ConcurrentLinkedQueue<>();
  private final List<Watcher> live = new ArrayList<>();
  private volatile long position;
  private final java.util.concurrent.atomic.AtomicBoolean nudged =
      new java.util.concurrent.atomic.AtomicBoolean();

  private EventFeed(
      EventStore store, Function<String, Optional<StoredCertificate>> find, Duration retention) {
    this.store = store;
    this.retention = retention;
    this.find = find;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "grpca-events");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * A feed from the newest event on, read every {@code poll}; {@code find} reads a certificate by
   * serial for the watchers that need it; events are kept for {@code retention} (watch.retention).
   */
  public static EventFeed start(
      EventStore store,
      Function<String, Optional<StoredCertificate>> find,
      Duration poll,
      Duration retention) {
    EventFeed feed = new EventFeed(store, find, retention);
    feed.position = store.lastEvent();
    feed.thread.scheduleWithFixedDelay(
        feed::tick, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    return feed;
  }

  /** The seq of the newest event read: where a watcher that resumes from nothing starts. */
  public long position() {
    return position;
  }

  /**
   * Where a stream resuming after {@code after} starts: {@code after} itself, unless retention
   * removed events it has not seen (FAILED_PRECONDITION: it must start again from the current
   * state).
   */
  public long resumable(String field, long after) {
    if (after < store.horizon()) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          field,
          "events after "
              + after
              + " are no longer kept (watch.retention "
              + DurationText.human(retention)
              + "): watch again without a resume_token, from the current state");
    }
    return after;
  }

  /** Removes events older than the retention every {@code interval}, on {@code scheduler}. */
  public EventFeed forgetEvery(
      ScheduledExecutorService scheduler, java.time.Clock clock, Duration interval) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            forget(clock.instant().minus(retention));
          } catch (RuntimeException e) {
            log.warn("removing old events failed, next in {}: {}", interval, e.getMessage());
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** Removes the events made before {@code before}, in batches; returns how many went. */
  public int forget(Instant before) {
    int total = 0;
    int gone;
    do {
      gone = store.forget(before, BATCH);
      total += gone;
    } while (gone == BATCH);
    return total;
  }

  /** Adds {@code watcher}, told every matching event after {@code after}. */
  public void watch(long after, Watcher watcher) {
    joining.add(new Joining(after, watcher));
    nudge();
  }

  /**
   * Reads what is new now rather than at the next poll. Nudges while one is pending make one read:
   * 10,000 streams opening, or a burst of revocations, do not queue a read each.
   */
  public void nudge() {
    if (!nudged.compareAndSet(false, true)) {
      return;
    }
    try {
      thread.execute(this::tick);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // Stopping.
    }
  }

  private void tick() {
    nudged.set(false);
    try {
      for (Joining j = joining.peek(); j != null; j = joining.peek()) {
        boolean open = replay(j);
        joining.remove();
        if (open) {
          live.add(j.watcher());
        }
      }
      live.removeIf(Watcher::closed);
      List<EventStore.Event> batch;
      do {
        batch = store.eventsAfter(position, BATCH);
        for (EventStore.Event e : batch) {
          Delivered d = new Delivered(e, find);
          live.removeIf(w -> w.matches(d) && !w.offer(d));
          position = e.seq();
        }
      } while (batch.size() == BATCH);
    } catch (RuntimeException e) {
      // The database may be away: the watchers stay, and the next tick reads on from here.
      log.warn("reading events failed, retried at the next poll: {}", e.getMessage());
    }
  }

  /** What {@code j} missed, up to where the live ones are; false if it closed meanwhile. */
  private boolean replay(Joining j) {
    long cursor = j.after();
    while (cursor < position) {
      List<EventStore.Event> batch = store.eventsAfter(cursor, BATCH);
      for (EventStore.Event e : batch) {
        if (e.seq() > position) {
          return true;
        }
        Delivered d = new Delivered(e, find);
        if (j.watcher().matches(d) && !j.watcher().offer(d)) {
          return false;
        }
        cursor = e.seq();
      }
      if (batch.size() < BATCH) {
        return true;
      }
    }
    return !j.watcher().closed();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
