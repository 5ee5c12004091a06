package dev.grpca.server.grpc;

import dev.grpca.server.store.AccessStore;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per call at INFO: RPC, principal, serial, outcome and time. Never a secret. Also writes
 * the audit records the services do not: one per denied call (UNAUTHENTICATED, PERMISSION_DENIED)
 * and one per failed call of a mutating RPC. A mutating call that succeeds was recorded in the
 * transaction of its change. Every answer carries the request id ({@code x-request-id}: the
 * caller's, when it sent a sensible one).
 */
final class AccessLogInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger("grpca.access");
  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Pattern SENSIBLE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final Set<Status.Code> DENIED =
      Set.of(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED);

  private final AccessStore audit;
  private final Set<String> mutating;
  private final Set<String> auditedByInterceptor;
  private final Clock clock;

  /**
   * @param mutating RPCs that change state (their failures are recorded here)
   * @param auditedByInterceptor mutating RPCs whose successes are recorded here too (their change
   *     is not written with an audit record of its own)
   */
  AccessLogInterceptor(
      AccessStore audit, Set<String> mutating, Set<String> auditedByInterceptor, Clock clock) {
    this.audit = audit;
    this.mutating = Set.copyOf(mutating);
    this.auditedByInterceptor = Set.copyOf(auditedByInterceptor);
    this.clock = clock;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    String sent = headers.get(REQUEST_ID);
    String requestId =
        sent != null && SENSIBLE_ID.matcher(sent).matches() ? sent : UUID.randomUUID().toString();
    RequestLog entry = new RequestLog(method, source(call), requestId);
    long start = System.nanoTime();
    boolean quiet = AuthInterceptor.isOpen(call.getMethodDescriptor().getServiceName());
    ServerCall<Q, R> logged =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(REQUEST_ID, requestId);
            super.sendHeaders(responseHeaders);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            long micros = (System.nanoTime() - start) / 1_000;
            // The same fields twice: in the text line, and as key-value pairs, which the JSON
            // log format (log.format: json) writes as fields of their own.
            (quiet ? log.atDebug() : log.atInfo())
                .setMessage("rpc={} principal={} serial={} status={} time_us={} request_id={}")
                .addArgument(method)
                .addArgument(entry.principal())
                .addArgument(entry.serial())
                .addArgument(status.getCode())
                .addArgument(micros)
                .addArgument(requestId)
                .addKeyValue("rpc", method)
                .addKeyValue("principal", entry.principal())
                .addKeyValue("serial", entry.serial())
                .addKeyValue("status", status.getCode().name())
                .addKeyValue("time_us", micros)
                .addKeyValue("request_id", requestId)
                .log();
            if (!quiet) {
              record(entry, status);
            }
            trailers.put(REQUEST_ID, requestId);
            super.close(status, trailers);
          }
        };
    Context context = Context.current().withValue(RequestLog.KEY, entry);
    return Contexts.interceptCall(context, logged, headers, next);
  }

  private void record(RequestLog entry, Status status) {
    boolean ok = status.isOk();
    if (DENIED.contains(status.getCode())
        || (!ok && mutating.contains(entry.rpc()))
        || (ok && auditedByInterceptor.contains(entry.rpc()))) {
      try {
        audit.audit(
            entry.asAuditCall(),
            clock.instant(),
            status.getCode().name(),
            entry.profile(),
            "-".equals(entry.serial()) ? "" : entry.serial(),
            ok ? "" : String.valueOf(status.getDescription()));
      } catch (RuntimeException e) {
        log.error("could not write the audit record of {} {}", entry.rpc(), entry.requestId(), e);
      }
    }
  }

  private static String source(ServerCall<?, ?> call) {
    SocketAddress address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return address == null ? "-" : address.toString();
  }
}
