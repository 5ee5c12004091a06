package dev.grpca.client;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Channels to a grpca server: TLS against the grpca root, with the bearer token on every call. */
public final class GrpcaChannels {
  private GrpcaChannels() {}

  /**
   * A TLS channel to {@code target} ("host:port") that trusts the PEM roots in {@code caPem} and
   * sends the token read from {@code tokenFile}.
   */
  public static ManagedChannel connect(String target, Path caPem, Path tokenFile)
      throws IOException {
    return connect(target, caPem, new BearerToken(Files.readString(tokenFile)));
  }

  /** As {@link #connect(String, Path, Path)}, with the token given; {@code null} sends none. */
  public static ManagedChannel connect(String target, Path caPem, BearerToken token)
      throws IOException {
    ChannelCredentials tls =
        TlsChannelCredentials.newBuilder().trustManager(caPem.toFile()).build();
    ChannelCredentials credentials =
        token == null ? tls : CompositeChannelCredentials.create(tls, token);
    return Grpc.newChannelBuilder(target, credentials).build();
  }
}
