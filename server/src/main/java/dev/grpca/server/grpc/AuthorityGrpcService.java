package dev.grpca.server.grpc;

import com.google.protobuf.ByteString;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.Crl;
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
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.x509.Pem;
import io.grpc.stub.StreamObserver;

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
    StoredCrl crl =
        crls.latest(authority.id())
            .orElseThrow(
                () ->
                    new CaException(
                        ErrorKind.UNAVAILABLE,
                        "no CRL of " + authority.id() + " has been published yet"));
    response.onNext(GetCrlResponse.newBuilder().setCrl(crl(crl)).build());
    response.onCompleted();
  }

  @Override
  public void rebuildCrl(RebuildCrlRequest r, StreamObserver<RebuildCrlResponse> response) {
    RequestLog.current().caller().requireAdmin();
    Authority authority = authorities.get(r.getAuthorityId());
    response.onNext(
        RebuildCrlResponse.newBuilder().setCrl(crl(crls.publish(authority.id()))).build());
    response.onCompleted();
  }

  private static Crl crl(StoredCrl crl) {
    return Crl.newBuilder()
        .setAuthorityId(crl.authorityId())
        .setCrlNumber(crl.number())
        .setThisUpdate(ProtoMapping.timestamp(crl.thisUpdate()))
        .setNextUpdate(ProtoMapping.timestamp(crl.nextUpdate()))
        .setCrlDer(ByteString.copyFrom(crl.der()))
        .setCrlPem(Pem.encode("X509 CRL", crl.der()))
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
