package dev.grpca.bench.micro;

import com.codahale.metrics.Timer;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * What metrics cost one Sign, measured alone: the updates a Sign makes on its way (the gRPC call
 * timer, six step timers, the token's timer, two group commits with their batch sizes, four
 * connection loans as HikariCP records them, the issuance and certificate counters looked up by
 * their labels), on two threads as on the server; against the same with metrics off.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(2)
public class MetricsBenchmark {
  @Param({"on", "off"})
  public String metrics;

  private Metrics registry;
  private Timer call;
  private Timer[] steps;
  private Timer sign;
  private Timer commit;
  private Timer poolWait;

  @Setup
  public void setUp() {
    registry = metrics.equals("on") ? Metrics.create() : Metrics.disabled();
    call = registry.timer(MetricNames.GRPC_CALLS, "CertificateService", "Sign", "OK");
    steps = new Timer[MetricNames.STEPS.size()];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = registry.timer(MetricNames.ISSUANCE_STEP, MetricNames.STEPS.get(i));
    }
    sign = registry.timer(MetricNames.TOKEN_SIGN, "ec_p256");
    commit = registry.timer(MetricNames.DB_COMMIT);
    poolWait = registry.registry().timer("grpca-db.pool.Wait", Metrics::newTimer);
  }

  @Benchmark
  public void oneSign() {
    long t = System.nanoTime();
    for (Timer step : steps) {
      step.update(System.nanoTime() - t, TimeUnit.NANOSECONDS);
    }
    sign.update(180_000, TimeUnit.NANOSECONDS);
    for (int i = 0; i < 2; i++) {
      commit.update(1_500_000, TimeUnit.NANOSECONDS);
      registry.histogram(MetricNames.DB_BATCH).update(8);
    }
    for (int i = 0; i < 4; i++) {
      poolWait.update(20_000, TimeUnit.NANOSECONDS);
    }
    registry.counter(MetricNames.ISSUANCE, "Sign", "default", "issuing-ca", "issued").inc();
    registry.counter(MetricNames.CERTIFICATES_ISSUED, "leaf", "issuing-ca").inc();
    call.update(System.nanoTime() - t, TimeUnit.NANOSECONDS);
  }
}
