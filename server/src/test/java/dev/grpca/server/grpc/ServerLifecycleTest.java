package dev.grpca.server.grpc;

import static dev.grpca.server.testing.Tools.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.MutableClock;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import dev.grpca.server.x509.Certificates;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What operators see: health, reflection without a token, and a restart that keeps the CAs. */
@ExtendWith(TestServers.class)
class ServerLifecycleTest {
  @TempDir Path work;

  @Test
  void theServerStoresItsRowsInTheEngineThisRunNames(TestServer server) throws Exception {
    server.certificates().issue(Requests.issue("engine.example.com").build());
    try (var c = server.connect();
        var rows =
            c.createStatement()
                .executeQuery(
                    "SELECT COUNT(*) FROM certificate_name WHERE name = 'engine.example.com'")) {
      assertThat(c.getMetaData().getDatabaseProductName()).isEqualTo(Engine.current().productName);
      assertThat(rows.next()).isTrue();
      assertThat(rows.getLong(1)).isEqualTo(1);
    }
  }

  @Test
  void healthAndReflectionAnswerWithoutTheTokenAndListTheServices(TestServer server)
      throws Exception {
    ManagedChannel anonymous = server.channel(null);
    assertThat(
            HealthGrpc.newBlockingStub(anonymous)
                .check(
                    HealthCheckRequest.newBuilder()
                        .setService("grpca.v1.CertificateService")
                        .build())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(listServicesV1(anonymous))
        .contains(
            "grpca.v1.CertificateService",
            "grpca.v1.AuthorityService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection");
    assertThat(listServicesV1Alpha(anonymous)).contains("grpca.v1.CertificateService");
    // What `grpcurl describe` asks: the file that declares a symbol, with its dependencies.
    List<FileDescriptorProto> files = fileContaining(anonymous, "grpca.v1.CertificateService");
    FileDescriptorProto service =
        files.stream()
            .filter(f -> f.getName().equals("grpca/v1/certificate_service.proto"))
            .findFirst()
            .orElseThrow();
    assertThat(service.getService(0).getMethodList())
        .extracting(m -> m.getName())
        .containsExactly(
            "Issue",
            "Sign",
            "Renew",
            "Revoke",
            "Status",
            "Get",
            "List",
            "UpdateCertificate",
            "DeleteCertificates",
            "ImportCertificate",
            "CreateDownloadToken",
            "WatchRevocations",
            "WatchCertificate",
            "WatchTrustBundle");
    assertThat(files).extracting(FileDescriptorProto::getName).contains("grpca/v1/resources.proto");
  }

  @Test
  void aRestartKeepsTheSameCasAndCertificatesStillVerify(TestServer server) throws Exception {
    GetCaChainResponse before =
        server.authorities().getCaChain(GetCaChainRequest.getDefaultInstance());
    IssueResponse issued = server.certificates().issue(Requests.issue("old.example.com").build());
    String adminToken = server.adminToken();

    server.restart();

    GetCaChainResponse after =
        server.authorities().getCaChain(GetCaChainRequest.getDefaultInstance());
    assertThat(after).isEqualTo(before);
    assertThat(server.adminToken()).isEqualTo(adminToken);
    Files.writeString(work.resolve("chain.pem"), after.getChainPem());
    Files.writeString(work.resolve("old.pem"), issued.getCertificate().getCertificatePem());
    openssl(work, "verify", "-CAfile", "chain.pem", "old.pem").requireSuccess();
    // And it still issues under the same intermediate.
    IssueResponse fresh = server.certificates().issue(Requests.issue("new.example.com").build());
    assertThat(fresh.getCertificate().getChainPem()).isEqualTo(before.getChainPem());
  }

  @Test
  void theServerRenewsItsOwnTlsCertificateBeforeItExpires(TestServer server, MutableClock clock)
      throws Exception {
    X509Certificate first = server.running().tlsIdentity().current();
    assertThat(servedSerial(server)).isEqualTo(first.getSerialNumber());
    assertThat(first.getNotAfter().toInstant())
        .isAfter(clock.instant().plus(Duration.ofDays(7)).minusSeconds(5));

    server.running().tlsIdentity().renewIfDue();
    assertThat(server.running().tlsIdentity().current()).isSameAs(first);

    clock.advance(Duration.ofDays(5)); // past two thirds of the 7-day lifetime
    server.running().tlsIdentity().renewIfDue();
    X509Certificate second = server.running().tlsIdentity().current();
    assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    assertThat(second.getNotAfter()).isAfter(first.getNotAfter());
    assertThat(servedSerial(server)).isEqualTo(second.getSerialNumber());
  }

  /** The serial of the certificate a new TLS handshake is shown. */
  private BigInteger servedSerial(TestServer server) throws Exception {
    String output =
        openssl(
                work,
                "s_client",
                "-connect",
                "127.0.0.1:" + server.running().port(),
                "-servername",
                "localhost",
                "-alpn",
                "h2")
            .output();
    int begin = output.indexOf("-----BEGIN CERTIFICATE-----");
    int end = output.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length();
    assertThat(begin).as(output).isNotNegative();
    return Certificates.parsePem(output.substring(begin, end)).getSerialNumber();
  }

  private static List<FileDescriptorProto> fileContaining(ManagedChannel channel, String symbol)
      throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel).serverReflectionInfo(observer(answer));
    requests.onNext(ServerReflectionRequest.newBuilder().setFileContainingSymbol(symbol).build());
    requests.onCompleted();
    List<FileDescriptorProto> files = new java.util.ArrayList<>();
    for (var bytes :
        answer.get(30, TimeUnit.SECONDS).getFileDescriptorResponse().getFileDescriptorProtoList()) {
      files.add(FileDescriptorProto.parseFrom(bytes));
    }
    return files;
  }

  private static List<String> listServicesV1(ManagedChannel channel) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel).serverReflectionInfo(observer(answer));
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    return answer.get(30, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(ServiceResponse::getName)
        .toList();
  }

  @SuppressWarnings("deprecation")
  private static List<String> listServicesV1Alpha(ManagedChannel channel) throws Exception {
    CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse> answer =
        new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(observer(answer));
    requests.onNext(
        io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
            .setListServices("")
            .build());
    requests.onCompleted();
    return answer.get(30, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(io.grpc.reflection.v1alpha.ServiceResponse::getName)
        .toList();
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> first) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        first.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        first.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        first.completeExceptionally(new AssertionError("no answer"));
      }
    };
  }
}
