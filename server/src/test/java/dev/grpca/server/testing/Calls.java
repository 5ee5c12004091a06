package dev.grpca.server.testing;

import com.google.rpc.BadRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

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

  /** The field of the first {@code google.rpc.BadRequest} violation a failure carries. */
  public static String field(StatusRuntimeException e) {
    try {
      return StatusProto.fromThrowable(e)
          .getDetails(0)
          .unpack(BadRequest.class)
          .getFieldViolations(0)
          .getField();
    } catch (Exception x) {
      throw new AssertionError(e.getStatus() + " has no field violation", x);
    }
  }
}
