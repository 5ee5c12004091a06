package dev.grpca.server.store;

import java.time.Instant;

/**
 * What a call with a request id did: the certificate it made or acted on ({@code serialNumber}, may
 * be null) or its answer's bytes ({@code response}, may be null), and when.
 */
public record StoredRequest(
    String method, String fingerprint, String serialNumber, byte[] response, Instant createTime) {

  public StoredRequest {
    response = response == null ? null : response.clone();
  }

  @Override
  public byte[] response() {
    return response == null ? null : response.clone();
  }
}
