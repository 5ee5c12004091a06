package dev.grpca.server.testing;

import dev.grpca.server.config.proto.ServerConfigFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real grpca server for a test class, started before its first test and stopped after its last
 * ({@code @RegisterExtension static final ServerExtension SERVER = new ServerExtension();}), or for
 * each test when registered on an instance field. It has its own data directory, its CAs in the
 * run's SoftHSM token under labels of its own, TLS on loopback and its HTTP sidecar.
 */
public final class ServerExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final Clock clock;
  private final Consumer<ServerConfigFile.Builder> customize;
  private Path dir;
  private TestServer server;
  private boolean perClass;

  /** A server on the system clock with the test configuration. */
  public ServerExtension() {
    this(Clock.systemUTC(), file -> {});
  }

  private ServerExtension(Clock clock, Consumer<ServerConfigFile.Builder> customize) {
    this.clock = clock;
    this.customize = customize;
  }

  /** The same server, every notion of its time from {@code clock} (a {@link MutableClock}). */
  public ServerExtension withClock(Clock clock) {
    return new ServerExtension(clock, customize);
  }

  /** The same server, {@code customize} changing its configuration file first. */
  public ServerExtension configured(Consumer<ServerConfigFile.Builder> customize) {
    return new ServerExtension(clock, this.customize.andThen(customize));
  }

  /** The running server. */
  public TestServer server() {
    if (server == null) {
      throw new IllegalStateException("the server starts before the first test");
    }
    return server;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  private void start() {
    try {
      dir = Files.createTempDirectory("grpca-test-server");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server = TestServer.start(dir, clock, customize);
  }

  private void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
    if (dir != null) {
      TestServers.delete(dir);
      dir = null;
    }
  }
}
