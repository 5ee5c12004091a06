package dev.grpca.server.authority;

import static dev.grpca.server.testing.Calls.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.SignSubordinateRequest;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Profiles;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.Tools;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local CA that has expired signs nothing more, over real gRPC: CreateIntermediate and
 * SignSubordinate under it are FAILED_PRECONDITION naming the parent, Issue under a profile that
 * points at it is refused, and nothing is stored or left in the token. (The root is made two days
 * back on the server's clock, a day long.)
 */
class ExpiredParentTest {
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension().withClock(CLOCK);
  @TempDir Path work;

  @Test
  void anExpiredLocalParentSignsNothing() {
    TestServer server = SERVER.server();
    CLOCK.advance(Duration.ofDays(-2));
    try {
      server
          .authorities()
          .createRoot(
              CreateRootRequest.newBuilder()
                  .setAuthorityId("lapsed-root")
                  .setSubject("CN=Lapsed Root")
                  .setPathLength(1)
                  .setLifetime(com.google.protobuf.Duration.newBuilder().setSeconds(86_400))
                  .build());
    } finally {
      CLOCK.advance(Duration.ofDays(2));
    }
    Profiles.createFromDefault(
        server, "lapsed", p -> p.setAuthorityId("lapsed-root").setIssueFromRoot(true));
    long authorities = server.count("SELECT COUNT(*) FROM authority");
    long certificates = server.count("SELECT COUNT(*) FROM certificate");

    StatusRuntimeException intermediate =
        failure(
            () ->
                server
                    .authorities()
                    .createIntermediate(
                        CreateIntermediateRequest.newBuilder()
                            .setAuthorityId("under-lapsed")
                            .setSubject("CN=Under Lapsed")
                            .setParentAuthorityId("lapsed-root")
                            .build()));
    assertThat(intermediate.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(intermediate.getStatus().getDescription())
        .contains("parent_authority_id")
        .contains("'lapsed-root' expired at");

    String csr = Tools.p256Csr(work, "sub.key", "/CN=Sub Under Lapsed");
    StatusRuntimeException subordinate =
        failure(
            () ->
                server
                    .authorities()
                    .signSubordinate(
                        SignSubordinateRequest.newBuilder()
                            .setParentAuthorityId("lapsed-root")
                            .setCsrPem(csr)
                            .setUseCsrValues(true)
                            .build()));
    assertThat(subordinate.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(subordinate.getStatus().getDescription()).contains("'lapsed-root' expired at");

    StatusRuntimeException leaf = Profiles.issueRefused(server, "lapsed", "leaf.example.com");
    assertThat(leaf.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(leaf.getStatus().getDescription())
        .contains("its authority 'lapsed-root' expired at");

    assertThat(server.count("SELECT COUNT(*) FROM authority")).isEqualTo(authorities);
    assertThat(server.count("SELECT COUNT(*) FROM certificate")).isEqualTo(certificates);
    assertThat(SoftHsm.open().labels("grpca-under-lapsed")).isEmpty();
  }
}
