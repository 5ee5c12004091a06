package dev.grpca.server.store;

import java.time.Instant;

/** One record of the audit log, as stored. */
public record AuditRecord(
    long sequence,
    Instant time,
    String principal,
    String source,
    String rpc,
    String profile,
    String serial,
    String requestId,
    String outcome,
    String detail,
    String previousHash,
    String hash) {}
