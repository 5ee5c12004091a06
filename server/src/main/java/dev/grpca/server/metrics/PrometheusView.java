package dev.grpca.server.metrics;

import com.codahale.metrics.MetricFilter;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry as Prometheus families. The Prometheus client's Dropwizard bridge turns each
 * Dropwizard metric into a snapshot (timers into summaries in seconds); this view then puts the
 * series of one {@link Family} together under its name with their labels. (The bridge's own label
 * mapper cannot: in 1.4 it refuses two series of one name, prometheus/client_java#1712.) What grpca
 * did not declare is left out.
 */
final class PrometheusView implements MultiCollector {
  private final Metrics metrics;
  private final DropwizardExports bridge;

  PrometheusView(Metrics metrics) {
    this.metrics = metrics;
    this.bridge = new DropwizardExports(metrics.registry(), MetricFilter.ALL);
  }

  @Override
  public MetricSnapshots collect() {
    Map<Family, List<DataPointSnapshot>> families = new LinkedHashMap<>();
    for (MetricSnapshot snapshot : bridge.collect()) {
      Metrics.Series series = metrics.seriesOf(snapshot.getMetadata().getName());
      if (series == null) {
        continue;
      }
      Labels labels = Labels.of(series.family().labels(), series.labelValues());
      List<DataPointSnapshot> points =
          families.computeIfAbsent(series.family(), f -> new ArrayList<>());
      for (DataPointSnapshot point : snapshot.getDataPoints()) {
        points.add(relabelled(point, labels));
      }
    }
    MetricSnapshots.Builder out = MetricSnapshots.builder();
    families.forEach((family, points) -> out.metricSnapshot(snapshot(family, points)));
    return out.build();
  }

  private static DataPointSnapshot relabelled(DataPointSnapshot point, Labels labels) {
    if (point instanceof CounterDataPointSnapshot c) {
      return CounterDataPointSnapshot.builder().value(c.getValue()).labels(labels).build();
    }
    if (point instanceof GaugeDataPointSnapshot g) {
      return GaugeDataPointSnapshot.builder().value(g.getValue()).labels(labels).build();
    }
    SummaryDataPointSnapshot s = (SummaryDataPointSnapshot) point;
    SummaryDataPointSnapshot.Builder b =
        SummaryDataPointSnapshot.builder().count(s.getCount()).quantiles(s.getQuantiles());
    if (s.hasSum()) {
      b.sum(s.getSum());
    }
    return b.labels(labels).build();
  }

  private static MetricSnapshot snapshot(Family family, List<DataPointSnapshot> points) {
    String name = family.prometheusName();
    Unit unit =
        name.endsWith("_seconds") ? Unit.SECONDS : name.endsWith("_bytes") ? Unit.BYTES : null;
    switch (family.type()) {
      case COUNTER -> {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(family.help());
        points.forEach(p -> b.dataPoint((CounterDataPointSnapshot) p));
        return b.unit(unit).build();
      }
      case GAUGE -> {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(family.help());
        points.forEach(p -> b.dataPoint((GaugeDataPointSnapshot) p));
        return b.unit(unit).build();
      }
      default -> {
        SummarySnapshot.Builder b = SummarySnapshot.builder().name(name).help(family.help());
        points.forEach(p -> b.dataPoint((SummaryDataPointSnapshot) p));
        return b.unit(unit).build();
      }
    }
  }
}
