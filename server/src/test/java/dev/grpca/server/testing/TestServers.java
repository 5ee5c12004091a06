package dev.grpca.server.testing;

import dev.grpca.server.config.proto.ServerConfigFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A fresh real server for each test that asks for one: {@code @ExtendWith(TestServers.class)} on
 * the class, then {@code void aTest(TestServer server)}. It runs with the test configuration, in a
 * data directory of its own, and is stopped (and its directory removed) after the test. A test that
 * also takes a {@link MutableClock} gets the clock the server runs on (at the time the test
 * starts); {@link Configured} on the test changes the server's configuration. A test whose
 * configuration names files it makes first starts its own with {@link TestServer#start}.
 */
public final class TestServers implements ParameterResolver {
  private static final ExtensionContext.Namespace SERVERS =
      ExtensionContext.Namespace.create(TestServers.class);

  private static final String CLOCK = "clock";

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestServer.class || type == MutableClock.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == MutableClock.class) {
      return clock(context);
    }
    Method test = context.getRequiredTestMethod();
    boolean onMutableClock =
        Arrays.stream(test.getParameterTypes()).anyMatch(t -> t == MutableClock.class);
    Clock clock = onMutableClock ? clock(context) : Clock.systemUTC();
    Consumer<ServerConfigFile.Builder> customize = configuration(context, test);
    Path dir;
    try {
      dir = Files.createTempDirectory("grpca-test-server");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TestServer server = TestServer.start(dir, clock, customize);
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

  /** The test's clock: one per test, whichever parameter asks first. */
  private static MutableClock clock(ExtensionContext context) {
    return context
        .getStore(SERVERS)
        .getOrComputeIfAbsent(CLOCK, k -> new MutableClock(Instant.now()), MutableClock.class);
  }

  /** What {@link Configured} names, or nothing. */
  private static Consumer<ServerConfigFile.Builder> configuration(
      ExtensionContext context, Method test) {
    Configured configured = test.getAnnotation(Configured.class);
    if (configured == null) {
      return file -> {};
    }
    Method source;
    try {
      source =
          context
              .getRequiredTestClass()
              .getDeclaredMethod(configured.value(), ServerConfigFile.Builder.class);
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "@Configured(\""
              + configured.value()
              + "\"): no static method of that name taking a"
              + " ServerConfigFile.Builder",
          e);
    }
    if (!Modifier.isStatic(source.getModifiers())) {
      throw new IllegalArgumentException(source + " must be static");
    }
    source.setAccessible(true);
    return file -> {
      try {
        source.invoke(null, file);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(source + " failed", e);
      }
    };
  }

  static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
