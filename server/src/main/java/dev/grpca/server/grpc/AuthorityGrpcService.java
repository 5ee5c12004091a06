package dev.grpca.server.grpc;

import com.google.protobuf.ByteString;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.Crl;
import dev.grpca.proto.v1.CrlView;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.GetCrlResponse;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RebuildCrlResponse;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.revocation.CrlPublisher;
import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.StoredCrl;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;

/** AuthorityService: the trust bundles. */
final class AuthorityGrpcService extends AuthorityServiceGrpc.AuthorityServiceImplBase {
  private final Authorities authorities;
  private final CrlPublisher crls;

  AuthorityGrpcService(Authorities authorities, CrlPublisher crls) {
    this.authorities = authorities;
    this.crls = crls;
  }

  @Override
  public void getCrl(GetCrlRequest r, StreamObserver<GetCrlResponse> response) {
    Authority authority = authorities.get(r.getAuthorityId());
    Crl crl =
        r.getView() == CrlView.CRL_VIEW_BASIC
            ? crls.latestInfo(authority.id()).map(this::basic).map(Crl.Builder::build).orElse(null)
            : crls.latest(authority.id()).map(this::full).orElse(null);
    if (crl == null) {
      throw new CaException(
          ErrorKind.UNAVAILABLE, "no CRL of " + authority.id() + " has been published yet");
    }
    response.onNext(GetCrlResponse.newBuilder().setCrl(crl).build());
    response.onCompleted();
  }

  @Override
  public void rebuildCrl(RebuildCrlRequest r, StreamObserver<RebuildCrlResponse> response) {
    RequestLog.current().caller().requireAdmin();
    Authority authority = authorities.get(r.getAuthorityId());
    StoredCrl crl = crls.publish(authority.id());
    response.onNext(
        RebuildCrlResponse.newBuilder()
            .setCrl(r.getView() == CrlView.CRL_VIEW_BASIC ? basic(crl.info()).build() : full(crl))
            .build());
    response.onCompleted();
  }

  private Crl.Builder basic(CrlInfo crl) {
    return Crl.newBuilder()
        .setAuthorityId(crl.authorityId())
        .setCrlNumber(crl.number())
        .setThisUpdate(ProtoMapping.timestamp(crl.thisUpdate()))
        .setNextUpdate(ProtoMapping.timestamp(crl.nextUpdate()))
        .setEntryCount(crl.entries())
        .setDerSize(crl.size())
        .setCrlUrl(crls.url(crl.authorityId()));
  }

  private Crl full(StoredCrl crl) {
    return basic(crl.info())
        .setCrlDer(ByteString.copyFrom(crl.derView()))
        .setCrlPem(StandardCharsets.US_ASCII.decode(crl.pemView()).toString())
        .build();
  }

  @Override
  public void getCaChain(GetCaChainRequest r, StreamObserver<GetCaChainResponse> response) {
    Authority authority = authorities.get(r.getAuthorityId());
    response.onNext(
        GetCaChainResponse.newBuilder()
            .setChainPem(authority.chainPem())
            .setRootPem(authority.rootPem())
            .build());
    response.onCompleted();
  }
}
