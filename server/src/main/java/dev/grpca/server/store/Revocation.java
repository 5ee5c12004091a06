package dev.grpca.server.store;

import java.time.Instant;

/** When and why a certificate was revoked; {@code reason} is the RFC 5280 CRLReason code. */
public record Revocation(Instant time, int reason) {}
