package dev.grpca.server.watch;

import dev.grpca.server.store.EventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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

  /** One stream's end of the feed. */
  public interface Watcher {
    boolean matches(EventStore.Event event);

    /** Takes the event; false once the watcher is closed (gone, or too slow to keep up). */
    boolean offer(EventStore.Event event);

    /** Whether its stream ended (the client went, or it was closed). */
    boolean closed();
  }

  private record Joining(long after, Watcher watcher) {}

  private final EventStore store;
  private final ScheduledExecutorService thread;
  private final Queue<Joining> joining = new ConcurrentLinkedQueue<>();
  private final List<Watcher> live = new ArrayList<>();
  private volatile long position;

  private EventFeed(EventStore store) {
    this.store = store;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "grpca-events");
              t.setDaemon(true);
              return t;
            });
  }

  /** A feed from the newest event on, read every {@code poll}. */
  public static EventFeed start(EventStore store, Duration poll) {
    EventFeed feed = new EventFeed(store);
    feed.position = store.lastEvent();
    feed.thread.scheduleWithFixedDelay(
        feed::tick, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    return feed;
  }

  /** The seq of the newest event read: where a watcher that resumes from nothing starts. */
  public long position() {
    return position;
  }

  /** Adds {@code watcher}, told every matching event after {@code after}. */
  public void watch(long after, Watcher watcher) {
    joining.add(new Joining(after, watcher));
    nudge();
  }

  /** Reads what is new now rather than at the next poll. */
  public void nudge() {
    try {
      thread.execute(this::tick);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // Stopping.
    }
  }

  private void tick() {
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
          live.removeIf(w -> w.matches(e) && !w.offer(e));
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
        if (j.watcher().matches(e) && !j.watcher().offer(e)) {
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
