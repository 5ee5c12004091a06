package dev.grpca.server.testing;

import io.grpc.StatusRuntimeException;

/** gRPC calls that are meant to fail. */
public final class Calls {
  private Calls() {}

  /** The status a call failed with; an AssertionError when it succeeded. */
  public static StatusRuntimeException failure(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to fail");
  }
}
