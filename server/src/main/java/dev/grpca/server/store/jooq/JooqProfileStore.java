package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.PROFILE;
import static dev.grpca.server.store.jooq.generated.Tables.PROFILE_CHANGE;

import dev.grpca.server.store.AuditCall;
import dev.grpca.server.store.Change;
import dev.grpca.server.store.ProfileChange;
import dev.grpca.server.store.ProfileStore;
import dev.grpca.server.store.StoredProfile;
import dev.grpca.server.store.jooq.generated.tables.records.ProfileRecord;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jooq.DSLContext;

final class JooqProfileStore implements ProfileStore {
  private final DSLContext dsl;
  private final Announcements announcements;
  private final Supplier<AuditCall> calls;

  JooqProfileStore(DSLContext dsl, Supplier<AuditCall> calls, Announcements announcements) {
    this.announcements = announcements;
    this.dsl = dsl;
    this.calls = calls;
  }

  @Override
  public Optional<StoredProfile> find(String name) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(PROFILE)
                .where(PROFILE.NAME.eq(name))
                .fetchOptional()
                .map(JooqProfileStore::toDomain));
  }

  @Override
  public List<StoredProfile> list() {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(PROFILE).orderBy(PROFILE.NAME).fetch().map(JooqProfileStore::toDomain));
  }

  @Override
  public boolean create(StoredProfile p, String principal) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  announcements.announce(db, Change.Kind.PROFILES, p.name());
                  if (db.fetchExists(PROFILE, PROFILE.NAME.eq(p.name()))) {
                    return false;
                  }
                  db.insertInto(PROFILE)
                      .set(PROFILE.NAME, p.name())
                      .set(PROFILE.SPEC, p.spec())
                      .set(PROFILE.CREATE_TIME, StoreErrors.utc(p.createTime()))
                      .set(PROFILE.UPDATE_TIME, StoreErrors.utc(p.updateTime()))
                      .execute();
                  record(db, p.name(), "CREATE", principal, p.createTime(), null, p.spec());
                  return true;
                }));
  }

  @Override
  public Optional<StoredProfile> update(
      String name, UnaryOperator<StoredProfile> change, String principal) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  announcements.announce(db, Change.Kind.PROFILES, name);
                  Optional<StoredProfile> current =
                      db.selectFrom(PROFILE)
                          .where(PROFILE.NAME.eq(name))
                          .forUpdate()
                          .fetchOptional()
                          .map(JooqProfileStore::toDomain);
                  if (current.isEmpty()) {
                    return Optional.<StoredProfile>empty();
                  }
                  StoredProfile next = change.apply(current.get());
                  db.update(PROFILE)
                      .set(PROFILE.SPEC, next.spec())
                      .set(PROFILE.UPDATE_TIME, StoreErrors.utc(next.updateTime()))
                      .where(PROFILE.NAME.eq(name))
                      .execute();
                  record(
                      db,
                      name,
                      "UPDATE",
                      principal,
                      next.updateTime(),
                      current.get().spec(),
                      next.spec());
                  return Optional.of(next);
                }));
  }

  @Override
  public boolean delete(String name, String principal, Instant at) {
    return StoreErrors.guard(
        () ->
            dsl.transactionResult(
                tx -> {
                  DSLContext db = tx.dsl();
                  announcements.announce(db, Change.Kind.PROFILES, name);
                  Optional<ProfileRecord> current =
                      db.selectFrom(PROFILE)
                          .where(PROFILE.NAME.eq(name))
                          .forUpdate()
                          .fetchOptional();
                  if (current.isEmpty()) {
                    return false;
                  }
                  db.deleteFrom(PROFILE).where(PROFILE.NAME.eq(name)).execute();
                  record(db, name, "DELETE", principal, at, current.get().getSpec(), null);
                  return true;
                }));
  }

  @Override
  public List<ProfileChange> changes(String name) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(PROFILE_CHANGE)
                .where(PROFILE_CHANGE.PROFILE_NAME.eq(name))
                .orderBy(PROFILE_CHANGE.ID)
                .fetch()
                .map(
                    r ->
                        new ProfileChange(
                            r.getProfileName(),
                            r.getAction(),
                            r.getPrincipal(),
                            StoreErrors.instant(r.getChangeTime()),
                            r.getBeforeSpec(),
                            r.getAfterSpec())));
  }

  private void record(
      DSLContext db,
      String name,
      String action,
      String principal,
      Instant at,
      String before,
      String after) {
    db.insertInto(PROFILE_CHANGE)
        .set(PROFILE_CHANGE.PROFILE_NAME, name)
        .set(PROFILE_CHANGE.ACTION, action)
        .set(PROFILE_CHANGE.PRINCIPAL, principal)
        .set(PROFILE_CHANGE.CHANGE_TIME, StoreErrors.utc(at))
        .set(PROFILE_CHANGE.BEFORE_SPEC, before)
        .set(PROFILE_CHANGE.AFTER_SPEC, after)
        .execute();
    JooqAudit.append(db, calls.get(), at, "OK", name, "", "profile " + action.toLowerCase());
  }

  private static StoredProfile toDomain(ProfileRecord r) {
    return new StoredProfile(
        r.getName(),
        r.getSpec(),
        StoreErrors.instant(r.getCreateTime()),
        StoreErrors.instant(r.getUpdateTime()));
  }
}
