package dev.grpca.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grpca.client.BearerToken;
import dev.grpca.client.GrpcaChannels;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.server.config.proto.GrpcSection;
import dev.grpca.server.config.proto.HttpSection;
import dev.grpca.server.config.proto.LogSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import dev.grpca.server.testing.Calls;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** log.format: json, in a server JVM of its own (the format is the process's). */
class JsonLogTest {
  @TempDir Path dir;

  @Test
  void everyLineIsJsonAndAccessLinesCarryTheirFields() throws Exception {
    int grpc = TestServer.freePort();
    ServerConfigFile.Builder file =
        TestServer.fileFor(dir.resolve("data"), f -> {}, Engine.H2)
            .setGrpc(GrpcSection.newBuilder().setHost("127.0.0.1").setPort(grpc))
            .setHttp(HttpSection.newBuilder().setHost("127.0.0.1").setPort(TestServer.freePort()))
            .setLog(LogSection.newBuilder().setFormat("json"));
    Process server = TestServer.spawn(file, dir, "json");
    try {
      ManagedChannel channel =
          GrpcaChannels.connect(
              "127.0.0.1:" + grpc, dir.resolve("data/dev/ca.pem"), new BearerToken("not-a-token"));
      try {
        Status.Code code =
            Calls.failure(
                    () ->
                        CertificateServiceGrpc.newBlockingStub(channel)
                            .get(GetRequest.newBuilder().setSerialNumber("01").build()))
                .getStatus()
                .getCode();
        assertThat(code).isEqualTo(Status.Code.UNAUTHENTICATED);
      } finally {
        channel.shutdownNow();
      }
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("json.log"))) {
      if (line.startsWith("{")) {
        lines.add(json.readTree(line)); // throws on a line that is not JSON
      } else {
        // The banner on stdout (the log file has both); no log line is plain text.
        assertThat(line).doesNotContainPattern("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ");
      }
    }
    assertThat(lines).isNotEmpty();
    assertThat(lines).allSatisfy(l -> assertThat(l.has("@timestamp") && l.has("level")).isTrue());
    JsonNode access =
        lines.stream()
            .filter(l -> l.path("logger_name").asText().equals("grpca.access"))
            .findFirst()
            .orElseThrow();
    assertThat(access.path("rpc").asText()).isEqualTo("grpca.v1.CertificateService/Get");
    assertThat(access.path("status").asText()).isEqualTo("UNAUTHENTICATED");
    assertThat(access.path("principal").asText()).isEqualTo("-");
    assertThat(access.path("serial").asText()).isEqualTo("-");
    assertThat(access.path("request_id").asText()).isNotBlank();
    assertThat(access.path("time_us").isNumber()).isTrue();
    assertThat(access.path("message").asText()).startsWith("rpc=grpca.v1.CertificateService/Get ");
    assertThat(Files.readString(dir.resolve("json.log"))).doesNotContain("not-a-token");
  }
}
