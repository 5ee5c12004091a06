package dev.grpca.server;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a start-up has opened so far, closed in the reverse order: the listeners first. */
final class Opened implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Opened.class);
  private final List<AutoCloseable> opened = new ArrayList<>();

  <T extends AutoCloseable> T add(T resource) {
    opened.add(resource);
    return resource;
  }

  /** Closes everything, the last opened first; a failure is logged and the rest still closed. */
  @Override
  public void close() {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        log.warn("while shutting down", e);
      }
    }
    opened.clear();
  }
}
