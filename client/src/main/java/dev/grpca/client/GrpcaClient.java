package dev.grpca.client;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.DeleteCertificatesRequest;
import dev.grpca.proto.v1.DeleteCertificatesResponse;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.GetCrlResponse;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.GetResponse;
import dev.grpca.proto.v1.ImportCertificateRequest;
import dev.grpca.proto.v1.ImportCertificateResponse;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.ListAuthoritiesResponse;
import dev.grpca.proto.v1.ListProfilesRequest;
import dev.grpca.proto.v1.ListProfilesResponse;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.ListResponse;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RenewResponse;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.RevokeResponse;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.SignResponse;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.StatusResponse;
import dev.grpca.proto.v1.UpdateCertificateRequest;
import dev.grpca.proto.v1.UpdateCertificateResponse;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A grpca client: one TLS channel, typed calls, and the habits a caller would otherwise write
 * itself. Every call that changes something carries a {@code request_id} (made here unless the
 * request has one), so retrying it is safe: calls that fail with UNAVAILABLE are tried again, up to
 * {@link #ATTEMPTS} times, after the delay the server asked for or an exponential backoff with
 * jitter. Failures come out as {@link GrpcaException}. A client certificate is read again from its
 * files every minute, so a renewal agent's new files are used without a restart. The stubs are
 * there for the calls that have no method here yet.
 */
public final class GrpcaClient implements AutoCloseable {
  /** How many times a call is tried in all while the server is unavailable. */
  public static final int ATTEMPTS = 5;

  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  private static final long DEADLINE_SECONDS = 30;

  private final ManagedChannel channel;
  private final ScheduledExecutorService reloads;
  private final AdvancedTlsX509KeyManager.Closeable watching;

  private GrpcaClient(
      ManagedChannel channel,
      ScheduledExecutorService reloads,
      AdvancedTlsX509KeyManager.Closeable watching) {
    this.channel = channel;
    this.reloads = reloads;
    this.watching = watching;
  }

  /** A client of the server {@code config} names, with its credentials. */
  public static GrpcaClient connect(ClientConfig config) throws IOException {
    TlsChannelCredentials.Builder tls =
        TlsChannelCredentials.newBuilder().trustManager(config.caFile().toFile());
    ScheduledExecutorService reloads = null;
    AdvancedTlsX509KeyManager.Closeable watching = null;
    CallCredentials token = null;
    if (config.certificateFile() != null) {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      reloads =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "grpca-client-reload");
                t.setDaemon(true);
                return t;
              });
      try {
        watching =
            keys.updateIdentityCredentials(
                config.certificateFile().toFile(),
                config.keyFile().toFile(),
                1,
                TimeUnit.MINUTES,
                reloads);
      } catch (GeneralSecurityException e) {
        reloads.shutdownNow();
        throw new IOException(
            "cannot read the client certificate " + config.certificateFile() + ": " + e, e);
      }
      tls.keyManager(keys);
    } else if (config.tokenFile() != null) {
      token = new BearerToken(Files.readString(config.tokenFile()).strip());
    }
    ChannelCredentials credentials =
        token == null ? tls.build() : CompositeChannelCredentials.create(tls.build(), token);
    return new GrpcaClient(
        Grpc.newChannelBuilder(config.address(), credentials).build(), reloads, watching);
  }

  public CertificateServiceGrpc.CertificateServiceBlockingStub certificates() {
    return CertificateServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  public AuthorityServiceGrpc.AuthorityServiceBlockingStub authorities() {
    return AuthorityServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  public ProfileServiceGrpc.ProfileServiceBlockingStub profiles() {
    return ProfileServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  public AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  public ManagedChannel channel() {
    return channel;
  }

  public IssueResponse issue(IssueRequest r) {
    return retried(identified(r), q -> certificates().issue(q));
  }

  public SignResponse sign(SignRequest r) {
    return retried(identified(r), q -> certificates().sign(q));
  }

  public RenewResponse renew(RenewRequest r) {
    return retried(identified(r), q -> certificates().renew(q));
  }

  public RevokeResponse revoke(RevokeRequest r) {
    return retried(identified(r), q -> certificates().revoke(q));
  }

  public ImportCertificateResponse importCertificate(ImportCertificateRequest r) {
    return retried(identified(r), q -> certificates().importCertificate(q));
  }

  public UpdateCertificateResponse updateCertificate(UpdateCertificateRequest r) {
    return retried(identified(r), q -> certificates().updateCertificate(q));
  }

  public DeleteCertificatesResponse deleteCertificates(DeleteCertificatesRequest r) {
    return retried(identified(r), q -> certificates().deleteCertificates(q));
  }

  public StatusResponse status(StatusRequest r) {
    return retried(r, q -> certificates().status(q));
  }

  public GetResponse get(GetRequest r) {
    return retried(r, q -> certificates().get(q));
  }

  public ListResponse list(ListRequest r) {
    return retried(r, q -> certificates().list(q));
  }

  public GetCaChainResponse caChain(GetCaChainRequest r) {
    return retried(r, q -> authorities().getCaChain(q));
  }

  public GetCrlResponse crl(GetCrlRequest r) {
    return retried(r, q -> authorities().getCrl(q));
  }

  public ListAuthoritiesResponse listAuthorities(ListAuthoritiesRequest r) {
    return retried(r, q -> authorities().listAuthorities(q));
  }

  public ListProfilesResponse listProfiles(ListProfilesRequest r) {
    return retried(r, q -> profiles().listProfiles(q));
  }

  /**
   * {@code r} with a fresh {@code request_id} when it has that field and it is empty: the server
   * answers a retry with the first call's answer instead of doing it twice.
   */
  @SuppressWarnings("unchecked")
  public static <Q extends Message> Q identified(Q r) {
    FieldDescriptor field = r.getDescriptorForType().findFieldByName("request_id");
    if (field == null || !((String) r.getField(field)).isEmpty()) {
      return r;
    }
    return (Q) r.toBuilder().setField(field, UUID.randomUUID().toString()).build();
  }

  /**
   * {@code call} of {@code request}, tried again while the server is unavailable. Only for reads
   * and for requests with a request id: a retry must not do the work twice.
   */
  public static <Q, R> R retried(Q request, Function<Q, R> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.apply(request);
      } catch (StatusRuntimeException e) {
        GrpcaException failure = GrpcaException.of(e);
        if (!failure.isRetryable() || attempt == ATTEMPTS) {
          throw failure;
        }
        sleep(failure.retryDelay().orElse(backoff(attempt)));
      }
    }
  }

  /** 200 ms, doubled each attempt up to 5 s, between half and all of it at random. */
  static Duration backoff(int attempt) {
    long ceiling =
        Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt - 1, 10));
    return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to retry", e);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    if (watching != null) {
      watching.close();
    }
    if (reloads != null) {
      reloads.shutdownNow();
    }
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
