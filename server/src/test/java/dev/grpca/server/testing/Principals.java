package dev.grpca.server.testing;

import dev.grpca.proto.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import dev.grpca.proto.v1.CreateTokenRequest;
import dev.grpca.proto.v1.Grant;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.Principal;
import dev.grpca.proto.v1.PutPrincipalRequest;
import java.util.List;

/** Principals as an operator makes them for the services that call the CA. */
public final class Principals {
  private Principals() {}

  /**
   * Makes (or replaces) {@code name}, allowed to Issue under the default profile, and returns a new
   * bearer token of it.
   */
  public static String issuerToken(AdminServiceBlockingStub admin, String name) {
    return token(
        admin,
        name,
        Grant.newBuilder().addOperations(Operation.OPERATION_ISSUE).addProfiles("default").build());
  }

  /** Makes (or replaces) {@code name} with {@code grants}, and returns a new bearer token of it. */
  public static String token(AdminServiceBlockingStub admin, String name, Grant... grants) {
    admin.putPrincipal(
        PutPrincipalRequest.newBuilder()
            .setPrincipal(Principal.newBuilder().setName(name).addAllGrants(List.of(grants)))
            .build());
    return admin.createToken(CreateTokenRequest.newBuilder().setPrincipal(name).build()).getToken();
  }
}
