package dev.grpca.server.grpc;

import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.watch.EventFeed;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One WatchRevocations stream: the events of one authority (or all), sent as fast as the client
 * reads them, at most {@link #CAPACITY} held for it; past that the stream is closed with
 * RESOURCE_EXHAUSTED rather than held without limit.
 */
final class RevocationWatch implements EventFeed.Watcher {
  static final int CAPACITY = 1000;

  private final String authorityId;
  private final ServerCallStreamObserver<WatchRevocationsResponse> stream;
  private final AtomicInteger open;
  private final ArrayDeque<WatchRevocationsResponse> held = new ArrayDeque<>();
  private boolean closed;

  /**
   * @param open the principal's count of open streams, taken back when this one ends
   */
  RevocationWatch(
      String authorityId,
      ServerCallStreamObserver<WatchRevocationsResponse> stream,
      AtomicInteger open) {
    this.authorityId = authorityId;
    this.stream = stream;
    this.open = open;
    stream.setOnCancelHandler(this::cancelled);
    stream.setOnReadyHandler(this::drain);
  }

  @Override
  public boolean matches(EventStore.Event event) {
    return EventStore.Event.REVOKED.equals(event.kind())
        && (authorityId.isEmpty() || authorityId.equals(event.authorityId()));
  }

  @Override
  public synchronized boolean offer(EventStore.Event event) {
    if (closed) {
      return false;
    }
    if (held.size() >= CAPACITY) {
      end();
      stream.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  CAPACITY
                      + " revocation events unread: the stream is closed; resume from the last"
                      + " resume_token received")
              .asRuntimeException());
      return false;
    }
    held.add(
        WatchRevocationsResponse.newBuilder()
            .setSerialNumber(event.serialNumber())
            .setAuthorityId(event.authorityId() == null ? "" : event.authorityId())
            .setRevocationTime(ProtoMapping.timestamp(event.time()))
            .setReason(ProtoMapping.reason(event.reason() == null ? 0 : event.reason()))
            .setResumeToken(Long.toString(event.seq()))
            .build());
    drain();
    return !closed;
  }

  @Override
  public synchronized boolean closed() {
    return closed;
  }

  private synchronized void drain() {
    while (!closed && !held.isEmpty() && stream.isReady()) {
      stream.onNext(held.poll());
    }
  }

  private synchronized void cancelled() {
    end();
  }

  private void end() {
    if (!closed) {
      closed = true;
      held.clear();
      open.decrementAndGet();
    }
  }
}
