package dev.grpca.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * N callers making blocking calls for a fixed time after a warm-up. Closed loop: each caller calls
 * again as soon as its call returns (the peak rate). Paced: the callers start calls on a fixed
 * schedule at a given rate, and a call's latency counts from when it was due, so a server that
 * falls behind is charged for the wait (no coordinated omission).
 */
final class LoadGenerator {
  private LoadGenerator() {}

  /** One call; throws on failure, which stops the run. */
  @FunctionalInterface
  interface Call {
    void run() throws Exception;
  }

  /** What one run measured. Latencies in milliseconds; CPU in milliseconds per call. */
  record Result(
      String name,
      int callers,
      long calls,
      double seconds,
      double p50,
      double p90,
      double p99,
      double max,
      double serverCpuMsPerCall,
      double clientCpuMsPerCall,
      long serverRssMiB) {
    double rate() {
      return calls / seconds;
    }
  }

  static Result closedLoop(
      String name, int callers, Duration warmUp, Duration measure, ServerProcess server, Call call)
      throws InterruptedException {
    return run(name, callers, warmUp, measure, server, call, 0);
  }

  /** Calls at {@code rate} per second in total, spread over {@code callers} threads. */
  static Result paced(
      String name,
      int callers,
      double rate,
      Duration warmUp,
      Duration measure,
      ServerProcess server,
      Call call)
      throws InterruptedException {
    return run(name, callers, warmUp, measure, server, call, rate);
  }

  private static Result run(
      String name,
      int callers,
      Duration warmUp,
      Duration measure,
      ServerProcess server,
      Call call,
      double rate)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicLong failures = new AtomicLong();
    Throwable[] firstFailure = new Throwable[1];
    CountDownLatch done = new CountDownLatch(callers);
    long[][] latencies = new long[callers][];
    int[] counts = new int[callers];
    long intervalNanos = rate > 0 ? (long) (callers * 1e9 / rate) : 0;
    long origin = System.nanoTime();
    for (int t = 0; t < callers; t++) {
      int id = t;
      latencies[id] = new long[1 << 20];
      Thread thread =
          new Thread(
              () -> {
                long due = origin + (intervalNanos * id) / callers;
                try {
                  while (!stop.get()) {
                    long start;
                    if (intervalNanos > 0) {
                      long wait = due - System.nanoTime();
                      if (wait > 0) {
                        LockSupport.parkNanos(wait);
                      }
                      start = due;
                      due += intervalNanos;
                    } else {
                      start = System.nanoTime();
                    }
                    call.run();
                    long latency = System.nanoTime() - start;
                    if (measuring.get() && counts[id] < latencies[id].length) {
                      latencies[id][counts[id]++] = latency;
                    }
                  }
                } catch (Throwable e) {
                  synchronized (firstFailure) {
                    if (firstFailure[0] == null) {
                      firstFailure[0] = e;
                    }
                  }
                  failures.incrementAndGet();
                  stop.set(true);
                } finally {
                  done.countDown();
                }
              },
              "caller-" + id);
      thread.setDaemon(true);
      thread.start();
    }
    Thread.sleep(warmUp.toMillis());
    Duration serverCpu0 = server.cpuTime();
    long clientCpu0 = clientCpuNanos();
    long begin = System.nanoTime();
    measuring.set(true);
    Thread.sleep(measure.toMillis());
    measuring.set(false);
    long end = System.nanoTime();
    Duration serverCpu = server.cpuTime().minus(serverCpu0);
    long clientCpu = clientCpuNanos() - clientCpu0;
    long rss = server.rssMiB();
    stop.set(true);
    done.await();
    if (firstFailure[0] != null) {
      throw new IllegalStateException(name + ": a call failed", firstFailure[0]);
    }
    long total = Arrays.stream(counts).sum();
    long[] all = new long[(int) total];
    int at = 0;
    for (int t = 0; t < callers; t++) {
      System.arraycopy(latencies[t], 0, all, at, counts[t]);
      at += counts[t];
    }
    Arrays.sort(all);
    double perCall = total == 0 ? 0 : 1e-6 / total;
    return new Result(
        name,
        callers,
        total,
        (end - begin) / 1e9,
        percentile(all, 0.50),
        percentile(all, 0.90),
        percentile(all, 0.99),
        all.length == 0 ? 0 : all[all.length - 1] / 1e6,
        serverCpu.toNanos() * perCall,
        clientCpu * perCall,
        rss);
  }

  private static double percentile(long[] sorted, double p) {
    return sorted.length == 0
        ? 0
        : sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] / 1e6;
  }

  private static long clientCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
