package dev.grpca.server.store;

import java.time.Instant;

/**
 * What is known of a stored CRL without its bytes: its authority, number, validity, how many
 * revoked certificates it lists and its DER size.
 */
public record CrlInfo(
    String authorityId,
    long number,
    Instant thisUpdate,
    Instant nextUpdate,
    long entries,
    long size) {}
