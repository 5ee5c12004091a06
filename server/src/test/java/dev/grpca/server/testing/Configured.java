package dev.grpca.server.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The configuration the {@link TestServers} server of this test runs with: the name of a static
 * method of the test class that takes a {@code ServerConfigFile.Builder} and changes it, as JUnit's
 * {@code @MethodSource} names its source.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface Configured {
  String value();
}
