package dev.grpca.server.store;

import java.util.Optional;

/** The CAs this server runs. */
public interface AuthorityStore {
  Optional<StoredAuthority> find(String id);

  void insert(StoredAuthority authority);
}
