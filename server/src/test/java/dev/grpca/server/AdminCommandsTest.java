package dev.grpca.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The first principals and tokens, made on the CA host's command line, work over gRPC. */
@ExtendWith(TestServers.class)
class AdminCommandsTest {

  @Test
  void aPrincipalAndTokenMadeOnTheCommandLineMayDoWhatTheyGrantAndNoMore(TestServer server) {
    assertThat(run(server, "principal", "put", "deployer", "--grant", "issue,read=default"))
        .startsWith("0 principal deployer stored with 1 grants");
    String out = run(server, "token", "create", "deployer", "--lifetime", "1h");
    assertThat(out).startsWith("0 grpca_");
    String token = out.substring(2).strip();

    var stub = CertificateServiceGrpc.newBlockingStub(server.channel(token));
    assertThat(
            stub.issue(Requests.issue("cli.example.com").build()).getCertificate().getRequestedBy())
        .isEqualTo("deployer");
    StatusRuntimeException e =
        catchThrowableOfType(
            () ->
                stub.issue(
                    IssueRequest.newBuilder()
                        .setProfile("web-server")
                        .addDnsNames("www.example.com")
                        .build()),
            StatusRuntimeException.class);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    assertThat(run(server, "principal", "put", "x", "--grant", "fly=default"))
        .startsWith("2 grpca: --grant fly=default: unknown operation 'fly'");
    assertThat(run(server, "token", "create", "nobody")).startsWith("2 grpca: principal:");
  }

  private static String run(TestServer server, String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code =
        AdminCommands.run(
            List.of(args),
            server.config(),
            server.env(),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + " " + bytes.toString(StandardCharsets.UTF_8).strip();
  }
}
