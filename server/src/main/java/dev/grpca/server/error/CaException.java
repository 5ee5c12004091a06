package dev.grpca.server.error;

import java.util.List;

/**
 * The one exception the domain throws for a request it cannot serve. Its message is meant for the
 * person who sent the request: it names the value at fault and what was expected.
 */
public final class CaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A request field at fault, for {@code google.rpc.BadRequest}. */
  public record FieldViolation(String field, String description) {}

  private final ErrorKind kind;
  private final transient List<FieldViolation> violations;
  private transient java.time.Duration retryAfter;

  public CaException(ErrorKind kind, String message) {
    this(kind, message, List.of(), null);
  }

  public CaException(ErrorKind kind, String message, Throwable cause) {
    this(kind, message, List.of(), cause);
  }

  private CaException(
      ErrorKind kind, String message, List<FieldViolation> violations, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.violations = List.copyOf(violations);
  }

  /** A field-level error: the message reads {@code "field: description"}. */
  public static CaException field(ErrorKind kind, String field, String description) {
    return new CaException(
        kind, field + ": " + description, List.of(new FieldViolation(field, description)), null);
  }

  public static CaException invalid(String field, String description) {
    return field(ErrorKind.INVALID_ARGUMENT, field, description);
  }

  public static CaException denied(String field, String description) {
    return field(ErrorKind.PERMISSION_DENIED, field, description);
  }

  /** RESOURCE_EXHAUSTED that may be retried after {@code retryAfter} (google.rpc.RetryInfo). */
  public static CaException exhausted(String message, java.time.Duration retryAfter) {
    CaException e = new CaException(ErrorKind.RESOURCE_EXHAUSTED, message);
    e.retryAfter = retryAfter;
    return e;
  }

  /** Says when the request may be retried (google.rpc.RetryInfo); returns this. */
  public CaException retryAfter(java.time.Duration after) {
    this.retryAfter = after;
    return this;
  }

  /** When the request may be retried; null when unknown. */
  public java.time.Duration retryAfter() {
    return retryAfter;
  }

  public static CaException unavailable(String what, Throwable cause) {
    return new CaException(ErrorKind.UNAVAILABLE, what, cause);
  }

  public ErrorKind kind() {
    return kind;
  }

  public List<FieldViolation> violations() {
    return violations;
  }
}
