package dev.grpca.server.error;

/** What went wrong, in the terms of the API contract; mapped once to a gRPC status. */
public enum ErrorKind {
  /** Malformed input: a bad CSR, bad name syntax, a bad duration. */
  INVALID_ARGUMENT,
  /** The caller or the profile does not allow it. */
  PERMISSION_DENIED,
  /** Unknown serial, profile or authority. */
  NOT_FOUND,
  /** The state forbids it. */
  FAILED_PRECONDITION,
  ALREADY_EXISTS,
  UNAUTHENTICATED,
  RESOURCE_EXHAUSTED,
  /** The HSM or the database cannot be reached; safe to retry. */
  UNAVAILABLE,
  /** A bug. */
  INTERNAL
}
