package dev.grpca.server.grpc;

import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import io.grpc.stub.StreamObserver;

/** AuthorityService: the trust bundles. */
final class AuthorityGrpcService extends AuthorityServiceGrpc.AuthorityServiceImplBase {
  private final Authorities authorities;

  AuthorityGrpcService(Authorities authorities) {
    this.authorities = authorities;
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
