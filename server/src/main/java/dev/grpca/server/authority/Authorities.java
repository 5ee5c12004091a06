package dev.grpca.server.authority;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The CAs this server runs, by id, and which one issues by default. */
public final class Authorities {
  private final Map<String, Authority> byId = new LinkedHashMap<>();
  private final Authority defaultIssuer;

  public Authorities(List<Authority> authorities, String defaultIssuerId) {
    authorities.forEach(a -> byId.put(a.id(), a));
    this.defaultIssuer = byId.get(defaultIssuerId);
    if (defaultIssuer == null) {
      throw new IllegalArgumentException("default issuer " + defaultIssuerId + " is not known");
    }
  }

  /** The authority with {@code id}; the default issuer when {@code id} is empty. */
  public Authority get(String id) {
    if (id == null || id.isEmpty()) {
      return defaultIssuer;
    }
    Authority authority = byId.get(id);
    if (authority == null) {
      throw CaException.field(
          ErrorKind.NOT_FOUND,
          "authority_id",
          "no authority '" + id + "' (known: " + String.join(", ", byId.keySet()) + ")");
    }
    return authority;
  }

  /** Every authority, root first. */
  public java.util.Collection<Authority> all() {
    return java.util.List.copyOf(byId.values());
  }

  /** Whether {@code id} names one of these authorities. */
  public boolean contains(String id) {
    return byId.containsKey(id);
  }

  public Authority defaultIssuer() {
    return defaultIssuer;
  }
}
