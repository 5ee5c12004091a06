package dev.grpca.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A watch stream's sending end: messages go out as fast as the client reads them (gRPC's isReady),
 * and at most {@link #CAPACITY} are held for it; past that the stream is closed with
 * RESOURCE_EXHAUSTED rather than held without limit. When it ends, the principal's count of open
 * streams is given back.
 */
final class BoundedStream<T> {
  static final int CAPACITY = 1000;

  private final ServerCallStreamObserver<T> stream;
  private final AtomicInteger open;
  private final ArrayDeque<T> held = new ArrayDeque<>();
  private boolean closed;

  BoundedStream(ServerCallStreamObserver<T> stream, AtomicInteger open) {
    this.stream = stream;
    this.open = open;
    stream.setOnCancelHandler(this::cancelled);
    stream.setOnReadyHandler(this::drain);
  }

  /** Sends or holds {@code message}; false once the stream is closed (now or before). */
  synchronized boolean send(T message) {
    if (closed) {
      return false;
    }
    if (held.size() >= CAPACITY) {
      end();
      stream.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  CAPACITY
                      + " events unread: the stream is closed; resume from the last resume_token"
                      + " received")
              .asRuntimeException());
      return false;
    }
    held.add(message);
    drain();
    return !closed;
  }

  synchronized boolean closed() {
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
