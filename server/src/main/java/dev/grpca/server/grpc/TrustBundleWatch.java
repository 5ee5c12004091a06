package dev.grpca.server.grpc;

import dev.grpca.proto.v1.WatchTrustBundleResponse;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.watch.EventFeed;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.atomic.AtomicInteger;

/** One WatchTrustBundle stream: one authority's bundle, or each one's, and its changes. */
final class TrustBundleWatch implements EventFeed.Watcher {
  private final String authorityId;
  private final Authorities authorities;
  private final BoundedStream<WatchTrustBundleResponse> stream;

  TrustBundleWatch(
      String authorityId,
      Authorities authorities,
      ServerCallStreamObserver<WatchTrustBundleResponse> stream,
      AtomicInteger open) {
    this.authorityId = authorityId;
    this.authorities = authorities;
    this.stream = new BoundedStream<>(stream, open);
  }

  /** {@code authority}'s bundle, resumable from {@code position}. */
  void send(Authority authority, long position) {
    stream.send(
        WatchTrustBundleResponse.newBuilder()
            .setAuthorityId(authority.id())
            .setChainPem(authority.chainPem())
            .setRootPem(authority.rootPem())
            .setResumeToken(Long.toString(position))
            .build());
  }

  @Override
  public boolean matches(EventFeed.Delivered d) {
    EventStore.Event e = d.event();
    return EventStore.Event.TRUST.equals(e.kind())
        && (authorityId.isEmpty() || authorityId.equals(e.authorityId()))
        && authorities.contains(e.authorityId());
  }

  @Override
  public boolean offer(EventFeed.Delivered d) {
    send(authorities.get(d.event().authorityId()), d.event().seq());
    return !stream.closed();
  }

  @Override
  public boolean closed() {
    return stream.closed();
  }
}
