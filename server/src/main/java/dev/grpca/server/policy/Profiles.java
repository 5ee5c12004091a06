package dev.grpca.server.policy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The profiles callers may issue under, by name. */
public final class Profiles {
  private final Map<String, Profile> byName = new LinkedHashMap<>();

  public Profiles(List<Profile> profiles) {
    for (Profile p : profiles) {
      if (byName.put(p.name(), p) != null) {
        throw new IllegalArgumentException("profiles: '" + p.name() + "' is declared twice");
      }
    }
  }

  /** The profile a request names; INVALID_ARGUMENT when it names none, NOT_FOUND when unknown. */
  public Profile require(String name) {
    if (name == null || name.isEmpty()) {
      throw CaException.invalid("profile", "required (e.g. \"default\")");
    }
    Profile profile = byName.get(name);
    if (profile == null) {
      throw CaException.field(
          ErrorKind.NOT_FOUND,
          "profile",
          "no profile named '" + name + "' (known: " + String.join(", ", byName.keySet()) + ")");
    }
    return profile;
  }
}
