package dev.grpca.server.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.RetryInfo;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.proto.ProtoTime;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a {@link CaException} becomes a gRPC status, with {@code google.rpc.BadRequest}
 * field violations where a field is at fault. Anything else is a bug: INTERNAL, with an incident id
 * in the message and the stack trace in the log.
 */
final class ErrorInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ErrorInterceptor.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        guard(call, () -> super.onMessage(message));
      }

      @Override
      public void onHalfClose() {
        guard(call, super::onHalfClose);
      }
    };
  }

  private static void guard(ServerCall<?, ?> call, Runnable work) {
    try {
      work.run();
    } catch (CaException e) {
      StatusRuntimeException status = toStatus(e);
      if (e.kind() == ErrorKind.UNAVAILABLE || e.kind() == ErrorKind.INTERNAL) {
        log.warn("{}: {}", call.getMethodDescriptor().getFullMethodName(), e.getMessage(), e);
      }
      call.close(status.getStatus(), status.getTrailers());
    } catch (RuntimeException e) {
      String incident = UUID.randomUUID().toString();
      log.error(
          "{}: internal error, incident {}",
          call.getMethodDescriptor().getFullMethodName(),
          incident,
          e);
      call.close(
          Status.INTERNAL.withDescription("internal error (incident " + incident + ")"),
          new Metadata());
    }
  }

  static StatusRuntimeException toStatus(CaException e) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.valueOf(e.kind().name()).value())
            .setMessage(e.getMessage());
    if (!e.violations().isEmpty()) {
      BadRequest.Builder badRequest = BadRequest.newBuilder();
      e.violations()
          .forEach(
              v ->
                  badRequest.addFieldViolations(
                      BadRequest.FieldViolation.newBuilder()
                          .setField(v.field())
                          .setDescription(v.description())));
      status.addDetails(Any.pack(badRequest.build()));
    }
    if (e.retryAfter() != null) {
      status.addDetails(
          Any.pack(
              RetryInfo.newBuilder().setRetryDelay(ProtoTime.duration(e.retryAfter())).build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }
}
