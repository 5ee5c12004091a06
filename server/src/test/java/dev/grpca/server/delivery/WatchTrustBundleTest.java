package dev.grpca.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.WatchTrustBundleRequest;
import dev.grpca.proto.v1.WatchTrustBundleResponse;
import dev.grpca.server.testing.Received;
import dev.grpca.server.testing.ServerExtension;
import dev.grpca.server.testing.TestServer;
import io.grpc.Status;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WatchTrustBundle over real gRPC: the bundles as GetCaChain gives them, first; a resumed stream
 * does not repeat them; bad requests get their status. (Nothing changes a bundle yet: the CA
 * hierarchy is fixed at first start until issue 19.)
 */
class WatchTrustBundleTest {
  @RegisterExtension static final ServerExtension SERVER = new ServerExtension();

  private static Received<WatchTrustBundleRequest, WatchTrustBundleResponse> watch(
      TestServer server, WatchTrustBundleRequest request) {
    Received<WatchTrustBundleRequest, WatchTrustBundleResponse> r = new Received<>();
    CertificateServiceGrpc.newStub(server.channel(server.adminToken()))
        .watchTrustBundle(request, r);
    return r;
  }

  @Test
  void theCurrentBundleFirstThenNothingRepeatedOnResume() throws Exception {
    TestServer server = SERVER.server();
    GetCaChainResponse chain =
        server.authorities().getCaChain(GetCaChainRequest.getDefaultInstance());
    var all = watch(server, WatchTrustBundleRequest.getDefaultInstance());
    WatchTrustBundleResponse first = all.next();
    assertThat(first.getRootPem()).isEqualTo(chain.getRootPem());
    all.cancel();

    var one =
        watch(
            server,
            WatchTrustBundleRequest.newBuilder().setAuthorityId(first.getAuthorityId()).build());
    WatchTrustBundleResponse bundle = one.next();
    assertThat(bundle.getAuthorityId()).isEqualTo(first.getAuthorityId());
    assertThat(bundle.getChainPem()).isEqualTo(first.getChainPem());
    assertThat(one.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
    one.cancel();

    var resumed =
        watch(
            server,
            WatchTrustBundleRequest.newBuilder().setResumeToken(bundle.getResumeToken()).build());
    assertThat(resumed.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    resumed.cancel();
  }

  @Test
  void aNewAuthorityIsToldToWatchersOfAllAndReplayedToOneThatResumes() throws Exception {
    TestServer server = SERVER.server();
    var all = watch(server, WatchTrustBundleRequest.getDefaultInstance());
    WatchTrustBundleResponse first = all.next();
    while (all.messages.poll(300, TimeUnit.MILLISECONDS) != null) {
      // The other current bundles.
    }
    all.cancel();
    var justOne =
        watch(
            server,
            WatchTrustBundleRequest.newBuilder().setAuthorityId(first.getAuthorityId()).build());
    justOne.next();

    // Made while nobody watches all: the resumed stream replays it, once.
    var made =
        server
            .authorities()
            .createRoot(
                CreateRootRequest.newBuilder()
                    .setAuthorityId("watched-root")
                    .setSubject("CN=Watched Root")
                    .build())
            .getAuthority();
    var resumed =
        watch(
            server,
            WatchTrustBundleRequest.newBuilder().setResumeToken(first.getResumeToken()).build());
    WatchTrustBundleResponse told = resumed.next();
    assertThat(told.getAuthorityId()).isEqualTo("watched-root");
    assertThat(told.getChainPem()).isEqualTo(made.getCertificatePem());
    assertThat(told.getRootPem()).isEqualTo(made.getCertificatePem());
    assertThat(resumed.messages.poll(700, TimeUnit.MILLISECONDS)).isNull();
    resumed.cancel();
    // A watcher of one authority is not told of another.
    assertThat(justOne.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();
    justOne.cancel();
  }

  @Test
  void badRequestsGetTheirStatus() throws Exception {
    TestServer server = SERVER.server();
    assertThat(
            watch(server, WatchTrustBundleRequest.newBuilder().setAuthorityId("no-such-ca").build())
                .ended())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            watch(server, WatchTrustBundleRequest.newBuilder().setResumeToken("later").build())
                .ended())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }
}
