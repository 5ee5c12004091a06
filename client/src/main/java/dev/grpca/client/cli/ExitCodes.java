package dev.grpca.client.cli;

import io.grpc.Status;

/**
 * The CLI's exit status, by what went wrong: scripts branch on it. Documented in the README ("grpca
 * exit codes"); keep the two in step.
 */
final class ExitCodes {
  static final int OK = 0;

  /** Anything not below (an internal error of the server, a bug). */
  static final int OTHER = 1;

  /** The command line itself: an unknown command or option, a missing argument (picocli). */
  static final int USAGE = 2;

  static final int INVALID_ARGUMENT = 3;
  static final int UNAUTHENTICATED = 4;
  static final int PERMISSION_DENIED = 5;
  static final int NOT_FOUND = 6;
  static final int ALREADY_EXISTS = 7;
  static final int FAILED_PRECONDITION = 8;
  static final int RESOURCE_EXHAUSTED = 9;

  /** The server could not be reached or answer in time, after the client's retries. */
  static final int UNAVAILABLE = 10;

  /** A local file: the config, a CA file, a CSR or certificate to read, an output to write. */
  static final int LOCAL_FILE = 11;

  /** {@code ocsp check}: the certificate is revoked. */
  static final int REVOKED = 20;

  /** {@code ocsp check}: the responder does not know the certificate. */
  static final int UNKNOWN = 21;

  private ExitCodes() {}

  static int of(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> INVALID_ARGUMENT;
      case UNAUTHENTICATED -> UNAUTHENTICATED;
      case PERMISSION_DENIED -> PERMISSION_DENIED;
      case NOT_FOUND -> NOT_FOUND;
      case ALREADY_EXISTS, ABORTED -> ALREADY_EXISTS;
      case FAILED_PRECONDITION -> FAILED_PRECONDITION;
      case RESOURCE_EXHAUSTED -> RESOURCE_EXHAUSTED;
      case UNAVAILABLE, DEADLINE_EXCEEDED -> UNAVAILABLE;
      default -> OTHER;
    };
  }
}
