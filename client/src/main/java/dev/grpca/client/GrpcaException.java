package dev.grpca.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A call grpca refused or could not answer: the kind (the gRPC status code), the server's message,
 * the request fields it named ({@code google.rpc.BadRequest}) and how long it asked the caller to
 * wait before trying again ({@code google.rpc.RetryInfo}). The client's mirror of the server's one
 * error type.
 */
public final class GrpcaException extends RuntimeException {
  /** A field of the request and what is wrong with it. */
  public record FieldViolation(String field, String description) {}

  private final Status.Code kind;
  private final String description;
  private final List<FieldViolation> fieldViolations;
  private final Duration retryDelay;

  private GrpcaException(
      Status.Code kind,
      String description,
      List<FieldViolation> fieldViolations,
      Duration retryDelay,
      Throwable cause) {
    super(kind + ": " + description, cause);
    this.kind = kind;
    this.description = description;
    this.fieldViolations = List.copyOf(fieldViolations);
    this.retryDelay = retryDelay;
  }

  /** The status {@code e} carries, with its details read back. */
  public static GrpcaException of(StatusRuntimeException e) {
    Status status = e.getStatus();
    List<FieldViolation> fields = new ArrayList<>();
    Duration retry = null;
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    if (details != null) {
      for (Any detail : details.getDetailsList()) {
        try {
          if (detail.is(BadRequest.class)) {
            for (var v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
              fields.add(new FieldViolation(v.getField(), v.getDescription()));
            }
          } else if (detail.is(RetryInfo.class)) {
            var delay = detail.unpack(RetryInfo.class).getRetryDelay();
            retry = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
          }
        } catch (InvalidProtocolBufferException ignored) {
          // A detail this client cannot read is left out; the status and message remain.
        }
      }
    }
    String description = status.getDescription() == null ? "" : status.getDescription();
    return new GrpcaException(status.getCode(), description, fields, retry, e);
  }

  public Status.Code kind() {
    return kind;
  }

  /** The server's message. */
  public String description() {
    return description;
  }

  public List<FieldViolation> fieldViolations() {
    return fieldViolations;
  }

  /** How long the server asked the caller to wait before trying again, if it did. */
  public Optional<Duration> retryDelay() {
    return Optional.ofNullable(retryDelay);
  }

  /** Whether the same call may succeed if made again later (the server or the network was out). */
  public boolean isRetryable() {
    return kind == Status.Code.UNAVAILABLE;
  }
}
