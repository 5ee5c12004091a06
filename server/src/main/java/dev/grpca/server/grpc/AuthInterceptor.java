package dev.grpca.server.grpc;

import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.server.x509.SerialNumbers;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Requires {@code authorization: Bearer <admin token>} on every call but health and reflection.
 * Only the token's SHA-256 is held, and it is compared in constant time.
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
  private static final String RENEW = CertificateServiceGrpc.getRenewMethod().getFullMethodName();

  private final byte[] adminTokenSha256;

  AuthInterceptor(byte[] adminTokenSha256) {
    this.adminTokenSha256 = adminTokenSha256.clone();
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
    if (value == null && RENEW.equals(call.getMethodDescriptor().getFullMethodName())) {
      String peer = peerSerial(call);
      if (peer != null) {
        // The service checks that this is the very certificate being renewed.
        RequestLog.current().peerSerial(peer);
        RequestLog.current().principal("certificate:" + peer);
        return next.startCall(call, headers);
      }
    }
    if (value == null || !value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return refuse(call, "missing credentials: send the header 'authorization: Bearer <token>'");
    }
    byte[] presented = AdminToken.sha256(value.substring(PREFIX.length()).strip());
    if (!MessageDigest.isEqual(presented, adminTokenSha256)) {
      return refuse(call, "the bearer token is not valid");
    }
    RequestLog.current().principal(AdminToken.PRINCIPAL);
    return next.startCall(call, headers);
  }

  /** The serial of the verified TLS client certificate, or null when there is none. */
  private static String peerSerial(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate
          ? SerialNumbers.toHex(((X509Certificate) chain[0]).getSerialNumber())
          : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String message) {
    call.close(Status.UNAUTHENTICATED.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
