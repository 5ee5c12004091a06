package dev.grpca.server.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.NoopMetricRegistry;
import com.codahale.metrics.Timer;
import com.codahale.metrics.jmx.JmxReporter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The one Dropwizard {@link MetricRegistry} of a server, built in the composition root and handed
 * to what it measures. Series are asked for by {@link Family} (named in {@link MetricNames}) and
 * label values; each is registered once under a Dropwizard name made of the family's and the
 * values, which is what JMX shows, and remembered with its labels for the Prometheus view.
 *
 * <p>Turned off ({@link #disabled()}), every series is a no-op and nothing is exported: the cost
 * the bench compares against.
 */
public final class Metrics {
  /** The JMX domain of every MBean grpca registers. */
  public static final String JMX_DOMAIN = "dev.grpca";

  private static final Timer NOOP_TIMER = new NoopMetricRegistry().timer("noop");
  private static final Counter NOOP_COUNTER = new NoopMetricRegistry().counter("noop");
  private static final Histogram NOOP_HISTOGRAM = new NoopMetricRegistry().histogram("noop");

  /** A series: its family and label values, as the Prometheus view exports it. */
  record Series(Family family, List<String> labelValues) {}

  private final MetricRegistry registry;
  private final boolean enabled;

  /** By family name and label values: what callers ask for on hot paths. */
  private final Map<String, Metric> byKey = new ConcurrentHashMap<>();

  /** By the name the Dropwizard bridge gives each series (its sanitized Dropwizard name). */
  private final Map<String, Series> byExportedName = new ConcurrentHashMap<>();

  private Metrics(MetricRegistry registry, boolean enabled) {
    this.registry = registry;
    this.enabled = enabled;
  }

  /** Metrics that record. */
  public static Metrics create() {
    return new Metrics(new MetricRegistry(), true);
  }

  /** Metrics that record nothing (metrics.enabled: false). */
  public static Metrics disabled() {
    return new Metrics(new NoopMetricRegistry(), false);
  }

  public boolean enabled() {
    return enabled;
  }

  /** The registry itself, for libraries that report into one (HikariCP). */
  public MetricRegistry registry() {
    return registry;
  }

  public Timer timer(Family family, String... labelValues) {
    if (!enabled) {
      return NOOP_TIMER;
    }
    return (Timer)
        series(
            family,
            Family.Type.TIMER,
            labelValues,
            name -> registry.timer(name, Metrics::newTimer));
  }

  public Counter counter(Family family, String... labelValues) {
    if (!enabled) {
      return NOOP_COUNTER;
    }
    return (Counter) series(family, Family.Type.COUNTER, labelValues, registry::counter);
  }

  public Histogram histogram(Family family, String... labelValues) {
    if (!enabled) {
      return NOOP_HISTOGRAM;
    }
    return (Histogram)
        series(
            family,
            Family.Type.HISTOGRAM,
            labelValues,
            name -> registry.histogram(name, Metrics::newHistogram));
  }

  /**
   * A gauge read at each scrape ({@code value} must be cheap: never a walk of a table). Asking
   * again for the same series replaces what it reads.
   */
  public void gauge(Family family, Supplier<? extends Number> value, String... labelValues) {
    if (!enabled) {
      return;
    }
    SettableGauge gauge =
        (SettableGauge)
            series(
                family,
                Family.Type.GAUGE,
                labelValues,
                name -> registry.register(name, new SettableGauge()));
    gauge.reads(value);
  }

  /**
   * Registers a metric a library makes itself under {@code dropwizardName} as a series of {@code
   * family}: e.g. HikariCP's pool gauges.
   */
  public void alias(String dropwizardName, Family family, String... labelValues) {
    if (enabled) {
      byExportedName.put(exportedName(dropwizardName), new Series(family, List.of(labelValues)));
    }
  }

  /** The series a name the bridge exported stands for; null for what grpca did not declare. */
  Series seriesOf(String exportedName) {
    return byExportedName.get(exportedName);
  }

  /**
   * The Prometheus registry /metrics serves: this registry through the Dropwizard bridge, and the
   * JVM's memory, GC, threads and the like from the Prometheus client's JVM instrumentation.
   */
  public PrometheusRegistry prometheus() {
    PrometheusRegistry prometheus = new PrometheusRegistry();
    prometheus.register(new PrometheusView(this));
    JvmMetrics.builder().register(prometheus);
    return prometheus;
  }

  /** Starts reporting this registry as MBeans under {@link #JMX_DOMAIN}; closing it stops. */
  public AutoCloseable startJmx() {
    if (!enabled) {
      return () -> {};
    }
    JmxReporter reporter = JmxReporter.forRegistry(registry).inDomain(JMX_DOMAIN).build();
    reporter.start();
    return reporter::stop;
  }

  private Metric series(
      Family family,
      Family.Type type,
      String[] labelValues,
      java.util.function.Function<String, Metric> make) {
    if (family.type() != type) {
      throw new IllegalArgumentException(family.prometheusName() + " is a " + family.type());
    }
    if (labelValues.length != family.labels().size()) {
      throw new IllegalArgumentException(
          family.prometheusName() + " has labels " + family.labels());
    }
    String key =
        labelValues.length == 0
            ? family.dropwizardName()
            : family.dropwizardName() + '\u0000' + String.join("\u0000", labelValues);
    Metric found = byKey.get(key);
    if (found != null) {
      return found;
    }
    synchronized (this) {
      found = byKey.get(key);
      if (found != null) {
        return found;
      }
      Series series = new Series(family, List.of(labelValues));
      StringBuilder name = new StringBuilder(family.dropwizardName());
      for (String value : labelValues) {
        name.append('.').append(value.isEmpty() ? "_" : value.replaceAll("[^A-Za-z0-9_-]", "_"));
      }
      // Two values that read the same once sanitized ("a-b", "a_b") get names of their own.
      String base = name.toString();
      String chosen = base;
      for (int i = 2; byExportedName.containsKey(exportedName(chosen)); i++) {
        chosen = base + "_" + i;
      }
      Metric metric = make.apply(chosen);
      byExportedName.put(exportedName(chosen), series);
      byKey.put(key, metric);
      return metric;
    }
  }

  private static String exportedName(String dropwizardName) {
    return PrometheusNaming.sanitizeMetricName(dropwizardName);
  }

  /** A timer that does not lock on update (Dropwizard's default reservoir does). */
  public static Timer newTimer() {
    return new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
  }

  /** A histogram that does not lock on update. */
  public static Histogram newHistogram() {
    return new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build());
  }

  /** A gauge whose reading can be replaced (e.g. when a CA certificate is replaced). */
  private static final class SettableGauge implements Gauge<Number> {
    private volatile Supplier<? extends Number> value = () -> 0;

    void reads(Supplier<? extends Number> value) {
      this.value = value;
    }

    @Override
    public Number getValue() {
      try {
        return value.get();
      } catch (RuntimeException e) {
        return Double.NaN;
      }
    }
  }
}
