package dev.grpca.server.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per call at INFO: RPC, principal, serial, outcome and time. Never a secret. */
final class AccessLogInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger("grpca.access");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    RequestLog entry = new RequestLog();
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    boolean quiet = AuthInterceptor.isOpen(call.getMethodDescriptor().getServiceName());
    ServerCall<Q, R> logged =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            long micros = (System.nanoTime() - start) / 1_000;
            String line = "rpc={} principal={} serial={} status={} time_us={}";
            Object[] args = {method, entry.principal(), entry.serial(), status.getCode(), micros};
            if (quiet) {
              log.debug(line, args);
            } else {
              log.info(line, args);
            }
            super.close(status, trailers);
          }
        };
    Context context = Context.current().withValue(RequestLog.KEY, entry);
    return Contexts.interceptCall(context, logged, headers, next);
  }
}
