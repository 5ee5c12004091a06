package dev.grpca.server.testing;

import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;

/** Request builders that read like the domain, each filled with what most tests want. */
public final class Requests {
  private Requests() {}

  /** Issue under the {@code default} profile for {@code dnsName}; the rest is the caller's. */
  public static IssueRequest.Builder issue(String dnsName) {
    return IssueRequest.newBuilder().setProfile("default").addDnsNames(dnsName);
  }

  /** Revoke {@code serialNumber} for {@code reason}. */
  public static RevokeRequest revoke(String serialNumber, RevocationReason reason) {
    return RevokeRequest.newBuilder().setSerialNumber(serialNumber).setReason(reason).build();
  }
}
