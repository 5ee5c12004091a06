package dev.grpca.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.AuditRecord;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.ListAuditRecordsRequest;
import dev.grpca.proto.v1.ListAuditRecordsResponse;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.VerifyAuditLogRequest;
import dev.grpca.server.testing.Requests;
import dev.grpca.server.testing.TestServer;
import dev.grpca.server.testing.TestServers;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The audit log: what it records, paging over gRPC, and `audit verify` catching tampering. */
@ExtendWith(TestServers.class)
class AuditLogTest {

  @Test
  void mutatingAndDeniedCallsAreRecordedAndVerifyCatchesEditsAndDeletions(TestServer server)
      throws Exception {
    var issued =
        server.certificates().issue(Requests.issue("audited.example.com").build()).getCertificate();
    server
        .certificates()
        .revoke(
            Requests.revoke(
                issued.getSerialNumber(), RevocationReason.REVOCATION_REASON_SUPERSEDED));
    try {
      CertificateServiceGrpc.newBlockingStub(server.channel("not-a-token"))
          .issue(Requests.issue("x.example").build());
    } catch (StatusRuntimeException expected) {
      // recorded as UNAUTHENTICATED
    }

    AdminServiceGrpc.AdminServiceBlockingStub admin =
        AdminServiceGrpc.newBlockingStub(server.channel(server.adminToken()));
    List<AuditRecord> all = new ArrayList<>();
    String page = "";
    do {
      ListAuditRecordsResponse r =
          admin.listAuditRecords(
              ListAuditRecordsRequest.newBuilder().setPageSize(2).setPageToken(page).build());
      all.addAll(r.getRecordsList());
      page = r.getNextPageToken();
    } while (!page.isEmpty());
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).getSequence()).isEqualTo(i + 1);
    }
    AuditRecord issue = find(all, "Issue", "OK");
    assertThat(issue.getPrincipal()).isEqualTo("admin");
    assertThat(issue.getSerialNumber()).isEqualTo(issued.getSerialNumber());
    assertThat(issue.getProfile()).isEqualTo("default");
    assertThat(issue.getSource()).startsWith("127.0.0.1:");
    assertThat(issue.getRequestId()).isNotEmpty();
    assertThat(find(all, "Revoke", "OK").getDetail()).contains("revoked");
    AuditRecord denied = find(all, "Issue", "UNAUTHENTICATED");
    assertThat(denied.getPrincipal()).isEqualTo("-");
    assertThat(denied.toString()).doesNotContain("not-a-token");
    assertThat(admin.verifyAuditLog(VerifyAuditLogRequest.getDefaultInstance()).getOk()).isTrue();

    assertThat(verify(server)).startsWith("0 audit log intact: " + all.size());

    long edited = issue.getSequence();
    sql(server, "UPDATE audit_record SET principal = 'mallory' WHERE seq = " + edited);
    assertThat(verify(server))
        .startsWith(
            "1 audit log BROKEN at record " + edited + ": record " + edited + " was changed");
    sql(server, "UPDATE audit_record SET principal = 'admin' WHERE seq = " + edited);
    assertThat(verify(server)).startsWith("0 ");

    long deleted = all.get(1).getSequence();
    sql(server, "DELETE FROM audit_record WHERE seq = " + deleted);
    assertThat(verify(server))
        .startsWith(
            "1 audit log BROKEN at record " + deleted + ": record " + deleted + " is missing");
  }

  @Test
  void removingTheLastRecordIsNoticedToo(TestServer server) throws Exception {
    server.certificates().issue(Requests.issue("last.example").build());
    long last =
        server.database().access().auditRecords(0, 1_000_000).stream()
            .mapToLong(dev.grpca.server.store.AuditRecord::sequence)
            .max()
            .orElseThrow();
    sql(server, "DELETE FROM audit_record WHERE seq = " + last);
    assertThat(verify(server)).startsWith("1 audit log BROKEN at record " + last);
  }

  private static AuditRecord find(List<AuditRecord> all, String rpc, String outcome) {
    return all.stream()
        .filter(r -> r.getRpc().endsWith("/" + rpc) && r.getOutcome().equals(outcome))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + rpc + " " + outcome + " in " + all));
  }

  /** Runs `grpca-server audit verify`; "<exit code> <output>". */
  private static String verify(TestServer server) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code =
        AdminCommands.run(
            List.of("audit", "verify"),
            server.config(),
            server.env(),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + " " + bytes.toString(StandardCharsets.UTF_8).strip();
  }

  /** What an attacker with database access would do. */
  private static void sql(TestServer server, String statement) throws Exception {
    try (Connection c = server.connect()) {
      c.createStatement().executeUpdate(statement);
    }
  }
}
