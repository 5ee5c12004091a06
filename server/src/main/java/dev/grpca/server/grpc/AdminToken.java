package dev.grpca.server.grpc;

import dev.grpca.server.access.AccessControl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The development admin bearer token: 256 random bits in a file of mode 0600, made when missing.
 * The server keeps only its SHA-256, as a token of the principal "admin".
 */
public final class AdminToken {
  private AdminToken() {}

  /** Reads the token in {@code file}, making the file first if it does not exist. */
  public static byte[] loadOrCreateSha256(Path file, SecureRandom random) throws IOException {
    if (!Files.exists(file)) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      byte[] bytes = new byte[32];
      random.nextBytes(bytes);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, token + "\n");
      } catch (FileAlreadyExistsException raced) {
        // Another process made it first: use theirs.
      }
    }
    String token = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (token.length() < 16) {
      throw new IllegalArgumentException(
          "auth.admin_token_file: "
              + file
              + " holds "
              + token.length()
              + " characters (expected: >= 16)");
    }
    return AccessControl.sha256(token);
  }
}
