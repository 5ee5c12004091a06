package dev.grpca.server.policy;

import com.google.protobuf.FieldMask;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.FieldMaskUtil;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.proto.ProtoTime;
import dev.grpca.server.store.ProfileChange;
import dev.grpca.server.store.ProfileStore;
import dev.grpca.server.store.ReadCache;
import dev.grpca.server.store.StoredProfile;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The profiles callers issue under, kept in the store so that they change without a restart. Every
 * change is validated before it is stored and recorded with who made it and when.
 */
public final class ProfileCatalog {
  private static final Logger log = LoggerFactory.getLogger(ProfileCatalog.class);

  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final FieldMask OUTPUT_ONLY =
      FieldMask.newBuilder().addPaths("create_time").addPaths("update_time").build();

  private final ProfileStore store;
  private final Predicate<String> authorityExists;
  private final Clock clock;

  /** Compiled profiles as recently read: every issuance looks its profile up. */
  private final ReadCache<String, Optional<Profile>> recent =
      new ReadCache<>(ReadCache.FRESH, 1000);

  /**
   * @param authorityExists whether an authority id names a CA of this server
   */
  public ProfileCatalog(ProfileStore store, Predicate<String> authorityExists, Clock clock) {
    this.store = store;
    this.authorityExists = authorityExists;
    this.clock = clock;
  }

  /** Forgets every cached profile: another replica changed one. */
  public void forgetCached() {
    recent.clear();
  }

  /** The profile a request names: INVALID_ARGUMENT when it names none, NOT_FOUND when unknown. */
  public Profile require(String name) {
    if (name == null || name.isEmpty()) {
      throw CaException.invalid("profile", "required (e.g. \"default\")");
    }
    return find(name)
        .orElseThrow(
            () ->
                CaException.field(
                    ErrorKind.NOT_FOUND,
                    "profile",
                    "no profile named '" + name + "' (known: " + String.join(", ", names()) + ")"));
  }

  public Optional<Profile> find(String name) {
    return recent.get(name, n -> store.find(n).map(ProfileCatalog::compile));
  }

  public Profile get(String name) {
    if (name == null || name.isEmpty()) {
      throw CaException.invalid("name", "required");
    }
    return find(name)
        .orElseThrow(
            () ->
                CaException.field(ErrorKind.NOT_FOUND, "name", "no profile named '" + name + "'"));
  }

  public List<Profile> list() {
    return store.list().stream().map(ProfileCatalog::compile).toList();
  }

  public Profile create(dev.grpca.proto.v1.Profile spec, String principal) {
    Profile profile = validate(clearOutputOnly(spec));
    Instant now = clock.instant();
    if (!store.create(
        new StoredProfile(profile.name(), json(profile.spec()), now, now), principal)) {
      throw CaException.field(
          ErrorKind.ALREADY_EXISTS,
          "profile.name",
          "a profile named '" + profile.name() + "' exists");
    }
    recent.clear();
    return get(profile.name());
  }

  /** Changes the fields in {@code mask} (every field when it is empty); the name cannot change. */
  public Profile update(dev.grpca.proto.v1.Profile spec, FieldMask mask, String principal) {
    String name = spec.getName();
    if (name.isEmpty()) {
      throw CaException.invalid("profile.name", "required: the profile to update");
    }
    if (!FieldMaskUtil.isValid(dev.grpca.proto.v1.Profile.class, mask)) {
      throw CaException.invalid(
          "update_mask", mask.getPathsList() + " names a field that Profile does not have");
    }
    if (mask.getPathsList().contains("name")) {
      throw CaException.invalid("update_mask", "'name' cannot change (create a new profile)");
    }
    if (mask.getPathsList().stream().anyMatch(OUTPUT_ONLY.getPathsList()::contains)) {
      throw CaException.invalid("update_mask", "create_time and update_time are output only");
    }
    Optional<StoredProfile> updated =
        store.update(
            name,
            current -> {
              dev.grpca.proto.v1.Profile.Builder next = parse(current.spec()).toBuilder();
              if (mask.getPathsCount() == 0) {
                next = clearOutputOnly(spec).toBuilder();
              } else {
                FieldMaskUtil.merge(
                    mask,
                    spec,
                    next,
                    new FieldMaskUtil.MergeOptions()
                        .setReplaceRepeatedFields(true)
                        .setReplaceMessageFields(true));
              }
              Profile profile = validate(next.build());
              return new StoredProfile(
                  name, json(profile.spec()), current.createTime(), clock.instant());
            },
            principal);
    recent.clear();
    return compile(
        updated.orElseThrow(
            () ->
                CaException.field(
                    ErrorKind.NOT_FOUND, "profile.name", "no profile named '" + name + "'")));
  }

  /**
   * Points every profile that issues from authority {@code from} at {@code to} instead (each an
   * audited update); returns their names.
   */
  public List<String> moveAuthority(String from, String to, String principal) {
    List<String> moved = new java.util.ArrayList<>();
    for (Profile p : list()) {
      if (from.equals(p.authorityId())) {
        update(
            dev.grpca.proto.v1.Profile.newBuilder().setName(p.name()).setAuthorityId(to).build(),
            FieldMask.newBuilder().addPaths("authority_id").build(),
            principal);
        moved.add(p.name());
      }
    }
    return moved;
  }

  public void delete(String name, String principal) {
    if (name == null || name.isEmpty()) {
      throw CaException.invalid("name", "required");
    }
    boolean deleted = store.delete(name, principal, clock.instant());
    recent.clear();
    if (!deleted) {
      throw CaException.field(ErrorKind.NOT_FOUND, "name", "no profile named '" + name + "'");
    }
  }

  public List<ProfileChange> changes(String name) {
    return store.changes(name);
  }

  /**
   * Creates or updates the profiles the configuration declares (principal "config"); profiles made
   * over the API and not declared are left alone. An unchanged profile is not rewritten.
   */
  public void declare(List<dev.grpca.proto.v1.Profile> specs) {
    for (dev.grpca.proto.v1.Profile spec : specs) {
      Profile wanted = validate(clearOutputOnly(spec));
      Optional<StoredProfile> existing = store.find(wanted.name());
      if (existing.isEmpty()) {
        try {
          create(wanted.spec(), "config");
          log.info("profile {} created from the configuration", wanted.name());
          continue;
        } catch (CaException e) {
          // Another replica starting at the same moment created it first: compare with its.
          if (e.kind() != dev.grpca.server.error.ErrorKind.ALREADY_EXISTS) {
            throw e;
          }
          existing = store.find(wanted.name());
          if (existing.isEmpty()) {
            throw e;
          }
        }
      }
      if (!clearOutputOnly(parse(existing.get().spec())).equals(wanted.spec())) {
        update(wanted.spec(), FieldMask.getDefaultInstance(), "config");
        log.info("profile {} updated from the configuration", wanted.name());
      }
    }
  }

  private Profile validate(dev.grpca.proto.v1.Profile spec) {
    Profile profile = new Profile(spec);
    if (!spec.getAuthorityId().isEmpty() && !authorityExists.test(spec.getAuthorityId())) {
      throw CaException.invalid(
          "profile.authority_id", "no authority '" + spec.getAuthorityId() + "'");
    }
    return profile;
  }

  private List<String> names() {
    return store.list().stream().map(StoredProfile::name).toList();
  }

  private static Profile compile(StoredProfile stored) {
    return new Profile(
        parse(stored.spec()).toBuilder()
            .setCreateTime(ProtoTime.timestamp(stored.createTime()))
            .setUpdateTime(ProtoTime.timestamp(stored.updateTime()))
            .build());
  }

  private static dev.grpca.proto.v1.Profile clearOutputOnly(dev.grpca.proto.v1.Profile spec) {
    return spec.toBuilder().clearCreateTime().clearUpdateTime().build();
  }

  private static String json(dev.grpca.proto.v1.Profile spec) {
    try {
      return JSON.print(clearOutputOnly(spec));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("printing a profile", e);
    }
  }

  private static dev.grpca.proto.v1.Profile parse(String json) {
    dev.grpca.proto.v1.Profile.Builder builder = dev.grpca.proto.v1.Profile.newBuilder();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored profile does not parse", e);
    }
    return builder.build();
  }
}
