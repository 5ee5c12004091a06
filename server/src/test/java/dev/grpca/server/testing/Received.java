package dev.grpca.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A server stream's messages as they arrive, how it ended, and a way to hang up. */
public final class Received<Q, T> implements ClientResponseObserver<Q, T> {
  public final LinkedBlockingQueue<T> messages = new LinkedBlockingQueue<>();
  public final CompletableFuture<Status> end = new CompletableFuture<>();
  private ClientCallStreamObserver<Q> call;

  @Override
  public void beforeStart(ClientCallStreamObserver<Q> call) {
    this.call = call;
  }

  @Override
  public void onNext(T message) {
    messages.add(message);
  }

  @Override
  public void onError(Throwable t) {
    end.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    end.complete(Status.OK);
  }

  /**
   * The next message, which must come within 5 s: it comes at once when things work (a change
   * nudges the feed), and a loaded 2-core CI machine has missed 1 s.
   */
  public T next() throws InterruptedException {
    T message = messages.poll(5, TimeUnit.SECONDS);
    assertThat(message).as("a message within 5 s").isNotNull();
    return message;
  }

  /** How the stream ended, within 5 s. */
  public Status.Code ended() throws Exception {
    return end.get(5, TimeUnit.SECONDS).getCode();
  }

  public void cancel() {
    call.cancel("done", null);
  }
}
