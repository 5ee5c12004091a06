package dev.grpca.server.store;

import java.time.Instant;

/** A profile as stored: its spec (the API's JSON form) and when it was made and last changed. */
public record StoredProfile(String name, String spec, Instant createTime, Instant updateTime) {}
