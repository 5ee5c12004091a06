package dev.grpca.server.grpc;

import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateEventKind;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.WatchCertificateResponse;
import dev.grpca.server.access.Caller;
import dev.grpca.server.store.EventStore;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.watch.EventFeed;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One WatchCertificate stream: a certificate by serial (followed to its renewal's serial), by name
 * (whichever certificate holds it), or the certificates a label selector matches; told only of
 * certificates whose profile the caller may read.
 */
final class CertificateWatch implements EventFeed.Watcher {
  private final String name;
  private final Map<String, String> labels;
  private final Caller caller;
  private final Function<StoredCertificate, Certificate> mapper;
  private final BoundedStream<WatchCertificateResponse> stream;

  /** The serial watched, moved on by each renewal (feed thread only); null unless by serial. */
  private String serial;

  CertificateWatch(
      String serial,
      String name,
      Map<String, String> labels,
      Caller caller,
      Function<StoredCertificate, Certificate> mapper,
      ServerCallStreamObserver<WatchCertificateResponse> stream,
      AtomicInteger open) {
    this.serial = serial;
    this.name = name;
    this.labels = Map.copyOf(labels);
    this.caller = caller;
    this.mapper = mapper;
    this.stream = new BoundedStream<>(stream, open);
  }

  /** The certificate as the stream opens, resumable from {@code position}. */
  void current(StoredCertificate c, long position) {
    stream.send(
        WatchCertificateResponse.newBuilder()
            .setKind(CertificateEventKind.CERTIFICATE_EVENT_KIND_CURRENT)
            .setCertificate(mapper.apply(c))
            .setResumeToken(Long.toString(position))
            .build());
  }

  @Override
  public boolean matches(EventFeed.Delivered d) {
    EventStore.Event e = d.event();
    boolean renewed = EventStore.Event.RENEWED.equals(e.kind());
    if (kind(e) == null) {
      return false;
    }
    // A renewal names the watched serial as the one it renewed; the others name it.
    if (serial != null && !serial.equals(renewed ? e.previous() : e.serialNumber())) {
      return false;
    }
    Optional<StoredCertificate> c = d.certificate();
    if (c.isEmpty()
        || !caller.allows(Operation.OPERATION_READ, c.get().profile(), c.get().authorityId())) {
      return false;
    }
    if (name != null) {
      return name.equals(c.get().name());
    }
    return serial != null || c.get().labels().entrySet().containsAll(labels.entrySet());
  }

  @Override
  public boolean offer(EventFeed.Delivered d) {
    EventStore.Event e = d.event();
    boolean renewed = EventStore.Event.RENEWED.equals(e.kind());
    if (renewed && serial != null) {
      serial = e.serialNumber();
    }
    return stream.send(
        WatchCertificateResponse.newBuilder()
            .setKind(kind(e))
            .setCertificate(mapper.apply(d.certificate().orElseThrow()))
            .setResumeToken(Long.toString(e.seq()))
            .build());
  }

  /** What a stream calls the event; null for kinds it does not tell. */
  private static CertificateEventKind kind(EventStore.Event e) {
    return switch (e.kind()) {
      case EventStore.Event.RENEWED -> CertificateEventKind.CERTIFICATE_EVENT_KIND_RENEWED;
      case EventStore.Event.REVOKED -> CertificateEventKind.CERTIFICATE_EVENT_KIND_REVOKED;
      case EventStore.Event.EXPIRING -> CertificateEventKind.CERTIFICATE_EVENT_KIND_EXPIRING;
      default -> null;
    };
  }

  @Override
  public boolean closed() {
    return stream.closed();
  }
}
