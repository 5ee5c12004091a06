package dev.grpca.server.policy;

import java.time.Duration;

/** Durations as people write them: "90d", "24h", "15m", "30s". */
public final class DurationText {
  private DurationText() {}

  public static String human(Duration d) {
    if (d.getNano() != 0) {
      return d.toString();
    }
    long s = d.getSeconds();
    if (s != 0 && s % 86_400 == 0) {
      return s / 86_400 + "d";
    }
    if (s != 0 && s % 3_600 == 0) {
      return s / 3_600 + "h";
    }
    if (s != 0 && s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
