package dev.grpca.server.grpc;

import dev.grpca.server.access.Caller;
import dev.grpca.server.store.AuditCall;
import io.grpc.Context;

/**
 * What the access log line and the audit records of one call say beyond the RPC and its status: who
 * called, from where, under which request id, and which serial and profile it touched. Filled in by
 * the interceptors and the services.
 */
final class RequestLog {
  static final Context.Key<RequestLog> KEY = Context.key("grpca-request-log");

  private final String rpc;
  private final String source;
  private final String requestId;
  private volatile String principal = "-";
  private volatile String serial = "-";
  private volatile String profile = "";
  private volatile Caller caller;

  RequestLog(String rpc, String source, String requestId) {
    this.rpc = rpc;
    this.source = source;
    this.requestId = requestId;
  }

  /** The log of the current call; outside a call, a throwaway one nobody reads. */
  static RequestLog current() {
    RequestLog log = KEY.get();
    return log == null ? new RequestLog("internal", "-", "-") : log;
  }

  /** Who the current call's changes are recorded as; the server itself outside calls. */
  static AuditCall auditCall() {
    RequestLog log = KEY.get();
    return log == null ? AuditCall.INTERNAL : log.asAuditCall();
  }

  AuditCall asAuditCall() {
    return new AuditCall(principal, source, rpc, requestId);
  }

  String rpc() {
    return rpc;
  }

  String requestId() {
    return requestId;
  }

  String principal() {
    return principal;
  }

  /** The authenticated caller; set by the auth interceptor before any service runs. */
  Caller caller() {
    return caller;
  }

  void caller(Caller caller) {
    this.caller = caller;
    this.principal = caller.name();
  }

  /** The serial of the TLS client certificate the caller authenticated with; null if none. */
  String peerSerial() {
    return caller == null ? null : caller.peerSerial();
  }

  String serial() {
    return serial;
  }

  void serial(String serial) {
    this.serial = serial;
  }

  String profile() {
    return profile;
  }

  void profile(String profile) {
    this.profile = profile;
  }
}
