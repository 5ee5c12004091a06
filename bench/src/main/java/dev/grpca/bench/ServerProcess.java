package dev.grpca.bench;

import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.GetCaChainRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grpca server as users run it: its own JVM ({@code java -jar server/target/grpca-server.jar
 * --config FILE}), so that its CPU time, resident memory and heap are its own and not the load
 * generator's.
 */
final class ServerProcess implements AutoCloseable {
  /** A G1 log line: "... 123M->45M(512M) 6.789ms". */
  private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  private final Process process;
  private final Path gcLog;
  final BenchSetup setup;

  /** From spawning the JVM to the first answered gRPC call. */
  final Duration startToServing;

  private ServerProcess(Process process, Path gcLog, BenchSetup setup, Duration startToServing) {
    this.process = process;
    this.gcLog = gcLog;
    this.setup = setup;
    this.startToServing = startToServing;
  }

  /**
   * Starts the server with {@code heap} as -Xmx and waits until a GetCaChain call over TLS answers.
   * {@code name} names its output and GC log files; {@code jvmArgs} are added (e.g. JFR), and so
   * are the words of the system property {@code bench.serverJvm} (e.g. GC settings to compare).
   */
  static ServerProcess start(BenchSetup setup, String name, String heap, List<String> jvmArgs)
      throws IOException, InterruptedException {
    Path gcLog = setup.dir().resolve(name + "-gc.log");
    Files.deleteIfExists(gcLog);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-Xlog:gc:file=" + gcLog);
    command.add("-Dlogback.configurationFile=" + setup.logbackConfig());
    command.add("-Dgrpca.bench.log=" + setup.dir().resolve(name + ".log"));
    command.addAll(jvmArgs);
    String extra = System.getProperty("bench.serverJvm", "").strip();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.add("-jar");
    command.add(setup.serverJar().toString());
    command.add("--config");
    command.add(setup.configFile().toString());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(setup.dir().resolve(name + ".out").toFile());
    builder.environment().put("SOFTHSM2_CONF", setup.softhsmConf().toString());
    long spawned = System.nanoTime();
    Process process = builder.start();
    try {
      waitUntilServing(setup, process);
    } catch (IOException | InterruptedException | RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
    return new ServerProcess(process, gcLog, setup, Duration.ofNanos(System.nanoTime() - spawned));
  }

  private static void waitUntilServing(BenchSetup setup, Process process)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the server exited with " + process.exitValue() + "; see " + setup.dir());
      }
      // A TLS channel per attempt costs the starting server CPU on 2 cores: only once the port
      // takes connections.
      if (Files.exists(setup.caPem())
          && Files.exists(setup.adminTokenFile())
          && accepts(setup.grpcPort())) {
        ManagedChannel channel = null;
        try {
          channel = setup.adminChannel();
          AuthorityServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .getCaChain(GetCaChainRequest.getDefaultInstance());
          return;
        } catch (StatusRuntimeException | IllegalArgumentException e) {
          // Not serving yet, or the files are from an earlier run and TLS changed, or ca.pem is
          // being written (servers before the atomic write): try again.
        } finally {
          if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          }
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("the server did not serve within 120 s; see " + setup.dir());
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  long pid() {
    return process.pid();
  }

  /** User plus system CPU time the server process has used so far. */
  Duration cpuTime() {
    return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  /**
   * CPU time used so far per kind of thread (Linux /proc: thread names with digits dropped, as the
   * kernel keeps them, 15 characters), in milliseconds: shows what JIT compilers, GC and the
   * request threads each take.
   */
  Map<String, Long> cpuByThread() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    long tick = 10; // ms per clock tick (USER_HZ is 100 on Linux)
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        out.merge(name.replaceAll("[0-9#]+", "").strip(), ticks * tick, Long::sum);
      }
    }
    return out;
  }

  /** Resident set size now, in MiB (Linux /proc). */
  long rssMiB() {
    return statusKiB("VmRSS:") >> 10;
  }

  /** The highest resident set size so far, in MiB (Linux /proc). */
  long peakRssMiB() {
    return statusKiB("VmHWM:") >> 10;
  }

  private long statusKiB(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.substring(field.length()).replace("kB", "").strip());
        }
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Heap figures from the GC log so far. */
  HeapUse heap() throws IOException {
    return HeapUse.of(gcLog);
  }

  /** Peak heap in use (before a collection) and the largest heap left live after one, in MiB. */
  record HeapUse(long peakMiB, long maxLiveMiB, long capacityMiB) {
    static HeapUse of(Path gcLog) throws IOException {
      long peak = 0;
      long live = 0;
      long capacity = 0;
      if (Files.exists(gcLog)) {
        for (String line : Files.readAllLines(gcLog)) {
          Matcher m = GC_LINE.matcher(line);
          if (m.find()) {
            peak = Math.max(peak, Long.parseLong(m.group(1)));
            live = Math.max(live, Long.parseLong(m.group(2)));
            capacity = Math.max(capacity, Long.parseLong(m.group(3)));
          }
        }
      }
      return new HeapUse(peak, live, capacity);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
