package dev.grpca.server.metrics;

import java.util.List;

/**
 * One exported metric: its Dropwizard name (the JMX name and the prefix of each series' name), its
 * Prometheus name and help, its type, and the names of its labels. Label values are given per
 * series ({@link Metrics#timer} and the like) and must stay few: never a serial, a name or a token.
 */
public record Family(
    String dropwizardName, String prometheusName, String help, Type type, List<String> labels) {

  /** What the series of a family are. */
  public enum Type {
    /** Only goes up; exported with {@code _total}. */
    COUNTER,
    /** A value read when scraped. */
    GAUGE,
    /** Durations: a Prometheus summary in seconds (count and quantiles). */
    TIMER,
    /** Sizes: a Prometheus summary of the values as they are. */
    HISTOGRAM
  }

  public Family {
    labels = List.copyOf(labels);
    if (type == Type.TIMER && !prometheusName.endsWith("_seconds")) {
      throw new IllegalArgumentException(prometheusName + ": a timer's name ends with _seconds");
    }
    if (type == Type.COUNTER && prometheusName.endsWith("_total")) {
      throw new IllegalArgumentException(prometheusName + ": _total is added on export");
    }
  }

  static Family of(
      Type type, String dropwizardName, String prometheusName, String help, String... labels) {
    return new Family(dropwizardName, prometheusName, help, type, List.of(labels));
  }
}
