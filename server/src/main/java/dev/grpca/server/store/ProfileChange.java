package dev.grpca.server.store;

import java.time.Instant;

/** One recorded change to a profile; {@code before} or {@code after} is null for create/delete. */
public record ProfileChange(
    String profileName,
    String action,
    String principal,
    Instant changeTime,
    String before,
    String after) {}
