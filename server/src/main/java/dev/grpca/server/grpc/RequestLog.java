package dev.grpca.server.grpc;

import io.grpc.Context;

/**
 * What the access log line of one call says beyond the RPC and its status: who called and which
 * serial it touched. Filled in by the auth interceptor and the services.
 */
final class RequestLog {
  static final Context.Key<RequestLog> KEY = Context.key("grpca-request-log");

  private volatile String principal = "-";
  private volatile String serial = "-";
  private volatile String peerSerial;

  /** The log of the current call; outside a call, a throwaway one nobody reads. */
  static RequestLog current() {
    RequestLog log = KEY.get();
    return log == null ? new RequestLog() : log;
  }

  String principal() {
    return principal;
  }

  void principal(String principal) {
    this.principal = principal;
  }

  /** The serial of the TLS client certificate the caller authenticated with; null if none. */
  String peerSerial() {
    return peerSerial;
  }

  void peerSerial(String serial) {
    this.peerSerial = serial;
  }

  String serial() {
    return serial;
  }

  void serial(String serial) {
    this.serial = serial;
  }
}
