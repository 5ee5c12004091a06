package dev.grpca.server.access;

import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;

/**
 * An authenticated caller and what it may do. Everything its principal does not grant is denied; a
 * caller whose name is no principal (say, a client certificate nobody registered) may do nothing
 * but renew that very certificate.
 *
 * @param name the principal's name
 * @param principal its grants; empty when the name is not a registered principal
 * @param peerSerial the serial of the TLS client certificate it authenticated with; null if none
 */
public record Caller(String name, Principal principal, String peerSerial) {
  private static final String ANY = "*";

  /** Whether {@code operation} is granted on {@code profile} issuing from {@code authority}. */
  public boolean allows(Operation operation, String profile, String authority) {
    for (Grant grant : principal.getGrantsList()) {
      if (grant.getOperationsList().contains(operation)
          && (operation == Operation.OPERATION_ADMIN
              || (matches(grant.getProfilesList(), profile, false)
                  && matches(grant.getAuthoritiesList(), authority, true)))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code operation} is granted on every profile ("*"). */
  public boolean allowsEveryProfile(Operation operation) {
    for (Grant grant : principal.getGrantsList()) {
      if (grant.getOperationsList().contains(operation)
          && grant.getProfilesList().contains(ANY)
          && matches(grant.getAuthoritiesList(), null, true)) {
        return true;
      }
    }
    return false;
  }

  /** Whether any grant has {@code operation} at all. */
  private boolean hasAny(Operation operation) {
    return principal.getGrantsList().stream()
        .anyMatch(g -> g.getOperationsList().contains(operation));
  }

  /** PERMISSION_DENIED unless {@link #allows}. */
  public void require(Operation operation, String profile, String authority) {
    if (!allows(operation, profile, authority)) {
      throw new CaException(
          ErrorKind.PERMISSION_DENIED,
          "principal '"
              + name
              + "' may not "
              + verb(operation)
              + (operation == Operation.OPERATION_ADMIN ? "" : " with profile '" + profile + "'"));
    }
  }

  /** PERMISSION_DENIED unless some grant has {@code operation}, on any profile. */
  public void requireAny(Operation operation) {
    if (!hasAny(operation)) {
      throw new CaException(
          ErrorKind.PERMISSION_DENIED,
          "principal '" + name + "' may not " + verb(operation) + " with any profile");
    }
  }

  /** PERMISSION_DENIED unless the caller administers. */
  public void requireAdmin() {
    require(Operation.OPERATION_ADMIN, null, null);
  }

  /** Whether the caller may revoke certificates it did not request. */
  public boolean revokesAny() {
    return principal.getRevokeAny();
  }

  private static boolean matches(
      java.util.List<String> patterns, String value, boolean emptyIsAny) {
    if (patterns.isEmpty()) {
      return emptyIsAny;
    }
    return patterns.contains(ANY) || (value != null && patterns.contains(value));
  }

  private static String verb(Operation operation) {
    return switch (operation) {
      case OPERATION_ISSUE -> "issue";
      case OPERATION_SIGN -> "sign";
      case OPERATION_RENEW -> "renew";
      case OPERATION_REVOKE -> "revoke";
      case OPERATION_READ -> "read";
      case OPERATION_ADMIN -> "administer";
      default -> operation.name();
    };
  }
}
