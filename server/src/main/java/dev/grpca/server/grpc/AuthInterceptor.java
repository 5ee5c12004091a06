package dev.grpca.server.grpc;

import dev.grpca.server.access.AccessControl;
import dev.grpca.server.access.Caller;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.x509.SerialNumbers;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates every call but health and reflection: by {@code authorization: Bearer <token>}
 * (looked up by its SHA-256; unknown, expired and revoked tokens are refused), or else by the TLS
 * client certificate the handshake verified against the trust anchors (refused when we revoked it).
 * The caller is then whoever the token belongs to, or the certificate's SPIFFE URI SAN or common
 * name; what it may do is the services' business (default deny).
 */
final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> OPEN_SERVICES =
      Set.of(
          HealthGrpc.SERVICE_NAME,
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection");
  private static final String PREFIX = "Bearer ";

  private final AccessControl access;
  private final Predicate<String> revokedSerial;
  private final Metrics metrics;

  AuthInterceptor(AccessControl access, Predicate<String> revokedSerial, Metrics metrics) {
    this.access = access;
    this.revokedSerial = revokedSerial;
    this.metrics = metrics;
  }

  static boolean isOpen(String serviceName) {
    return OPEN_SERVICES.contains(serviceName);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (isOpen(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String value = headers.get(AUTHORIZATION);
    Caller caller;
    try {
      if (value != null) {
        if (!value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
          return refuse(call, "malformed", "the authorization header is not 'Bearer <token>'");
        }
        try {
          caller = access.byToken(value.substring(PREFIX.length()).strip());
        } catch (CaException e) {
          if (e.kind() == ErrorKind.UNAUTHENTICATED) {
            return refuse(call, "bad_token", e.getMessage());
          }
          throw e;
        }
      } else {
        X509Certificate peer = peerCertificate(call);
        if (peer == null) {
          return refuse(
              call,
              "missing",
              "missing credentials: send 'authorization: Bearer <token>' or a client certificate");
        }
        String serial = SerialNumbers.toHex(peer.getSerialNumber());
        if (revokedSerial.test(serial)) {
          return refuse(
              call,
              "revoked_certificate",
              "the client certificate " + serial + " has been revoked");
        }
        caller = access.byCertificate(peer, serial);
      }
    } catch (CaException e) {
      if (e.kind() == ErrorKind.UNAUTHENTICATED) {
        return refuse(call, "bad_certificate", e.getMessage());
      }
      // The credentials could not be checked (the database is unavailable): the call gets the
      // error's own status, as it would inside the service.
      StatusRuntimeException status = ErrorInterceptor.toStatus(e);
      call.close(status.getStatus(), status.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    RequestLog.current().caller(caller);
    return next.startCall(call, headers);
  }

  /** The verified TLS client certificate, or null when there is none. */
  private static X509Certificate peerCertificate(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String kind, String message) {
    metrics.counter(MetricNames.AUTH_FAILURES, kind).inc();
    call.close(Status.UNAUTHENTICATED.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
