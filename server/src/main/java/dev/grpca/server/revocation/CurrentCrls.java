package dev.grpca.server.revocation;

import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The newest stored CRL of each authority, held in memory so that serving it costs one small query
 * for its number; its bytes (~40 MiB at 1M entries) are read only when another process published a
 * newer one than this process holds. Used by the CA's publisher and by responder mode alike.
 */
public final class CurrentCrls {
  private final CrlStore store;
  private final Map<String, StoredCrl> held = new ConcurrentHashMap<>();

  public CurrentCrls(CrlStore store) {
    this.store = store;
  }

  /** The newest stored CRL of an authority. */
  public Optional<StoredCrl> latest(String authorityId) {
    Optional<CrlInfo> info = store.latestInfo(authorityId);
    if (info.isEmpty()) {
      return Optional.empty();
    }
    StoredCrl mine = held.get(authorityId);
    if (mine != null && mine.number() >= info.get().number()) {
      return Optional.of(mine);
    }
    Optional<StoredCrl> loaded = store.load(info.get());
    loaded.ifPresent(this::hold);
    return loaded.isPresent() ? loaded : Optional.ofNullable(held.get(authorityId));
  }

  /** What is known of the newest stored CRL of an authority, without its bytes. */
  public Optional<CrlInfo> latestInfo(String authorityId) {
    return store.latestInfo(authorityId);
  }

  /** Keeps {@code crl} as its authority's current one, unless a newer one is held. */
  void hold(StoredCrl crl) {
    held.merge(crl.authorityId(), crl, (a, b) -> a.number() >= b.number() ? a : b);
  }
}
