package dev.grpca.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording's CPU samples went: each {@code jdk.ExecutionSample} (a thread running Java
 * code) is put in the first category its stack matches, from the top frame down, so a sample in H2
 * called from jOOQ counts for H2. Samples of threads inside the PKCS#11 library (native code) are
 * counted apart. A third table puts each sample under the innermost grpca method on its stack (the
 * step of the request it belongs to). Only samples inside the measured window count: a recording
 * also holds the JIT warm-up, whose interpreted and C1 code would skew the shares. {@code
 * ProfileSummary FILE.jfr} prints the tables for the whole recording.
 */
public final class ProfileSummary {
  /** Package prefix to category, tried in order for each frame. */
  private static final Map<String, String> CATEGORIES = new LinkedHashMap<>();

  static {
    CATEGORIES.put("sun.security.pkcs11", "PKCS#11 calls (SunPKCS11, Java side)");
    CATEGORIES.put("org.bouncycastle.math", "EC arithmetic (Bouncy Castle)");
    CATEGORIES.put("sun.security.ec", "EC arithmetic (JDK SunEC)");
    CATEGORIES.put("java.math.BigInteger", "BigInteger arithmetic");
    CATEGORIES.put("sun.security.rsa", "RSA (JDK)");
    CATEGORIES.put("sun.security.provider", "hashing and random (JDK)");
    CATEGORIES.put("org.h2", "H2 database");
    CATEGORIES.put("org.jooq", "jOOQ (SQL rendering, mapping)");
    CATEGORIES.put("org.flywaydb", "Flyway");
    CATEGORIES.put("ch.qos.logback", "logging (Logback)");
    CATEGORIES.put("org.slf4j", "logging (Logback)");
    CATEGORIES.put("sun.security.ssl", "TLS (JDK)");
    CATEGORIES.put("io.netty.handler.ssl", "TLS (Netty)");
    CATEGORIES.put("javax.crypto", "TLS record crypto (JDK)");
    CATEGORIES.put("com.sun.crypto", "TLS record crypto (JDK)");
    CATEGORIES.put("com.google.protobuf", "protobuf");
    CATEGORIES.put("io.grpc", "gRPC");
    CATEGORIES.put("io.netty", "Netty (HTTP/2, sockets)");
    CATEGORIES.put("org.eclipse.jetty", "Jetty (HTTP sidecar)");
    CATEGORIES.put("org.bouncycastle.asn1", "ASN.1 encoding (Bouncy Castle)");
    CATEGORIES.put("org.bouncycastle", "other Bouncy Castle (X.509, PEM, CSR)");
    CATEGORIES.put("dev.grpca", "grpca's own code");
  }

  private ProfileSummary() {}

  public static void main(String[] args) throws IOException {
    System.out.print(summarize(Path.of(args[0]), Instant.MIN, Instant.MAX, 15));
  }

  /**
   * A Markdown summary of the samples taken between {@code from} and {@code to}: categories, the
   * hottest methods by self time, then grpca's steps.
   */
  static String summarize(Path recording, Instant from, Instant to, int topMethods)
      throws IOException {
    Map<String, Long> byCategory = new TreeMap<>();
    Map<String, Long> byMethod = new TreeMap<>();
    Map<String, Long> byStep = new TreeMap<>();
    Map<String, Long> allocatedByStep = new TreeMap<>();
    long allocated = 0;
    long samples = 0;
    long nativePkcs11 = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      String type = event.getEventType().getName();
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null
          || stack.getFrames().isEmpty()
          || event.getStartTime().isBefore(from)
          || event.getStartTime().isAfter(to)) {
        continue;
      }
      List<RecordedFrame> frames = stack.getFrames();
      if (type.equals("jdk.NativeMethodSample")) {
        if (frames.stream().anyMatch(f -> className(f).startsWith("sun.security.pkcs11"))) {
          nativePkcs11++;
        }
        continue;
      }
      if (type.equals("jdk.ObjectAllocationSample")) {
        long weight = event.getLong("weight");
        allocated += weight;
        allocatedByStep.merge(step(frames), weight, Long::sum);
        continue;
      }
      if (!type.equals("jdk.ExecutionSample")) {
        continue;
      }
      samples++;
      byCategory.merge(category(frames), 1L, Long::sum);
      RecordedFrame top = frames.get(0);
      byMethod.merge(className(top) + "." + top.getMethod().getName(), 1L, Long::sum);
      byStep.merge(step(frames), 1L, Long::sum);
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "%d CPU samples of Java code; %d samples of threads inside the PKCS#11 library.%n%n",
            samples, nativePkcs11));
    out.append("| where (first match from the top of the stack) | share of CPU samples |\n");
    out.append("|---|---|\n");
    for (Map.Entry<String, Long> e : sortedDescending(byCategory)) {
      out.append(String.format("| %s | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / samples));
    }
    out.append("\n| hottest methods (self) | share |\n|---|---|\n");
    for (Map.Entry<String, Long> e :
        sortedDescending(byMethod).subList(0, Math.min(topMethods, byMethod.size()))) {
      out.append(String.format("| `%s` | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / samples));
    }
    out.append("\n| innermost grpca method on the stack | share |\n|---|---|\n");
    for (Map.Entry<String, Long> e :
        sortedDescending(byStep).subList(0, Math.min(topMethods, byStep.size()))) {
      out.append(String.format("| %s | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / samples));
    }
    if (allocated > 0) {
      out.append("\n| allocation: innermost grpca method | share of sampled bytes |\n|---|---|\n");
      for (Map.Entry<String, Long> e :
          sortedDescending(allocatedByStep)
              .subList(0, Math.min(topMethods, allocatedByStep.size()))) {
        out.append(
            String.format("| %s | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / allocated));
      }
    }
    return out.toString();
  }

  /**
   * Where calls waited: JFR's monitor waits, monitor enters and parks (those over the recording's
   * threshold, 10 ms with {@code settings=profile}) between {@code from} and {@code to} on stacks
   * with a grpca frame, by the innermost grpca method. A Markdown table, or "" if none.
   */
  static String waits(Path recording, Instant from, Instant to) throws IOException {
    Map<String, long[]> byStep = new TreeMap<>();
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      String type = event.getEventType().getName();
      RecordedStackTrace stack = event.getStackTrace();
      if (!(type.equals("jdk.JavaMonitorWait")
              || type.equals("jdk.JavaMonitorEnter")
              || type.equals("jdk.ThreadPark"))
          || stack == null
          || event.getStartTime().isBefore(from)
          || event.getStartTime().isAfter(to)) {
        continue;
      }
      String step = step(stack.getFrames());
      if (step.startsWith("(")) {
        continue; // an idle pool thread waiting for work
      }
      long[] countAndMs = byStep.computeIfAbsent(type + " in " + step, k -> new long[2]);
      countAndMs[0]++;
      countAndMs[1] += event.getDuration().toMillis();
    }
    if (byStep.isEmpty()) {
      return "";
    }
    StringBuilder out =
        new StringBuilder("| waits of 10 ms or more | count | total ms |\n|---|---|---|\n");
    byStep.forEach((k, v) -> out.append(String.format("| %s | %d | %d |%n", k, v[0], v[1])));
    return out.toString();
  }

  /** The garbage collector's part in a window: its pauses and how much was allocated. */
  record GcWindow(int pauses, double pausedMs, double p50Ms, double maxMs, long allocatedBytes) {}

  /**
   * The GC pauses that began between {@code from} and {@code to}, and the bytes allocated between
   * the collections of that window (heap used before each, less heap used after the one before).
   */
  static GcWindow collections(Path recording, Instant from, Instant to) throws IOException {
    List<Double> pauses = new java.util.ArrayList<>();
    Map<Long, Long> usedBefore = new TreeMap<>();
    Map<Long, Long> usedAfter = new TreeMap<>();
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      if (event.getStartTime().isBefore(from) || event.getStartTime().isAfter(to)) {
        continue;
      }
      switch (event.getEventType().getName()) {
        case "jdk.GCPhasePause" -> pauses.add(event.getDuration().toNanos() / 1e6);
        case "jdk.GCHeapSummary" ->
            (event.getString("when").startsWith("Before") ? usedBefore : usedAfter)
                .put(event.getLong("gcId"), event.getLong("heapUsed"));
        default -> {}
      }
    }
    long allocated = 0;
    for (Map.Entry<Long, Long> before : usedBefore.entrySet()) {
      Long afterPrevious = usedAfter.get(before.getKey() - 1);
      if (afterPrevious != null) {
        allocated += before.getValue() - afterPrevious;
      }
    }
    java.util.Collections.sort(pauses);
    return new GcWindow(
        pauses.size(),
        pauses.stream().mapToDouble(Double::doubleValue).sum(),
        pauses.isEmpty() ? 0 : pauses.get(pauses.size() / 2),
        pauses.isEmpty() ? 0 : pauses.get(pauses.size() - 1),
        allocated);
  }

  /** The innermost grpca method, as {@code SimpleClass.method}; else "(no grpca frame)". */
  private static String step(List<RecordedFrame> frames) {
    for (RecordedFrame frame : frames) {
      String name = className(frame);
      if (name.startsWith("dev.grpca")) {
        String simple = name.substring(name.lastIndexOf('.') + 1);
        return "`" + simple + "." + frame.getMethod().getName() + "`";
      }
    }
    return "(no grpca frame: gRPC, Netty, TLS, GC helpers)";
  }

  private static String category(List<RecordedFrame> frames) {
    for (RecordedFrame frame : frames) {
      String name = className(frame);
      for (Map.Entry<String, String> c : CATEGORIES.entrySet()) {
        if (name.startsWith(c.getKey())) {
          return c.getValue();
        }
      }
    }
    return "other (JDK collections, threads, GC helpers)";
  }

  private static String className(RecordedFrame frame) {
    return frame.getMethod() == null ? "?" : frame.getMethod().getType().getName();
  }

  private static List<Map.Entry<String, Long>> sortedDescending(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .collect(Collectors.toList());
  }
}
