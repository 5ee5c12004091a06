package dev.grpca.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Secrets come from an environment variable or a file, never from the config file or argv. */
final class Secrets {
  private Secrets() {}

  /**
   * The value of {@code variable} in {@code env} when set, else the content of {@code file}
   * (trailing newline removed); {@code null} when neither is given.
   */
  static char[] read(Map<String, String> env, String variable, Path file, String configKey) {
    String value = env.get(variable);
    if (value != null && !value.isEmpty()) {
      return value.toCharArray();
    }
    if (file == null) {
      return null;
    }
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          configKey
              + ": cannot read "
              + file
              + " ("
              + e.getClass().getSimpleName()
              + ") and "
              + variable
              + " is not set",
          e);
    }
  }
}
