package dev.grpca.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Files written whole or not at all: each is written beside its place and renamed over it, so a
 * reader sees the old file or the new one, never a part; a key is private (0600) from its first
 * byte.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** One file to write: its place, its content, and whether only its owner may read it. */
  public record Content(Path file, byte[] bytes, boolean secret) {}

  static Path temporaryBeside(Path file) {
    return file.resolveSibling("." + file.getFileName() + ".next");
  }

  static void replace(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Writes every file to its temporary first, then renames them in order: a failure before the
   * renames changes none of them.
   */
  public static void writeAll(List<Content> contents) throws IOException {
    for (Content c : contents) {
      Path next = temporaryBeside(c.file());
      Files.deleteIfExists(next);
      if (c.secret()) {
        Files.createFile(
            next,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(next, c.bytes());
      } else {
        Files.write(next, c.bytes());
      }
    }
    for (Content c : contents) {
      replace(temporaryBeside(c.file()), c.file());
    }
  }
}
