package dev.grpca.server.grpc;

import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.SignResponse;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.IssueResult;
import dev.grpca.server.issuance.IssuedCertificate;
import dev.grpca.server.x509.Pem;
import io.grpc.stub.StreamObserver;
import java.time.Clock;

/** CertificateService: maps the request, calls the issuance flow, maps the answer. */
final class CertificateGrpcService extends CertificateServiceGrpc.CertificateServiceImplBase {
  private final IssuanceService issuance;
  private final Clock clock;

  CertificateGrpcService(IssuanceService issuance, Clock clock) {
    this.issuance = issuance;
    this.clock = clock;
  }

  @Override
  public void issue(IssueRequest r, StreamObserver<IssueResponse> response) {
    IssueResult result =
        issuance.issue(
            ProtoMapping.request(
                r.getProfile(),
                r.getSubject(),
                r.getDnsNamesList(),
                r.getIpAddressesList(),
                r.getEmailAddressesList(),
                r.getUrisList(),
                r.hasLifetime(),
                r.getLifetime(),
                r.getLabelsMap(),
                r.getValidateOnly(),
                RequestLog.current().principal()),
            ProtoMapping.keyAlgorithm(r.getKeyType()));
    IssueResponse.Builder answer = IssueResponse.newBuilder();
    if (result.certificate() != null) {
      answer
          .setCertificate(certificate(result.certificate()))
          .setPrivateKeyPem(Pem.privateKey(result.privateKey().getEncoded()));
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void sign(SignRequest r, StreamObserver<SignResponse> response) {
    IssuedCertificate issued =
        issuance.sign(
            ProtoMapping.request(
                r.getProfile(),
                r.getSubject(),
                r.getDnsNamesList(),
                r.getIpAddressesList(),
                r.getEmailAddressesList(),
                r.getUrisList(),
                r.hasLifetime(),
                r.getLifetime(),
                r.getLabelsMap(),
                r.getValidateOnly(),
                RequestLog.current().principal()),
            r.getCsrPem());
    SignResponse.Builder answer = SignResponse.newBuilder();
    if (issued != null) {
      answer.setCertificate(certificate(issued));
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  private dev.grpca.proto.v1.Certificate certificate(IssuedCertificate issued) {
    RequestLog.current().serial(issued.stored().serialNumber());
    return ProtoMapping.certificate(issued, clock.instant());
  }
}
