package dev.grpca.server.proto;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import java.time.Duration;
import java.time.Instant;

/**
 * The one mapping between java.time and protobuf's well-known time types, for every package that
 * reads or writes them (the API's messages, profiles, principals, the configuration file).
 */
public final class ProtoTime {
  private ProtoTime() {}

  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }

  public static Instant instant(Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }

  /**
   * Whether {@code d} is a duration protobuf allows: at most 10,000 years, nanos below a second and
   * of the seconds' sign. Callers say what else they need (positive, whole seconds).
   */
  public static boolean isValid(com.google.protobuf.Duration d) {
    return Durations.isValid(d);
  }

  /** {@code d} as a java.time Duration; check {@link #isValid} first where it came from outside. */
  public static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  public static com.google.protobuf.Duration duration(Duration d) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }
}
