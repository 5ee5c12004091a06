package dev.grpca.server.grpc;

import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.watch.EventFeed;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.atomic.AtomicInteger;

/** One WatchRevocations stream: the revocations of one authority, or of all. */
final class RevocationWatch implements EventFeed.Watcher {
  static final int CAPACITY = BoundedStream.CAPACITY;

  private final String authorityId;
  private final BoundedStream<WatchRevocationsResponse> stream;

  /**
   * @param open the principal's count of open streams, taken back when this one ends
   */
  RevocationWatch(
      String authorityId,
      ServerCallStreamObserver<WatchRevocationsResponse> stream,
      AtomicInteger open) {
    this.authorityId = authorityId;
    this.stream = new BoundedStream<>(stream, open);
  }

  @Override
  public boolean matches(EventFeed.Delivered d) {
    EventStore.Event event = d.event();
    return EventStore.Event.REVOKED.equals(event.kind())
        && (authorityId.isEmpty() || authorityId.equals(event.authorityId()));
  }

  @Override
  public boolean offer(EventFeed.Delivered d) {
    EventStore.Event event = d.event();
    return stream.send(
        WatchRevocationsResponse.newBuilder()
            .setSerialNumber(event.serialNumber())
            .setAuthorityId(event.authorityId() == null ? "" : event.authorityId())
            .setRevocationTime(ProtoMapping.timestamp(event.time()))
            .setReason(ProtoMapping.reason(event.reason() == null ? 0 : event.reason()))
            .setResumeToken(Long.toString(event.seq()))
            .build());
  }

  @Override
  public boolean closed() {
    return stream.closed();
  }
}
