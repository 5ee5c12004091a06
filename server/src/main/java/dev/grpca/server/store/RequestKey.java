package dev.grpca.server.store;

/**
 * A mutating call's {@code request_id} and what it asked: a repeat of the id by {@code principal}
 * answers the first call's answer if {@code method} and {@code fingerprint} (the SHA-256 of the
 * request without its id) match.
 */
public record RequestKey(String principal, String requestId, String method, String fingerprint) {}
