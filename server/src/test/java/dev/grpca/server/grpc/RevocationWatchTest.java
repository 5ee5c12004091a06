package dev.grpca.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.watch.EventFeed;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bound on what a stream holds for a client that does not read: the flow control gRPC gives
 * (isReady), driven by hand, since a real client that stops reading fills socket buffers first.
 */
class RevocationWatchTest {
  /** A stream whose client reads only when {@link #ready} says so. */
  static final class Stream extends ServerCallStreamObserver<WatchRevocationsResponse> {
    boolean ready;
    Runnable onReady;
    Runnable onCancel;
    final List<WatchRevocationsResponse> sent = new ArrayList<>();
    Throwable error;

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable r) {
      onReady = r;
    }

    @Override
    public void setOnCancelHandler(Runnable r) {
      onCancel = r;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setCompression(String compression) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void onNext(WatchRevocationsResponse value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {}
  }

  private static EventFeed.Delivered event(long seq) {
    return delivered(
        new EventStore.Event(seq, EventStore.Event.REVOKED, "ca", "0a" + seq, Instant.now(), 1));
  }

  private static EventFeed.Delivered delivered(EventStore.Event e) {
    return new EventFeed.Delivered(e, serial -> java.util.Optional.empty());
  }

  @Test
  void aReaderThatFallsBehindIsClosedWithResourceExhaustedAndFreesItsSlot() {
    Stream stream = new Stream();
    AtomicInteger open = new AtomicInteger(1);
    RevocationWatch watch = new RevocationWatch("", stream, open);
    for (int i = 1; i <= RevocationWatch.CAPACITY; i++) {
      assertThat(watch.offer(event(i))).isTrue();
    }
    assertThat(stream.sent).isEmpty();
    assertThat(watch.offer(event(RevocationWatch.CAPACITY + 1))).isFalse();
    assertThat(Status.fromThrowable(stream.error).getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(watch.closed()).isTrue();
    assertThat(open).hasValue(0);
    // Nothing more is sent on a closed stream, even when it becomes ready.
    stream.ready = true;
    stream.onReady.run();
    assertThat(stream.sent).isEmpty();
  }

  @Test
  void heldEventsGoOutInOrderWhenTheReaderCatchesUp() {
    Stream stream = new Stream();
    AtomicInteger open = new AtomicInteger(1);
    RevocationWatch watch = new RevocationWatch("ca", stream, open);
    assertThat(watch.matches(event(1))).isTrue();
    assertThat(
            watch.matches(
                delivered(
                    new EventStore.Event(
                        2, EventStore.Event.REVOKED, "other", "0b", Instant.now(), 1))))
        .isFalse();
    watch.offer(event(1));
    watch.offer(event(2));
    stream.ready = true;
    stream.onReady.run();
    watch.offer(event(3));
    assertThat(stream.sent)
        .extracting(WatchRevocationsResponse::getResumeToken)
        .containsExactly("1", "2", "3");
    stream.onCancel.run();
    assertThat(watch.closed()).isTrue();
    assertThat(open).hasValue(0);
    assertThat(watch.offer(event(4))).isFalse();
  }
}
