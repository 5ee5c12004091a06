package dev.grpca.server.grpc;

import com.codahale.metrics.Timer;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Times every call, by service, method and status code ({@link MetricNames#GRPC_CALLS}). The
 * outermost interceptor: calls refused by authentication are counted too. Methods are the server's
 * own (an unknown one never reaches an interceptor), so the labels stay few.
 */
final class MetricsInterceptor implements ServerInterceptor {
  private final Metrics metrics;

  /** By full method name, then status code: no string is built per call. */
  private final Map<String, Timer[]> timers = new ConcurrentHashMap<>();

  MetricsInterceptor(Metrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    Timer[] byCode =
        timers.computeIfAbsent(
            call.getMethodDescriptor().getFullMethodName(),
            m -> new Timer[Status.Code.values().length]);
    ServerCall<Q, R> timed =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            timer(byCode, call, status.getCode())
                .update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            super.close(status, trailers);
          }
        };
    return next.startCall(timed, headers);
  }

  private Timer timer(Timer[] byCode, ServerCall<?, ?> call, Status.Code code) {
    Timer timer = byCode[code.ordinal()];
    if (timer == null) {
      String service = call.getMethodDescriptor().getServiceName();
      timer =
          metrics.timer(
              MetricNames.GRPC_CALLS,
              service == null ? "-" : service.substring(service.lastIndexOf('.') + 1),
              call.getMethodDescriptor().getBareMethodName(),
              code.name());
      byCode[code.ordinal()] = timer;
    }
    return timer;
  }
}
