package dev.grpca.server.store;

import java.time.Instant;

/** A CA as stored: its certificate and the label of its key in the token. */
public record StoredAuthority(
    String id,
    String parentId,
    String keyLabel,
    String certificatePem,
    boolean isDefault,
    Instant createTime) {}
