package dev.grpca.server.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.security.MessageDigest;
import java.util.Set;

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

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String message) {
    call.close(Status.UNAUTHENTICATED.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
