package dev.grpca.server.store;

/** Another call with the same principal and request id recorded its change first. */
public final class RequestTakenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RequestTakenException(RequestKey key) {
    super("request id " + key.requestId() + " was recorded by another call", null, false, false);
  }
}
