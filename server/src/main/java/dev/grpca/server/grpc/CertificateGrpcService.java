package dev.grpca.server.grpc;

import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.CertificateStatus;
import dev.grpca.proto.v1.CreateDownloadTokenRequest;
import dev.grpca.proto.v1.CreateDownloadTokenResponse;
import dev.grpca.proto.v1.DeleteCertificatesRequest;
import dev.grpca.proto.v1.DeleteCertificatesResponse;
import dev.grpca.proto.v1.DeleteResult;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.GetResponse;
import dev.grpca.proto.v1.ImportCertificateRequest;
import dev.grpca.proto.v1.ImportCertificateResponse;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.ListResponse;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RenewResponse;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.RevokeResponse;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.SignResponse;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.StatusResponse;
import dev.grpca.proto.v1.UpdateCertificateRequest;
import dev.grpca.proto.v1.UpdateCertificateResponse;
import dev.grpca.proto.v1.WatchCertificateRequest;
import dev.grpca.proto.v1.WatchCertificateResponse;
import dev.grpca.proto.v1.WatchRevocationsRequest;
import dev.grpca.proto.v1.WatchRevocationsResponse;
import dev.grpca.proto.v1.WatchTrustBundleRequest;
import dev.grpca.proto.v1.WatchTrustBundleResponse;
import dev.grpca.server.access.Caller;
import dev.grpca.server.access.CertificatePermissions;
import dev.grpca.server.access.RateLimiter;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.error.CaException;
import dev.grpca.server.issuance.CertificateQueries;
import dev.grpca.server.issuance.Downloads;
import dev.grpca.server.issuance.Importer;
import dev.grpca.server.issuance.Inventory;
import dev.grpca.server.issuance.IssuanceService;
import dev.grpca.server.issuance.IssueResult;
import dev.grpca.server.issuance.IssuedCertificate;
import dev.grpca.server.revocation.RevocationService;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.Revocation;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.watch.EventFeed;
import dev.grpca.server.x509.PrivateKeys;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/** CertificateService: maps the request, calls the issuance flow, maps the answer. */
final class CertificateGrpcService extends CertificateServiceGrpc.CertificateServiceImplBase {
  private final IssuanceService issuance;
  private final CertificateQueries queries;
  private final RevocationService revocation;
  private final Inventory inventory;
  private final Importer importer;
  private final Downloads downloads;
  private final EventFeed events;
  private final java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> streams =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Watch streams a principal may have open at once. */
  static final int MAX_STREAMS = 100;

  private final Authorities authorities;
  private final CertificatePermissions permissions;
  private final RateLimiter limits;
  private final Clock clock;

  CertificateGrpcService(
      IssuanceService issuance,
      CertificateQueries queries,
      RevocationService revocation,
      Inventory inventory,
      Importer importer,
      Downloads downloads,
      EventFeed events,
      Authorities authorities,
      CertificatePermissions permissions,
      RateLimiter limits,
      Clock clock) {
    this.issuance = issuance;
    this.queries = queries;
    this.revocation = revocation;
    this.inventory = inventory;
    this.importer = importer;
    this.downloads = downloads;
    this.events = events;
    this.authorities = authorities;
    this.permissions = permissions;
    this.limits = limits;
    this.clock = clock;
  }

  /** The caller may do {@code operation} under the profile a request names. */
  private void requireForProfile(Operation operation, String profile) {
    RequestLog.current().profile(profile);
    permissions.requireForProfile(RequestLog.current().caller(), operation, profile);
  }

  /** Issue and Sign: the caller's grant, then its rate limits unless nothing is to be made. */
  private void admit(Operation operation, String profile, boolean validateOnly, RequestKey key) {
    requireForProfile(operation, profile);
    if (!validateOnly && !issuance.repeats(key)) {
      limits.take(RequestLog.current().principal(), profile);
    }
  }

  /** The caller may do {@code operation} with an existing certificate. */
  private void requireFor(Operation operation, StoredCertificate c) {
    RequestLog.current().profile(c.profile());
    permissions.requireFor(RequestLog.current().caller(), operation, c);
  }

  @Override
  public void issue(IssueRequest r, StreamObserver<IssueResponse> response) {
    RequestKey key = RequestKeys.of(r);
    admit(Operation.OPERATION_ISSUE, r.getProfile(), r.getValidateOnly(), key);
    PrivateKeys.Format keyFormat = ProtoMapping.privateKeyFormat(r.getPrivateKeyFormat());
    boolean download = ProtoMapping.download(r.getKeyDelivery());
    String renewChoice = ProtoMapping.renewChoice(r.getAutoRenew());
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
            ProtoMapping.keyAlgorithm(r.getKeyType()),
            r.getName(),
            key,
            new IssuanceService.Upkeeping(download ? downloads.holder() : null, renewChoice));
    IssueResponse.Builder answer = IssueResponse.newBuilder();
    if (result.certificate() != null) {
      answer.setCertificate(certificate(result.certificate()));
      if (download) {
        // A repeat gets a new link while the key is still held, as the first call's may be lost.
        StoredCertificate issued = result.certificate().stored();
        if (!result.isRepeat() || downloads.holds(issued)) {
          answer.setDownload(
              ProtoMapping.download(downloads.create(issued, RequestLog.current().principal())));
        }
      } else if (!result.isRepeat()) {
        answer.setPrivateKeyPem(result.privateKeyPem(keyFormat));
      }
      answer.setRepeat(result.isRepeat());
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void sign(SignRequest r, StreamObserver<SignResponse> response) {
    RequestKey key = RequestKeys.of(r);
    admit(Operation.OPERATION_SIGN, r.getProfile(), r.getValidateOnly(), key);
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
            r.getCsrPem(),
            r.getName(),
            key,
            ProtoMapping.renewChoice(r.getAutoRenew()));
    SignResponse.Builder answer = SignResponse.newBuilder();
    if (issued != null) {
      answer.setCertificate(certificate(issued));
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void renew(RenewRequest r, StreamObserver<RenewResponse> response) {
    RequestLog log = RequestLog.current();
    StoredCertificate old = queries.get("serial_number", r.getSerialNumber(), r.getName());
    String serial = old.serialNumber();
    log.serial(serial);
    log.profile(old.profile());
    boolean self = permissions.requireRenew(log.caller(), old);
    RequestKey key = RequestKeys.of(r);
    if (!issuance.repeats(key)) {
      limits.take(log.principal(), old.profile());
    }
    IssuedCertificate renewed =
        issuance.renew(
            serial,
            r.hasLifetime() ? ProtoMapping.duration("lifetime", r.getLifetime()) : null,
            log.principal(),
            self ? serial : null,
            key);
    response.onNext(RenewResponse.newBuilder().setCertificate(certificate(renewed)).build());
    response.onCompleted();
  }

  @Override
  public void revoke(RevokeRequest r, StreamObserver<RevokeResponse> response) {
    RequestLog.current().serial(r.getSerialNumber());
    if (r.getReason() == RevocationReason.UNRECOGNIZED) {
      throw CaException.invalid("reason", "unknown value (expected: a RevocationReason)");
    }
    StoredCertificate target = queries.get("serial_number", r.getSerialNumber(), r.getName());
    RequestLog.current().serial(target.serialNumber());
    RequestLog.current().profile(target.profile());
    permissions.requireRevoke(RequestLog.current().caller(), target);
    Revocation done =
        revocation.revoke(
            target.serialNumber(),
            r.getReasonValue(),
            RequestLog.current().principal(),
            RequestKeys.of(r));
    response.onNext(
        RevokeResponse.newBuilder()
            .setRevocationTime(ProtoMapping.timestamp(done.time()))
            .setRevocationReason(ProtoMapping.reason(done.reason()))
            .build());
    response.onCompleted();
  }

  @Override
  public void status(StatusRequest r, StreamObserver<StatusResponse> response) {
    Caller caller = RequestLog.current().caller();
    caller.requireAny(Operation.OPERATION_READ);
    Instant now = clock.instant();
    StatusResponse.Builder answer = StatusResponse.newBuilder();
    for (CertificateQueries.Status status :
        queries.status(r.getSerialNumbersList(), r.getNamesList())) {
      CertificateStatus.Builder s =
          CertificateStatus.newBuilder()
              .setSerialNumber(status.serialNumber())
              .setName(status.name());
      // Certificates the caller may not read are as good as unknown to it.
      if (status.certificate().isEmpty()
          || !permissions.mayRead(caller, status.certificate().get())) {
        s.setState(CertificateState.CERTIFICATE_STATE_UNKNOWN);
      } else {
        StoredCertificate c = status.certificate().get();
        s.setSerialNumber(c.serialNumber())
            .setName(c.name() == null ? "" : c.name())
            .setState(ProtoMapping.state(c.standingAt(now)))
            .setNotBefore(ProtoMapping.timestamp(c.notBefore()))
            .setNotAfter(ProtoMapping.timestamp(c.notAfter()))
            .setAuthorityId(c.authorityId() == null ? "" : c.authorityId());
        if (c.revocation() != null) {
          s.setRevocationTime(ProtoMapping.timestamp(c.revocation().time()))
              .setRevocationReason(ProtoMapping.reason(c.revocation().reason()));
        }
      }
      answer.addStatuses(s);
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void get(GetRequest r, StreamObserver<GetResponse> response) {
    RequestLog.current().serial(r.getSerialNumber());
    StoredCertificate c = queries.get("serial_number", r.getSerialNumber(), r.getName());
    RequestLog.current().serial(c.serialNumber());
    requireFor(Operation.OPERATION_READ, c);
    response.onNext(GetResponse.newBuilder().setCertificate(mapped(c)).build());
    response.onCompleted();
  }

  @Override
  public void list(ListRequest r, StreamObserver<ListResponse> response) {
    if (!r.getProfile().isEmpty()) {
      RequestLog.current().profile(r.getProfile());
    }
    permissions.requireList(RequestLog.current().caller(), r.getProfile());
    CertificateQueries.Page page =
        queries.list(
            new CertificateQueries.ListOptions(
                r.getPageSize(),
                r.getPageToken(),
                ProtoMapping.filter(r.getNamePrefix()),
                ProtoMapping.filter(r.getCommonName()),
                ProtoMapping.filter(r.getDnsName()),
                ProtoMapping.filter(r.getLabel()),
                r.getLabelsList(),
                ProtoMapping.filter(r.getProfile()),
                ProtoMapping.filter(r.getAuthorityId()),
                ProtoMapping.standing(r.getState()),
                ProtoMapping.instant(r.hasExpireBefore(), r.getExpireBefore()),
                ProtoMapping.instant(r.hasExpireAfter(), r.getExpireAfter())));
    ListResponse.Builder answer =
        ListResponse.newBuilder()
            .setNextPageToken(page.nextPageToken())
            .setTotalSize((int) Math.min(Integer.MAX_VALUE, page.totalSize()));
    page.certificates().forEach(c -> answer.addCertificates(mapped(c)));
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void updateCertificate(
      UpdateCertificateRequest r, StreamObserver<UpdateCertificateResponse> response) {
    RequestLog.current().serial(r.getSerialNumber());
    if (!r.hasUpdateMask() || r.getUpdateMask().getPathsCount() == 0) {
      throw CaException.invalid("update_mask", "required (expected: \"labels\")");
    }
    java.util.List<String> paths = r.getUpdateMask().getPathsList();
    boolean replace = paths.equals(java.util.List.of("certificate_pem"));
    if (!replace && !paths.equals(java.util.List.of("labels"))) {
      throw CaException.invalid(
          "update_mask",
          paths
              + " (expected: \"labels\", or \"certificate_pem\" for an imported certificate; one"
              + " at a time)");
    }
    StoredCertificate target = queries.get("serial_number", r.getSerialNumber(), r.getName());
    RequestLog.current().serial(target.serialNumber());
    RequestLog.current().profile(target.profile());
    var key = RequestKeys.of(r);
    if (replace) {
      permissions.requireImport(RequestLog.current().caller());
      StoredCertificate replaced =
          importer.replace(
              target,
              new Importer.Upload(
                  r.getCertificatePem(),
                  r.getChainPem(),
                  r.getPrivateKeyPem(),
                  r.getAllowExpired()),
              RequestLog.current().principal(),
              key);
      RequestLog.current().serial(replaced.serialNumber());
      response.onNext(
          UpdateCertificateResponse.newBuilder().setCertificate(mapped(replaced)).build());
      response.onCompleted();
      return;
    }
    permissions.requireUpdate(RequestLog.current().caller(), target);
    byte[] answer =
        inventory
            .earlierAnswer(key)
            .orElseGet(
                () ->
                    inventory.updateLabels(
                        target,
                        r.getLabelsMap(),
                        key,
                        updated ->
                            UpdateCertificateResponse.newBuilder()
                                .setCertificate(mapped(updated))
                                .build()
                                .toByteArray()));
    response.onNext(parse(UpdateCertificateResponse.parser(), answer));
    response.onCompleted();
  }

  @Override
  public void deleteCertificates(
      DeleteCertificatesRequest r, StreamObserver<DeleteCertificatesResponse> response) {
    Caller caller = RequestLog.current().caller();
    var key = RequestKeys.of(r);
    java.util.Optional<byte[]> earlier = inventory.earlierAnswer(key);
    if (earlier.isPresent()) {
      response.onNext(parse(DeleteCertificatesResponse.parser(), earlier.get()));
      response.onCompleted();
      return;
    }
    java.util.List<Inventory.Item> items =
        inventory.judgeDelete(
            r.getSerialNumbersList(), r.getNamesList(), c -> permissions.deleteRefusal(caller, c));
    DeleteCertificatesResponse.Builder answer = DeleteCertificatesResponse.newBuilder();
    for (Inventory.Item item : items) {
      StoredCertificate c = item.certificate();
      boolean known = c != null && item.verdict() != Inventory.Verdict.NOT_FOUND;
      answer.addResults(
          DeleteResult.newBuilder()
              .setSerialNumber(known ? c.serialNumber() : item.serialNumber())
              .setName(
                  !item.name().isEmpty() || !known || c.name() == null ? item.name() : c.name())
              .setCode(
                  switch (item.verdict()) {
                    case DELETED -> io.grpc.Status.Code.OK.value();
                    case NOT_FOUND -> io.grpc.Status.Code.NOT_FOUND.value();
                    case DENIED -> io.grpc.Status.Code.PERMISSION_DENIED.value();
                    case STILL_VALID -> io.grpc.Status.Code.FAILED_PRECONDITION.value();
                  })
              .setMessage(item.why()));
    }
    byte[] bytes = inventory.delete(items, key, answer.build().toByteArray());
    response.onNext(parse(DeleteCertificatesResponse.parser(), bytes));
    response.onCompleted();
  }

  @Override
  public void importCertificate(
      ImportCertificateRequest r, StreamObserver<ImportCertificateResponse> response) {
    RequestLog.current().profile(Importer.PROFILE);
    permissions.requireImport(RequestLog.current().caller());
    StoredCertificate imported =
        importer.importCertificate(
            new Importer.Upload(
                r.getCertificatePem(), r.getChainPem(), r.getPrivateKeyPem(), r.getAllowExpired()),
            r.getName(),
            r.getLabelsMap(),
            RequestLog.current().principal(),
            RequestKeys.of(r));
    RequestLog.current().serial(imported.serialNumber());
    response.onNext(
        ImportCertificateResponse.newBuilder().setCertificate(mapped(imported)).build());
    response.onCompleted();
  }

  @Override
  public void watchRevocations(
      WatchRevocationsRequest r, StreamObserver<WatchRevocationsResponse> response) {
    String authority = knownAuthority(r.getAuthorityId());
    long after = r.getResumeToken().isEmpty() ? events.position() : resumePoint(r.getResumeToken());
    events.watch(
        after,
        new RevocationWatch(
            authority,
            (ServerCallStreamObserver<WatchRevocationsResponse>) response,
            admitStream()));
  }

  @Override
  public void watchCertificate(
      WatchCertificateRequest r, StreamObserver<WatchCertificateResponse> response) {
    RequestLog log = RequestLog.current();
    int given =
        (r.getSerialNumber().isEmpty() ? 0 : 1)
            + (r.getName().isEmpty() ? 0 : 1)
            + (r.getLabelsCount() == 0 ? 0 : 1);
    if (given != 1) {
      throw CaException.invalid(
          "serial_number", "give one of serial_number, name or labels (" + given + " given)");
    }
    java.util.Map<String, String> labels = CertificateQueries.selector("labels", r.getLabelsList());
    boolean resumed = !r.getResumeToken().isEmpty();
    long after = resumed ? resumePoint(r.getResumeToken()) : events.position();
    java.util.List<StoredCertificate> current;
    String serial = null;
    String name = null;
    if (labels.isEmpty()) {
      StoredCertificate c = queries.get("serial_number", r.getSerialNumber(), r.getName());
      log.serial(c.serialNumber());
      requireFor(Operation.OPERATION_READ, c);
      current = java.util.List.of(c);
      if (r.getName().isEmpty()) {
        serial = c.serialNumber();
      } else {
        name = r.getName();
      }
    } else {
      log.caller().requireAny(Operation.OPERATION_READ);
      current =
          queries.labelled(labels, BoundedStream.CAPACITY).stream()
              .filter(
                  c -> log.caller().allows(Operation.OPERATION_READ, c.profile(), c.authorityId()))
              .toList();
    }
    CertificateWatch watch =
        new CertificateWatch(
            serial,
            name,
            labels,
            log.caller(),
            this::mapped,
            (ServerCallStreamObserver<WatchCertificateResponse>) response,
            admitStream());
    if (!resumed) {
      current.forEach(c -> watch.current(c, after));
    }
    events.watch(after, watch);
  }

  @Override
  public void watchTrustBundle(
      WatchTrustBundleRequest r, StreamObserver<WatchTrustBundleResponse> response) {
    String authority = knownAuthority(r.getAuthorityId());
    boolean resumed = !r.getResumeToken().isEmpty();
    long after = resumed ? resumePoint(r.getResumeToken()) : events.position();
    TrustBundleWatch watch =
        new TrustBundleWatch(
            authority,
            authorities,
            (ServerCallStreamObserver<WatchTrustBundleResponse>) response,
            admitStream());
    if (!resumed) {
      for (var a :
          authority.isEmpty() ? authorities.all() : java.util.List.of(authorities.get(authority))) {
        watch.send(a, after);
      }
    }
    events.watch(after, watch);
  }

  /** {@code id} if it is empty (every authority) or an authority's; NOT_FOUND otherwise. */
  private String knownAuthority(String id) {
    if (!id.isEmpty() && !authorities.contains(id)) {
      throw CaException.field(
          dev.grpca.server.error.ErrorKind.NOT_FOUND, "authority_id", "no authority '" + id + "'");
    }
    return id;
  }

  /** One more watch stream for the caller: at most {@link #MAX_STREAMS} at once. */
  private AtomicInteger admitStream() {
    String principal = RequestLog.current().principal();
    AtomicInteger open = streams.computeIfAbsent(principal, p -> new AtomicInteger());
    if (open.incrementAndGet() > MAX_STREAMS) {
      open.decrementAndGet();
      throw CaException.exhausted(
          "principal '" + principal + "' has " + MAX_STREAMS + " watch streams open already",
          java.time.Duration.ofSeconds(10));
    }
    return open;
  }

  /** A resume token: the seq of the event it came with, if events after it are still kept. */
  private long resumePoint(String token) {
    if (!token.matches("[0-9]{1,18}")) {
      throw CaException.invalid(
          "resume_token", "'" + token + "' (expected: a resume_token an event carried)");
    }
    return events.resumable("resume_token", Long.parseLong(token));
  }

  @Override
  public void createDownloadToken(
      CreateDownloadTokenRequest r, StreamObserver<CreateDownloadTokenResponse> response) {
    RequestLog log = RequestLog.current();
    StoredCertificate c = queries.get("serial_number", r.getSerialNumber(), r.getName());
    log.serial(c.serialNumber());
    log.profile(c.profile());
    permissions.requireDownload(log.caller(), c);
    response.onNext(
        CreateDownloadTokenResponse.newBuilder()
            .setDownload(ProtoMapping.download(downloads.create(c, log.principal())))
            .build());
    response.onCompleted();
  }

  private static <T> T parse(com.google.protobuf.Parser<T> parser, byte[] bytes) {
    try {
      return parser.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("a recorded answer that does not parse", e);
    }
  }

  private dev.grpca.proto.v1.Certificate certificate(IssuedCertificate issued) {
    RequestLog.current().serial(issued.stored().serialNumber());
    return mapped(issued.stored());
  }

  /**
   * The resource, with its chain: its authority's, or for an imported one the chain it came with.
   */
  private dev.grpca.proto.v1.Certificate mapped(StoredCertificate c) {
    if (c.imported() != null) {
      return ProtoMapping.certificate(c, c.imported().chainPem(), clock.instant());
    }
    var authority = authorities.get(c.authorityId());
    return ProtoMapping.certificate(c, authority.chainPem(), clock.instant()).toBuilder()
        .setIssuer(dev.grpca.server.x509.Certificates.rfc4514(authority.issuer().subject()))
        .build();
  }
}
