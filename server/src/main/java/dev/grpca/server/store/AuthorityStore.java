package dev.grpca.server.store;

import java.util.Optional;

/** The CAs this server runs. */
public interface AuthorityStore {
  Optional<StoredAuthority> find(String id);

  /** Adds a CA; its certificate may be null, to be {@link #complete}d once it is signed. */
  void insert(StoredAuthority authority);

  /** Stores the certificate of a CA inserted without one. */
  void complete(String id, String certificatePem);
}
