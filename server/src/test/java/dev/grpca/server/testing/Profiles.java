package dev.grpca.server.testing;

import dev.grpca.proto.v1.CreateProfileRequest;
import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.proto.v1.Profile;
import java.time.Duration;

/** Profile builders that read like the domain, each filled with what most tests want. */
public final class Profiles {
  private Profiles() {}

  /** A profile named {@code name} that allows any name, for TLS servers. */
  public static Profile.Builder anyNameServer(String name) {
    return anyName(name, ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH);
  }

  /** A profile named {@code name} that allows any name, for TLS clients. */
  public static Profile.Builder anyNameClient(String name) {
    return anyName(name, ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH);
  }

  private static Profile.Builder anyName(String name, ExtendedKeyUsage usage) {
    return Profile.newBuilder().setName(name).setAllowAnyName(true).addExtendedKeyUsages(usage);
  }

  /** {@code duration} as the protobuf Duration profiles carry. */
  public static com.google.protobuf.Duration duration(Duration duration) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(duration.getSeconds())
        .setNanos(duration.getNano())
        .build();
  }

  /**
   * Creates, on {@code server}, a copy of its "default" profile named {@code name}, changed by
   * {@code change} (e.g. to issue from another authority).
   */
  public static void createFromDefault(
      TestServer server, String name, java.util.function.UnaryOperator<Profile.Builder> change) {
    Profile base =
        server
            .profiles()
            .getProfile(
                dev.grpca.proto.v1.GetProfileRequest.newBuilder().setName("default").build())
            .getProfile();
    server.profiles().createProfile(create(change.apply(base.toBuilder().setName(name))));
  }

  /** The request that creates {@code profile}. */
  /**
   * How an Issue of {@code dnsName} under {@code profile} fails (an AssertionError if it works).
   */
  public static io.grpc.StatusRuntimeException issueRefused(
      TestServer server, String profile, String dnsName) {
    return Calls.failure(
        () -> server.certificates().issue(Requests.issue(dnsName).setProfile(profile).build()));
  }

  public static CreateProfileRequest create(Profile.Builder profile) {
    return CreateProfileRequest.newBuilder().setProfile(profile).build();
  }
}
