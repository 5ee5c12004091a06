package dev.grpca.server.authority;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The CAs this server runs, by id, and which one issues by default. CAs are added while it runs
 * (CreateRoot, CreateIntermediate); one another replica made is loaded the first time its id is
 * asked for. Reads take no lock: the map is replaced whole on each addition. The default issuer
 * moves when it is disabled with its profiles moved to another CA (here or on another replica).
 */
public final class Authorities {
  private volatile Map<String, Authority> byId;
  private volatile Authority defaultIssuer;
  private final List<Consumer<Authority>> added = new CopyOnWriteArrayList<>();
  private final List<Consumer<Authority>> defaultMoved = new CopyOnWriteArrayList<>();
  private volatile Function<String, Optional<Authority>> loader = id -> Optional.empty();
  private volatile Runnable refresher = () -> {};
  private volatile java.util.Set<String> disabled = java.util.Set.of();

  public Authorities(List<Authority> authorities, String defaultIssuerId) {
    Map<String, Authority> map = new LinkedHashMap<>();
    authorities.forEach(a -> map.put(a.id(), a));
    this.byId = map;
    this.defaultIssuer = map.get(defaultIssuerId);
    if (defaultIssuer == null) {
      throw new IllegalArgumentException("default issuer " + defaultIssuerId + " is not known");
    }
  }

  /** The authority with {@code id}; the default issuer when {@code id} is empty. */
  public Authority get(String id) {
    if (id == null || id.isEmpty()) {
      return defaultIssuer;
    }
    return find(id)
        .orElseThrow(
            () ->
                CaException.field(
                    ErrorKind.NOT_FOUND,
                    "authority_id",
                    "no authority '" + id + "' (known: " + String.join(", ", byId.keySet()) + ")"));
  }

  /** The authority with {@code id}, loaded from the database if another replica made it. */
  public Optional<Authority> find(String id) {
    Authority known = byId.get(id);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<Authority> loaded = loader.apply(id);
    loaded.ifPresent(this::add);
    return loaded.map(a -> byId.get(a.id()));
  }

  /** Every authority, in the order they were added (a parent before its children). */
  public Collection<Authority> all() {
    return List.copyOf(byId.values());
  }

  /** Whether {@code id} names one of these authorities. */
  public boolean contains(String id) {
    return find(id).isPresent();
  }

  /**
   * The authority {@code id} (empty: the default issuer) if it may issue now: FAILED_PRECONDITION
   * for a disabled one (it still publishes CRLs and answers OCSP for what it issued).
   */
  public Authority issuing(String id) {
    Authority authority = get(id);
    if (disabled.contains(authority.id())) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "profile",
          "its authority '"
              + authority.id()
              + "' is disabled: move the profile to another (UpdateProfile authority_id)");
    }
    return authority;
  }

  /**
   * As {@link #issuing(String)}, for a profile: a root (its chain is itself) issues only for a
   * profile that says so ({@code fromRoot}), FAILED_PRECONDITION otherwise.
   */
  public Authority issuing(String id, boolean fromRoot) {
    Authority authority = issuing(id);
    if (!fromRoot && authority.chain().size() == 1) {
      throw CaException.field(
          ErrorKind.FAILED_PRECONDITION,
          "profile",
          "its authority '"
              + authority.id()
              + "' is a root CA, which signs CAs: point the profile at an intermediate, or set"
              + " its issue_from_root");
    }
    return authority;
  }

  /** Whether {@code id} was disabled (DisableAuthority), here or on another replica. */
  public boolean isDisabled(String id) {
    return disabled.contains(id);
  }

  /** The authorities that are disabled, as the database says (at start, on each refresh). */
  public void disabled(java.util.Set<String> ids) {
    this.disabled = java.util.Set.copyOf(ids);
  }

  /** The CA that issues for profiles that name none, and the server's own TLS certificate. */
  public Authority defaultIssuer() {
    return defaultIssuer;
  }

  /**
   * The default issuer is {@code id} from now on, as the database says (at start, on each refresh);
   * the listeners are told when it moved. An id not known here is loaded first.
   */
  public void defaultIs(String id) {
    Authority next = find(id).orElse(null);
    if (next == null) {
      return;
    }
    synchronized (this) {
      if (next.id().equals(defaultIssuer.id())) {
        return;
      }
      defaultIssuer = next;
    }
    for (Consumer<Authority> listener : defaultMoved) {
      listener.accept(next);
    }
  }

  /** {@code listener} is told of the new default issuer each time it moves. */
  public void whenDefaultMoved(Consumer<Authority> listener) {
    defaultMoved.add(listener);
  }

  /** Adds {@code authority} (a second add of one id keeps the first) and tells the listeners. */
  public void add(Authority authority) {
    synchronized (this) {
      if (byId.containsKey(authority.id())) {
        return;
      }
      Map<String, Authority> next = new LinkedHashMap<>(byId);
      next.put(authority.id(), authority);
      byId = next;
    }
    for (Consumer<Authority> listener : new ArrayList<>(added)) {
      listener.accept(authority);
    }
  }

  /** {@code listener} is told of each authority added from now on. */
  public void whenAdded(Consumer<Authority> listener) {
    added.add(listener);
  }

  /**
   * How an id this process does not know is looked for (in the database), and how every CA made
   * elsewhere is loaded ({@link #refresh}).
   */
  public void loadWith(Function<String, Optional<Authority>> loader, Runnable refresher) {
    this.loader = loader;
    this.refresher = refresher;
  }

  /**
   * Loads the CAs other replicas made that this one has not been asked for yet: the scheduled jobs
   * that go over every CA (CRLs, OCSP signers) call it first.
   */
  public void refresh() {
    refresher.run();
  }
}
