package dev.grpca.server.store.jooq;

import static dev.grpca.server.store.jooq.generated.Tables.AUTHORITY;

import dev.grpca.server.store.AuthorityStore;
import dev.grpca.server.store.StoredAuthority;
import java.util.Optional;
import org.jooq.DSLContext;

final class JooqAuthorityStore implements AuthorityStore {
  private final DSLContext dsl;

  JooqAuthorityStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public Optional<StoredAuthority> find(String id) {
    return StoreErrors.guard(
        () ->
            dsl.selectFrom(AUTHORITY)
                .where(AUTHORITY.ID.eq(id))
                .fetchOptional()
                .map(
                    r ->
                        new StoredAuthority(
                            r.getId(),
                            r.getParentId(),
                            r.getKeyLabel(),
                            r.getCertificatePem(),
                            r.getIsDefault(),
                            r.getCreateTime().toInstant())));
  }

  @Override
  public void insert(StoredAuthority a) {
    StoreErrors.guard(
        () ->
            dsl.insertInto(AUTHORITY)
                .set(AUTHORITY.ID, a.id())
                .set(AUTHORITY.PARENT_ID, a.parentId())
                .set(AUTHORITY.KEY_LABEL, a.keyLabel())
                .set(AUTHORITY.CERTIFICATE_PEM, a.certificatePem())
                .set(AUTHORITY.IS_DEFAULT, a.isDefault())
                .set(AUTHORITY.CREATE_TIME, StoreErrors.utc(a.createTime()))
                .execute());
  }

  @Override
  public void complete(String id, String certificatePem) {
    int updated =
        StoreErrors.guard(
            () ->
                dsl.update(AUTHORITY)
                    .set(AUTHORITY.CERTIFICATE_PEM, certificatePem)
                    .where(AUTHORITY.ID.eq(id))
                    .and(AUTHORITY.CERTIFICATE_PEM.isNull())
                    .execute());
    if (updated != 1) {
      throw new IllegalStateException("authority " + id + " has a certificate already or no row");
    }
  }
}
