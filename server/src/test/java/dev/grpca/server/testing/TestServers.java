package dev.grpca.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A fresh real server for each test that asks for one: {@code @ExtendWith(TestServers.class)} on
 * the class, then {@code void aTest(TestServer server)}. It runs with the test configuration, in a
 * data directory of its own, and is stopped (and its directory removed) after the test. A test that
 * needs another clock or configuration starts its own with {@link TestServer#start}.
 */
public final class TestServers implements ParameterResolver {
  private static final ExtensionContext.Namespace SERVERS =
      ExtensionContext.Namespace.create(TestServers.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Path dir;
    try {
      dir = Files.createTempDirectory("grpca-test-server");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TestServer server = TestServer.start(dir);
    context
        .getStore(SERVERS)
        .put(
            parameter.getIndex(),
            (ExtensionContext.Store.CloseableResource)
                () -> {
                  server.close();
                  delete(dir);
                });
    return server;
  }

  static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
