package dev.grpca.bench;

import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.ListResponse;
import dev.grpca.proto.v1.TidyRequest;
import dev.grpca.proto.v1.TidyResponse;
import io.grpc.ManagedChannel;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The inventory at scale (issue 17): List by name prefix and by labels, and a tidy of expired rows
 * while Issue runs, on the database the CRL rows left (1M revoked certificates, each named after
 * its common name, {@code host-N.bench.example}, as it was loaded). The rows get labels here, with
 * the server stopped: {@code team=team-XY} (XY: its serial's first two hex digits, so 256 teams of
 * ~3.9k) and {@code env=prod|dev} (half each); and 10k certificates that expired 100 days ago are
 * added for tidy to remove.
 */
final class InventoryBench {
  static final int EXPIRED = 10_000;
  private static final int CALLS = 300;

  private InventoryBench() {}

  /** Names and labels on the bench rows, and the expired rows (H2, server stopped). */
  static void prepare(String jdbcUrl, String pem, String tbsBase64) throws SQLException {
    try (Connection db =
            DriverManager.getConnection(jdbcUrl.replace(";WRITE_DELAY=0", ""), "grpca", "");
        Statement s = db.createStatement()) {
      String authority = RevokedRows.defaultAuthority(db);
      // In chunks of a day of issuance (17,280 rows): one statement over 1M rows made H2's file
      // grow past 20 GB before it committed.
      try (var labels =
          db.prepareStatement(
              "INSERT INTO certificate_label (serial_number, label_key, label_value,"
                  + " listed_time)"
                  + " SELECT serial_number, 'team', 'team-' || SUBSTRING(serial_number, 1, 2),"
                  + " issue_time FROM certificate WHERE requested_by = 'bench'"
                  + " AND issue_time >= DATEADD(DAY, ?, CURRENT_TIMESTAMP(0))"
                  + " AND issue_time < DATEADD(DAY, ?, CURRENT_TIMESTAMP(0))"
                  + " UNION ALL SELECT serial_number, 'env',"
                  + " CASE WHEN SUBSTRING(serial_number, 3, 1) < '8' THEN 'prod' ELSE 'dev' END,"
                  + " issue_time FROM certificate WHERE requested_by = 'bench'"
                  + " AND issue_time >= DATEADD(DAY, ?, CURRENT_TIMESTAMP(0))"
                  + " AND issue_time < DATEADD(DAY, ?, CURRENT_TIMESTAMP(0))")) {
        for (int day = -61; day <= 1; day++) {
          labels.setInt(1, day);
          labels.setInt(2, day + 1);
          labels.setInt(3, day);
          labels.setInt(4, day + 1);
          labels.executeUpdate();
        }
      }
      try (var insert =
          db.prepareStatement(
              "INSERT INTO certificate (serial_number, authority_id, profile, state, subject,"
                  + " common_name, public_key_algorithm, not_before, not_after, tbs_certificate,"
                  + " certificate_pem, sha256_fingerprint, requested_by, create_time, issue_time,"
                  + " name)"
                  + " SELECT s, ?, 'default', 'ISSUED', 'CN=' || n, n, 'EC P-256', t,"
                  + " DATEADD(DAY, 1, t), ?, ?, s || s, 'bench-expired', t, t, n"
                  + " FROM (SELECT REPLACE(CAST(RANDOM_UUID() AS VARCHAR), '-', '') s,"
                  + " 'expired-' || X || '.bench.example' n,"
                  + " DATEADD(SECOND, X, DATEADD(DAY, -100, CURRENT_TIMESTAMP(0))) t"
                  + " FROM SYSTEM_RANGE(1, ?))")) {
        insert.setString(1, authority);
        insert.setString(2, tbsBase64);
        insert.setString(3, pem);
        insert.setInt(4, EXPIRED);
        insert.executeUpdate();
      }
      s.execute("SHUTDOWN COMPACT");
    }
  }

  /** Some serials of the bench rows, for Get. */
  static List<String> serials(String jdbcUrl, int count) throws SQLException {
    try (Connection db = DriverManager.getConnection(jdbcUrl, "grpca", "");
        Statement s = db.createStatement();
        ResultSet rows =
            s.executeQuery(
                // The loader's serials may start with 0, which the wire form drops (the
                // server's own never do).
                "SELECT serial_number FROM certificate WHERE requested_by = 'bench'"
                    + " AND serial_number NOT LIKE '0%' ORDER BY issue_time LIMIT "
                    + count)) {
      List<String> out = new ArrayList<>();
      while (rows.next()) {
        out.add(rows.getString(1));
      }
      return out;
    }
  }

  /** Latencies of {@code CALLS} calls, one at a time, after 50 unmeasured ones. */
  record Latency(double p50, double p99, double max, double meanMatches, double meanTotal) {}

  static Latency time(IntFunction<ListResponse> call) {
    for (int i = 0; i < 50; i++) {
      call.apply(i);
    }
    long[] nanos = new long[CALLS];
    long matches = 0;
    long total = 0;
    for (int i = 0; i < CALLS; i++) {
      long start = System.nanoTime();
      ListResponse r = call.apply(1000 + i);
      nanos[i] = System.nanoTime() - start;
      matches += r.getCertificatesCount();
      total += r.getTotalSize();
    }
    Arrays.sort(nanos);
    return new Latency(
        nanos[CALLS / 2] / 1e6,
        nanos[(int) Math.ceil(CALLS * 0.99) - 1] / 1e6,
        nanos[CALLS - 1] / 1e6,
        matches / (double) CALLS,
        total / (double) CALLS);
  }

  /** The rows of the table, against a running server on the prepared database. */
  static List<String> run(BenchSetup setup, ServerProcess server, List<String> serials)
      throws Exception {
    List<String> lines = new ArrayList<>();
    ManagedChannel channel = setup.adminChannel();
    try {
      var stub = CertificateServiceGrpc.newBlockingStub(channel);
      Random random = new Random(17);
      Latency get =
          time(
              i -> {
                stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .get(
                        GetRequest.newBuilder()
                            .setSerialNumber(serials.get(random.nextInt(serials.size())))
                            .build());
                return ListResponse.getDefaultInstance();
              });
      Latency firstPage =
          time(
              i ->
                  stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                      .list(ListRequest.newBuilder().setPageSize(100).build()));
      Latency byPrefix =
          time(
              i ->
                  stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                      .list(
                          ListRequest.newBuilder()
                              .setPageSize(100)
                              .setNamePrefix("host-" + (10_000 + random.nextInt(90_000)))
                              .build()));
      Latency byLabel =
          time(
              i ->
                  stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                      .list(
                          ListRequest.newBuilder()
                              .setPageSize(100)
                              .addLabels(String.format("team=team-%02x", random.nextInt(256)))
                              .build()));
      Latency byTwoLabels =
          time(
              i ->
                  stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                      .list(
                          ListRequest.newBuilder()
                              .setPageSize(100)
                              .addLabels(String.format("team=team-%02x", random.nextInt(256)))
                              .addLabels("env=prod")
                              .build()));
      lines.add(row("Get by serial (reference)", get, false));
      lines.add(row("List, no filter, first page of 100 (reference)", firstPage, true));
      lines.add(row("List by name prefix (`host-NNNNN`, ~11 matches)", byPrefix, true));
      lines.add(
          row("List by one label (`team=team-XY`, ~3.9k matches), page of 100", byLabel, true));
      lines.add(
          row(
              "List by two labels (`team`, `env=prod`, ~1.95k matches), page of 100",
              byTwoLabels,
              true));

      // Tidy under load: Issue at 4 callers, alone and then while a tidy removes the 10k rows.
      IssueRequest issue =
          IssueRequest.newBuilder().setProfile("default").addDnsNames("tidy.bench.example").build();
      LoadGenerator.Call call = () -> stub.withDeadlineAfter(30, TimeUnit.SECONDS).issue(issue);
      LoadGenerator.Result alone =
          LoadGenerator.closedLoop(
              "Issue alone", 4, Duration.ofSeconds(5), Duration.ofSeconds(8), server, call);
      TidyResponse[] tidied = new TidyResponse[1];
      double[] tidySeconds = new double[1];
      Thread tidy =
          new Thread(
              () -> {
                try {
                  Thread.sleep(2000);
                  long start = System.nanoTime();
                  tidied[0] =
                      AdminServiceGrpc.newBlockingStub(channel)
                          .withDeadlineAfter(5, TimeUnit.MINUTES)
                          .tidy(TidyRequest.getDefaultInstance());
                  tidySeconds[0] = (System.nanoTime() - start) / 1e9;
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      tidy.start();
      LoadGenerator.Result during =
          LoadGenerator.closedLoop(
              "Issue during tidy", 4, Duration.ZERO, Duration.ofSeconds(10), server, call);
      tidy.join();
      lines.add("");
      lines.add(
          String.format(
              java.util.Locale.ROOT,
              "Tidy removed %,d expired certificates in %.2f s (the Tidy RPC end to end, 100 rows a"
                  + " transaction, 20 ms apart), started 2 s into a 10 s run of Issue at 4 callers:%n",
              tidied[0] == null ? -1 : tidied[0].getCertificatesRemoved(),
              tidySeconds[0]));
      lines.add("| Issue at 4 callers | calls/s | p50 ms | p99 ms | max ms |");
      lines.add("|---|---|---|---|---|");
      lines.add(issueRow("alone (reference)", alone));
      lines.add(issueRow("while tidy runs", during));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return lines;
  }

  private static String row(String what, Latency l, boolean list) {
    return String.format(
        java.util.Locale.ROOT,
        "| %s | %.1f | %.1f | %.1f | %s |",
        what,
        l.p50(),
        l.p99(),
        l.max(),
        list
            ? String.format(java.util.Locale.ROOT, "%.1f / %,.0f", l.meanMatches(), l.meanTotal())
            : "-");
  }

  private static String issueRow(String what, LoadGenerator.Result r) {
    return String.format(
        java.util.Locale.ROOT,
        "| %s | %.0f | %.1f | %.1f | %.1f |",
        what,
        r.rate(),
        r.p50(),
        r.p99(),
        r.max());
  }
}
