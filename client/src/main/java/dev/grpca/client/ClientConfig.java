package dev.grpca.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a grpca server is and how to reach it: its address ("host:port"), the CA file to trust for
 * its TLS certificate, and the caller's credentials: a bearer token file, or a client certificate
 * and key (PEM files, reloaded when they change). Paths are as given, or relative to the config
 * file they were read from.
 */
public record ClientConfig(
    String address, Path caFile, Path tokenFile, Path certificateFile, Path keyFile) {
  /** The config file's keys. */
  static final String ADDRESS = "address";

  static final String CA_FILE = "caFile";
  static final String TOKEN_FILE = "tokenFile";
  static final String CERTIFICATE_FILE = "certificateFile";
  static final String KEY_FILE = "keyFile";

  public ClientConfig {
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException("address: empty (expected host:port)");
    }
    if (caFile == null) {
      throw new IllegalArgumentException("caFile: not set (the CA that signed the server's TLS)");
    }
    if ((certificateFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("certificateFile and keyFile: give both or neither");
    }
  }

  /** With a client certificate and its key instead of a token. */
  public ClientConfig withCertificate(Path certificate, Path key) {
    return new ClientConfig(address, caFile, null, certificate, key);
  }

  /**
   * The context {@code name} of the config file {@code file}: a JSON object {@code {"current":
   * "NAME", "contexts": {"NAME": {"address": ..., "caFile": ..., "tokenFile": ...}}}}. An empty
   * {@code name} is the file's {@code current} one.
   */
  public static ClientConfig read(Path file, String name) throws IOException {
    Struct root = parse(Files.readString(file), file);
    String chosen = name == null || name.isEmpty() ? string(root.getFieldsMap(), "current") : name;
    Value context = root.getFieldsOrDefault("contexts", Value.getDefaultInstance());
    Value entry = context.getStructValue().getFieldsOrDefault(chosen, Value.getDefaultInstance());
    if (!entry.hasStructValue()) {
      throw new IllegalArgumentException(
          file
              + ": no context '"
              + chosen
              + "' (has: "
              + String.join(", ", context.getStructValue().getFieldsMap().keySet())
              + ")");
    }
    Map<String, Value> fields = entry.getStructValue().getFieldsMap();
    Path base = file.toAbsolutePath().getParent();
    return new ClientConfig(
        string(fields, ADDRESS),
        path(base, string(fields, CA_FILE)),
        path(base, string(fields, TOKEN_FILE)),
        path(base, string(fields, CERTIFICATE_FILE)),
        path(base, string(fields, KEY_FILE)));
  }

  /** {@code file} with context {@code name} set to this and made current (written whole). */
  public void write(Path file, String name) throws IOException {
    Struct.Builder root =
        Files.exists(file) ? parse(Files.readString(file), file).toBuilder() : Struct.newBuilder();
    Struct.Builder context = Struct.newBuilder();
    context.putFields(ADDRESS, text(address));
    put(context, CA_FILE, caFile);
    put(context, TOKEN_FILE, tokenFile);
    put(context, CERTIFICATE_FILE, certificateFile);
    put(context, KEY_FILE, keyFile);
    Struct.Builder contexts =
        root
            .getFieldsOrDefault("contexts", Value.getDefaultInstance())
            .getStructValue()
            .toBuilder();
    contexts.putFields(name, Value.newBuilder().setStructValue(context).build());
    root.putFields("contexts", Value.newBuilder().setStructValue(contexts).build());
    root.putFields("current", text(name));
    Files.createDirectories(file.toAbsolutePath().getParent());
    AtomicFiles.writeAll(
        java.util.List.of(
            new AtomicFiles.Content(
                file,
                (JsonFormat.printer().print(root) + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                false)));
  }

  private static Struct parse(String json, Path file) throws IOException {
    Struct.Builder root = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, root);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(file + ": not a JSON object: " + e.getMessage(), e);
    }
    return root.build();
  }

  private static String string(Map<String, Value> fields, String key) {
    Value v = fields.get(key);
    return v == null ? null : v.getStringValue();
  }

  private static Path path(Path base, String value) {
    return value == null || value.isEmpty() ? null : base.resolve(value);
  }

  private static void put(Struct.Builder context, String key, Path value) {
    if (value != null) {
      context.putFields(key, text(value.toAbsolutePath().toString()));
    }
  }

  private static Value text(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
