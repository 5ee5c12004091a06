package dev.grpca.server.store;

/**
 * Who made the call whose change is being written, as the audit log records it. Never holds a key,
 * PIN or token.
 */
public record AuditCall(String principal, String source, String rpc, String requestId) {
  /** The server's own work (its TLS certificate, OCSP signers), outside any call. */
  public static final AuditCall INTERNAL = new AuditCall("grpca-server", "-", "internal", "-");
}
