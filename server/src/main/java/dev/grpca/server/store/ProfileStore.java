package dev.grpca.server.store;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Profiles and the record of their changes; every write records its change in the same transaction.
 */
public interface ProfileStore {
  Optional<StoredProfile> find(String name);

  /** Every profile, ordered by name. */
  List<StoredProfile> list();

  /** Inserts a new profile; false (and nothing written) when the name is taken. */
  boolean create(StoredProfile profile, String principal);

  /**
   * Replaces a profile with {@code change} applied to it, the row locked meanwhile; empty when
   * there is no such profile.
   */
  Optional<StoredProfile> update(
      String name, UnaryOperator<StoredProfile> change, String principal);

  /** Deletes a profile; false when there was none. */
  boolean delete(String name, String principal, java.time.Instant at);

  /** The changes to one profile, oldest first. */
  List<ProfileChange> changes(String name);
}
