package dev.grpca.server.grpc;

import dev.grpca.proto.v1.AdminServiceGrpc;
import dev.grpca.proto.v1.AuditRecord;
import dev.grpca.proto.v1.CreateTokenRequest;
import dev.grpca.proto.v1.CreateTokenResponse;
import dev.grpca.proto.v1.GetPrincipalRequest;
import dev.grpca.proto.v1.GetPrincipalResponse;
import dev.grpca.proto.v1.ListAuditRecordsRequest;
import dev.grpca.proto.v1.ListAuditRecordsResponse;
import dev.grpca.proto.v1.ListPrincipalsRequest;
import dev.grpca.proto.v1.ListPrincipalsResponse;
import dev.grpca.proto.v1.ListTokensRequest;
import dev.grpca.proto.v1.ListTokensResponse;
import dev.grpca.proto.v1.PutPrincipalRequest;
import dev.grpca.proto.v1.PutPrincipalResponse;
import dev.grpca.proto.v1.RevokeTokenRequest;
import dev.grpca.proto.v1.RevokeTokenResponse;
import dev.grpca.proto.v1.TidyRequest;
import dev.grpca.proto.v1.TidyResponse;
import dev.grpca.proto.v1.Token;
import dev.grpca.proto.v1.VerifyAuditLogRequest;
import dev.grpca.proto.v1.VerifyAuditLogResponse;
import dev.grpca.server.access.AccessControl;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.issuance.Inventory;
import dev.grpca.server.policy.DurationText;
import dev.grpca.server.store.AccessStore;
import dev.grpca.server.store.AuditChain;
import io.grpc.stub.StreamObserver;
import java.util.List;

/** AdminService: principals, tokens and the audit log; every call needs OPERATION_ADMIN. */
final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
  private static final int MAX_PAGE = 1000;

  private static final java.time.Duration MIN_TIDY_BUFFER = java.time.Duration.ofHours(1);

  private final AccessControl access;
  private final Inventory inventory;
  private final java.time.Duration tidyBuffer;

  AdminGrpcService(AccessControl access, Inventory inventory, java.time.Duration tidyBuffer) {
    this.access = access;
    this.inventory = inventory;
    this.tidyBuffer = tidyBuffer;
  }

  @Override
  public void tidy(TidyRequest r, StreamObserver<TidyResponse> response) {
    requireAdmin();
    java.time.Duration buffer =
        r.hasBuffer() ? ProtoMapping.duration("buffer", r.getBuffer()) : tidyBuffer;
    if (buffer.compareTo(MIN_TIDY_BUFFER) < 0) {
      throw CaException.invalid(
          "buffer", DurationText.human(buffer) + " (expected: at least 1h past notAfter)");
    }
    Inventory.TidyResult done = inventory.tidy(buffer);
    response.onNext(
        TidyResponse.newBuilder()
            .setExpiredBefore(ProtoMapping.timestamp(done.expiredBefore()))
            .setCertificatesRemoved(done.certificates())
            .setRequestIdsForgotten(done.requestIds())
            .build());
    response.onCompleted();
  }

  private static void requireAdmin() {
    RequestLog.current().caller().requireAdmin();
  }

  @Override
  public void putPrincipal(PutPrincipalRequest r, StreamObserver<PutPrincipalResponse> response) {
    requireAdmin();
    response.onNext(
        PutPrincipalResponse.newBuilder().setPrincipal(access.put(r.getPrincipal())).build());
    response.onCompleted();
  }

  @Override
  public void getPrincipal(GetPrincipalRequest r, StreamObserver<GetPrincipalResponse> response) {
    requireAdmin();
    response.onNext(
        GetPrincipalResponse.newBuilder()
            .setPrincipal(
                access
                    .principal(r.getName())
                    .orElseThrow(
                        () ->
                            CaException.field(
                                ErrorKind.NOT_FOUND, "name", "no principal '" + r.getName() + "'")))
            .build());
    response.onCompleted();
  }

  @Override
  public void listPrincipals(
      ListPrincipalsRequest r, StreamObserver<ListPrincipalsResponse> response) {
    requireAdmin();
    response.onNext(
        ListPrincipalsResponse.newBuilder().addAllPrincipals(access.principals()).build());
    response.onCompleted();
  }

  @Override
  public void createToken(CreateTokenRequest r, StreamObserver<CreateTokenResponse> response) {
    requireAdmin();
    AccessControl.NewToken made =
        access.createToken(
            r.getPrincipal(),
            r.getDescription(),
            r.hasLifetime() ? ProtoMapping.duration("lifetime", r.getLifetime()) : null);
    response.onNext(
        CreateTokenResponse.newBuilder()
            .setTokenInfo(token(made.info()))
            .setToken(made.token())
            .build());
    response.onCompleted();
  }

  @Override
  public void revokeToken(RevokeTokenRequest r, StreamObserver<RevokeTokenResponse> response) {
    requireAdmin();
    response.onNext(
        RevokeTokenResponse.newBuilder()
            .setTokenInfo(token(access.revokeToken(r.getId())))
            .build());
    response.onCompleted();
  }

  @Override
  public void listTokens(ListTokensRequest r, StreamObserver<ListTokensResponse> response) {
    requireAdmin();
    ListTokensResponse.Builder answer = ListTokensResponse.newBuilder();
    access.tokens(r.getPrincipal()).forEach(t -> answer.addTokens(token(t)));
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void listAuditRecords(
      ListAuditRecordsRequest r, StreamObserver<ListAuditRecordsResponse> response) {
    requireAdmin();
    if (r.getPageSize() < 0 || r.getPageSize() > MAX_PAGE) {
      throw CaException.invalid("page_size", r.getPageSize() + " (expected: 0..1000)");
    }
    int size = r.getPageSize() == 0 ? 100 : r.getPageSize();
    long after;
    try {
      after = r.getPageToken().isEmpty() ? 0 : Long.parseLong(r.getPageToken());
    } catch (NumberFormatException e) {
      throw CaException.invalid("page_token", "not a token this server gave out");
    }
    List<dev.grpca.server.store.AuditRecord> records = access.auditRecords(after, size);
    ListAuditRecordsResponse.Builder answer = ListAuditRecordsResponse.newBuilder();
    records.forEach(a -> answer.addRecords(record(a)));
    if (records.size() == size) {
      answer.setNextPageToken(Long.toString(records.get(records.size() - 1).sequence()));
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void verifyAuditLog(
      VerifyAuditLogRequest r, StreamObserver<VerifyAuditLogResponse> response) {
    requireAdmin();
    AuditChain.Verdict verdict = access.verifyAudit();
    response.onNext(
        VerifyAuditLogResponse.newBuilder()
            .setOk(verdict.ok())
            .setRecords(verdict.records())
            .setBrokenSequence(verdict.brokenSequence())
            .setProblem(verdict.problem())
            .build());
    response.onCompleted();
  }

  private static Token token(AccessStore.StoredToken t) {
    Token.Builder b =
        Token.newBuilder()
            .setId(t.id())
            .setPrincipal(t.principal())
            .setDescription(t.description())
            .setCreateTime(ProtoMapping.timestamp(t.createTime()));
    if (t.expireTime() != null) {
      b.setExpireTime(ProtoMapping.timestamp(t.expireTime()));
    }
    if (t.revokeTime() != null) {
      b.setRevokeTime(ProtoMapping.timestamp(t.revokeTime()));
    }
    return b.build();
  }

  private static AuditRecord record(dev.grpca.server.store.AuditRecord a) {
    return AuditRecord.newBuilder()
        .setSequence(a.sequence())
        .setTime(ProtoMapping.timestamp(a.time()))
        .setPrincipal(a.principal())
        .setSource(a.source())
        .setRpc(a.rpc())
        .setProfile(a.profile())
        .setSerialNumber(a.serial())
        .setRequestId(a.requestId())
        .setOutcome(a.outcome())
        .setDetail(a.detail())
        .setPreviousHash(a.previousHash())
        .setHash(a.hash())
        .build();
  }
}
