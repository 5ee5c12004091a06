package dev.grpca.server.store;

/** Another certificate holds the resource name a row was to be recorded with. */
public final class NameTakenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String name;

  public NameTakenException(String name) {
    super("the name '" + name + "' is held by another certificate", null, false, false);
    this.name = name;
  }

  public String name() {
    return name;
  }
}
