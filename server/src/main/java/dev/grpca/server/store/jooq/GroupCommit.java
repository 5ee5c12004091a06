package dev.grpca.server.store.jooq;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.Timer;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * Group commit: writes that arrive while another is committing wait, and are then run together in
 * one transaction with one commit, which is what a commit costs (H2 writes a chunk, PostgreSQL
 * flushes its WAL). A caller still returns only after the transaction holding its write has
 * committed, so "durably stored before answering" holds for each one.
 *
 * <p>No thread is added: the first caller to find nobody committing leads, runs one batch (its own
 * write and whatever queued before it started), then hands the lead to the oldest waiting caller.
 * If a batch fails, each of its writes is run again in a transaction of its own, so one bad write
 * never fails another.
 */
final class GroupCommit {
  private static final int MAX_BATCH = 64;

  private final DSLContext dsl;
  private final ArrayDeque<Write<?>> queue = new ArrayDeque<>();
  private boolean leading;

  private final Timer commits;
  private final Histogram batches;

  GroupCommit(DSLContext dsl, Metrics metrics) {
    this.dsl = dsl;
    this.commits = metrics.timer(MetricNames.DB_COMMIT);
    this.batches = metrics.histogram(MetricNames.DB_BATCH);
  }

  /** Runs {@code work} in a transaction, possibly shared, and returns once that has committed. */
  <T> T run(Function<DSLContext, T> work) {
    Write<T> write = new Write<>(work);
    boolean lead;
    synchronized (this) {
      queue.add(write);
      lead = !leading;
      leading = true;
    }
    if (!lead) {
      write.awaitTurnOrResult();
    }
    if (!write.done()) {
      leadOneBatch();
    }
    return write.result();
  }

  private void leadOneBatch() {
    List<Write<?>> batch = new ArrayList<>();
    synchronized (this) {
      while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
        batch.add(queue.poll());
      }
    }
    try {
      execute(batch);
    } finally {
      synchronized (this) {
        Write<?> next = queue.peek();
        if (next == null) {
          leading = false;
        } else {
          next.lead();
        }
      }
    }
  }

  private void execute(List<Write<?>> batch) {
    batches.update(batch.size());
    if (batch.size() > 1) {
      try {
        Object[] results = new Object[batch.size()];
        long start = System.nanoTime();
        dsl.transaction(
            tx -> {
              for (int i = 0; i < batch.size(); i++) {
                results[i] = batch.get(i).work.apply(tx.dsl());
              }
            });
        commits.update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        for (int i = 0; i < batch.size(); i++) {
          batch.get(i).succeed(results[i]);
        }
        return;
      } catch (RuntimeException shared) {
        // Some write failed and took the batch with it: run each on its own.
      }
    }
    for (Write<?> write : batch) {
      try {
        long start = System.nanoTime();
        Object result = dsl.transactionResult(tx -> write.work.apply(tx.dsl()));
        commits.update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        write.succeed(result);
      } catch (RuntimeException e) {
        write.fail(e);
      }
    }
  }

  /** One caller's write: waits for its result, or for its turn to lead. */
  private static final class Write<T> {
    final Function<DSLContext, T> work;
    private boolean done;
    private boolean turn;
    private Object value;
    private RuntimeException failure;

    Write(Function<DSLContext, T> work) {
      this.work = work;
    }

    synchronized void succeed(Object result) {
      value = result;
      done = true;
      notifyAll();
    }

    synchronized void fail(RuntimeException e) {
      failure = e;
      done = true;
      notifyAll();
    }

    synchronized void lead() {
      turn = true;
      notifyAll();
    }

    synchronized boolean done() {
      return done;
    }

    synchronized void awaitTurnOrResult() {
      boolean interrupted = false;
      while (!done && !turn) {
        try {
          wait();
        } catch (InterruptedException e) {
          // The write may already be in a transaction: wait for its outcome, keep the flag.
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    @SuppressWarnings("unchecked")
    synchronized T result() {
      if (failure != null) {
        throw failure;
      }
      return (T) value;
    }
  }
}
