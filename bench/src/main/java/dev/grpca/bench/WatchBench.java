package dev.grpca.bench;

import dev.grpca.client.BearerToken;
import dev.grpca.client.GrpcaChannels;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateTokenRequest;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.proto.v1.PutPrincipalRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.WatchRevocationsRequest;
import dev.grpca.proto.v1.WatchRevocationsResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Issue 18's watch streams at scale: 10,000 idle WatchRevocations streams (100 principals with 100
 * streams each, on a channel each, the per-principal limit), what they cost the server (live heap
 * after a full collection, RSS, CPU while idle), and how long a Revoke takes to reach all of them.
 */
final class WatchBench {
  static final int PRINCIPALS = 100;
  static final int PER_PRINCIPAL = 100;
  static final int WATCHERS = PRINCIPALS * PER_PRINCIPAL;
  private static final int REVOCATIONS = 5;
  private static final Duration IDLE = Duration.ofSeconds(20);

  private WatchBench() {}

  /** A stream that notes when each revocation (by serial) reached it. */
  private static final class Watcher
      implements ClientResponseObserver<WatchRevocationsRequest, WatchRevocationsResponse> {
    final ConcurrentHashMap<String, Long> received;
    final ConcurrentHashMap<String, CountDownLatch> all;
    ClientCallStreamObserver<WatchRevocationsRequest> call;
    volatile boolean live;

    Watcher(
        ConcurrentHashMap<String, Long> received, ConcurrentHashMap<String, CountDownLatch> all) {
      this.received = received;
      this.all = all;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRevocationsRequest> call) {
      this.call = call;
    }

    @Override
    public void onNext(WatchRevocationsResponse e) {
      long now = System.nanoTime();
      live = true;
      received.merge(e.getSerialNumber() + "#" + System.identityHashCode(this), now, Math::min);
      CountDownLatch latch = all.get(e.getSerialNumber());
      if (latch != null) {
        latch.countDown();
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  /** Lines of the report. */
  static List<String> run(BenchSetup setup, ServerProcess server) throws Exception {
    List<String> lines = new ArrayList<>();
    ManagedChannel admin = setup.adminChannel();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      var admins = AdminServiceGrpc.newBlockingStub(admin);
      var certificates = CertificateServiceGrpc.newBlockingStub(admin);
      List<String> tokens = new ArrayList<>();
      for (int p = 0; p < PRINCIPALS; p++) {
        String name = "watcher-" + p;
        admins.putPrincipal(
            PutPrincipalRequest.newBuilder()
                .setPrincipal(
                    Principal.newBuilder()
                        .setName(name)
                        .addGrants(
                            Grant.newBuilder()
                                .addProfiles("*")
                                .addOperations(Operation.OPERATION_READ)))
                .build());
        tokens.add(
            admins
                .createToken(CreateTokenRequest.newBuilder().setPrincipal(name).build())
                .getToken());
      }
      HeapAndCpu before = HeapAndCpu.of(server, IDLE);

      ConcurrentHashMap<String, Long> received = new ConcurrentHashMap<>();
      ConcurrentHashMap<String, CountDownLatch> all = new ConcurrentHashMap<>();
      List<Watcher> watchers = new ArrayList<>();
      for (String token : tokens) {
        ManagedChannel channel =
            GrpcaChannels.connect(setup.grpcTarget(), setup.caPem(), new BearerToken(token));
        channels.add(channel);
        var stub = CertificateServiceGrpc.newStub(channel);
        for (int i = 0; i < PER_PRINCIPAL; i++) {
          Watcher w = new Watcher(received, all);
          stub.watchRevocations(WatchRevocationsRequest.getDefaultInstance(), w);
          watchers.add(w);
        }
      }
      // A stream is live once a revocation reaches it (one made before the call reached the
      // server is not its to tell): revoke until every stream has had one.
      long live = 0;
      for (int round = 0; round < 10 && live < WATCHERS; round++) {
        Thread.sleep(2000);
        revokeOne(certificates, "warm-" + round);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
          Thread.sleep(100);
          live = watchers.stream().filter(w -> w.live).count();
        } while (live < WATCHERS && System.nanoTime() < deadline);
      }
      if (live < WATCHERS) {
        lines.add("(only " + live + " of " + WATCHERS + " streams are live)");
      }
      // Let the JIT finish with the burst of the warm-up before the idle window.
      Thread.sleep(10_000);
      HeapAndCpu with = HeapAndCpu.of(server, IDLE);

      // Fan-out: the time from the Revoke call's return to each stream's receipt.
      List<Long> latencies = new ArrayList<>();
      List<Long> lasts = new ArrayList<>();
      for (int r = 0; r < REVOCATIONS; r++) {
        String serial = issue(certificates, "fanout-" + r);
        CountDownLatch latch = new CountDownLatch(WATCHERS);
        all.put(serial, latch);
        long sent = System.nanoTime();
        revoke(certificates, serial);
        boolean complete = latch.await(30, TimeUnit.SECONDS);
        long last = 0;
        for (var entry : received.entrySet()) {
          if (entry.getKey().startsWith(serial + "#")) {
            long ms = Math.max(0, entry.getValue() - sent);
            latencies.add(ms);
            last = Math.max(last, ms);
          }
        }
        lasts.add(complete ? last : -1);
      }
      long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      lines.add(
          String.format(
              Locale.ROOT,
              "| %,d idle WatchRevocations streams (%d principals x %d, a channel each) | live heap"
                  + " after a full GC %d MiB (%+d against %d without) | RSS %d MiB (%+d) | server"
                  + " CPU idle %.1f%% of a core (%.1f%% without) |",
              WATCHERS,
              PRINCIPALS,
              PER_PRINCIPAL,
              with.liveMiB,
              with.liveMiB - before.liveMiB,
              before.liveMiB,
              with.rssMiB,
              with.rssMiB - before.rssMiB,
              with.cpuShare * 100,
              before.cpuShare * 100));
      lines.add(
          "| server CPU while idle, by thread kind, with the streams | "
              + with.busiest()
              + " | without | "
              + before.busiest()
              + " | |");
      lines.add(
          String.format(
              Locale.ROOT,
              "| Revoke to each of the %,d streams, %d revocations (%,d receipts) | p50 %.1f ms |"
                  + " p99 %.1f ms | max %.1f ms | the last stream of each: %s ms |",
              WATCHERS,
              REVOCATIONS,
              sorted.length,
              at(sorted, 0.50) / 1e6,
              at(sorted, 0.99) / 1e6,
              sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
              String.join(
                  ", ",
                  lasts.stream()
                      .map(n -> n < 0 ? "incomplete" : String.format(Locale.ROOT, "%.0f", n / 1e6))
                      .toList())));
      watchers.forEach(w -> w.call.cancel("done", null));
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      admin.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return lines;
  }

  private static long at(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.ceil(sorted.length * q) - 1];
  }

  private static String issue(
      CertificateServiceGrpc.CertificateServiceBlockingStub certificates, String name) {
    return certificates
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .issue(
            IssueRequest.newBuilder()
                .setProfile("default")
                .addDnsNames(name + ".watch.bench.example")
                .build())
        .getCertificate()
        .getSerialNumber();
  }

  private static void revoke(
      CertificateServiceGrpc.CertificateServiceBlockingStub certificates, String serial) {
    certificates
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .revoke(
            RevokeRequest.newBuilder()
                .setSerialNumber(serial)
                .setReason(RevocationReason.REVOCATION_REASON_SUPERSEDED)
                .build());
  }

  private static String revokeOne(
      CertificateServiceGrpc.CertificateServiceBlockingStub certificates, String name) {
    String serial = issue(certificates, name);
    revoke(certificates, serial);
    return serial;
  }

  /** The server's live heap after a full collection, its RSS, and its CPU over {@code idle}. */
  private record HeapAndCpu(long liveMiB, long rssMiB, double cpuShare, String busiest) {
    static HeapAndCpu of(ServerProcess server, Duration idle) throws Exception {
      Duration cpu0 = server.cpuTime();
      java.util.Map<String, Long> threads0 = server.cpuByThread();
      long t0 = System.nanoTime();
      Thread.sleep(idle.toMillis());
      double share = (server.cpuTime().minus(cpu0).toNanos()) / (double) (System.nanoTime() - t0);
      java.util.Map<String, Long> threads = server.cpuByThread();
      String busiest =
          threads.entrySet().stream()
              .map(
                  e ->
                      java.util.Map.entry(
                          e.getKey(), e.getValue() - threads0.getOrDefault(e.getKey(), 0L)))
              .filter(e -> e.getValue() > 0)
              .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
              .limit(4)
              .map(e -> e.getKey() + " " + e.getValue() + " ms")
              .collect(java.util.stream.Collectors.joining(", "));
      return new HeapAndCpu(liveHeapMiB(server.pid()), server.rssMiB(), share, busiest);
    }

    /** {@code jcmd GC.run}, then the heap in use as {@code jcmd GC.heap_info} says. */
    private static long liveHeapMiB(long pid) throws Exception {
      jcmd(pid, "GC.run");
      String info = jcmd(pid, "GC.heap_info");
      // "garbage-first heap   total 524288K, used 123456K [...]"
      var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
      return m.find() ? Long.parseLong(m.group(1)) >> 10 : -1;
    }

    private static String jcmd(long pid, String command) throws Exception {
      Process p =
          new ProcessBuilder(
                  Files.exists(
                          java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd"))
                      ? java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd")
                          .toString()
                      : "jcmd",
                  Long.toString(pid),
                  command)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(60, TimeUnit.SECONDS);
      return out;
    }
  }
}
