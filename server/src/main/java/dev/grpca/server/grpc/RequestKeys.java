package dev.grpca.server.grpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.grpca.server.issuance.RequestIds;
import dev.grpca.server.store.RequestKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The request key of a mutating call: who, which id, which method, and what it asked. */
final class RequestKeys {
  private RequestKeys() {}

  /**
   * The key of {@code request} as the current call's principal sent it; null when its {@code
   * request_id} is empty. The fingerprint is the SHA-256 of the request without its id, serialized
   * deterministically (map entries sorted), so a retry of the same request matches.
   */
  static RequestKey of(Message request) {
    FieldDescriptor idField = request.getDescriptorForType().findFieldByName("request_id");
    String id = (String) request.getField(idField);
    if (id.isEmpty()) {
      return null;
    }
    RequestLog log = RequestLog.current();
    return RequestIds.key(
        log.principal(),
        id,
        log.rpc(),
        fingerprint(request.toBuilder().clearField(idField).build()));
  }

  private static String fingerprint(Message withoutId) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      withoutId.writeTo(out);
      out.flush();
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
