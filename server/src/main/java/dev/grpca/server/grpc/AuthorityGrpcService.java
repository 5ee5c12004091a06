package dev.grpca.server.grpc;

import com.google.protobuf.ByteString;
import dev.grpca.proto.v1.ActivateIntermediateRequest;
import dev.grpca.proto.v1.ActivateIntermediateResponse;
import dev.grpca.proto.v1.AuthorityServiceGrpc;
import dev.grpca.proto.v1.AuthoritySettings;
import dev.grpca.proto.v1.AuthorityState;
import dev.grpca.proto.v1.CreateIntermediateRequest;
import dev.grpca.proto.v1.CreateIntermediateResponse;
import dev.grpca.proto.v1.CreateRootRequest;
import dev.grpca.proto.v1.CreateRootResponse;
import dev.grpca.proto.v1.Crl;
import dev.grpca.proto.v1.CrlView;
import dev.grpca.proto.v1.DisableAuthorityRequest;
import dev.grpca.proto.v1.DisableAuthorityResponse;
import dev.grpca.proto.v1.GetAuthorityRequest;
import dev.grpca.proto.v1.GetAuthorityResponse;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.GetCrlResponse;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import dev.grpca.proto.v1.ListAuthoritiesResponse;
import dev.grpca.proto.v1.NameConstraints;
import dev.grpca.proto.v1.RebuildCrlRequest;
import dev.grpca.proto.v1.RebuildCrlResponse;
import dev.grpca.proto.v1.SignSubordinateRequest;
import dev.grpca.proto.v1.SignSubordinateResponse;
import dev.grpca.proto.v1.UpdateAuthorityRequest;
import dev.grpca.proto.v1.UpdateAuthorityResponse;
import dev.grpca.server.authority.Authorities;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.authority.AuthorityAdmin;
import dev.grpca.server.authority.AuthorityBootstrap;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.issuance.IssuedCertificate;
import dev.grpca.server.issuance.SubordinateSigning;
import dev.grpca.server.revocation.CrlPublisher;
import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.StoredAuthority;
import dev.grpca.server.store.StoredCrl;
import dev.grpca.server.x509.Certificates;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.NameConstraintRules;
import dev.grpca.server.x509.Pem;
import dev.grpca.server.x509.SerialNumbers;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;

/** AuthorityService: the CAs, their trust bundles and CRLs. */
final class AuthorityGrpcService extends AuthorityServiceGrpc.AuthorityServiceImplBase {
  private final Authorities authorities;
  private final AuthorityAdmin admin;
  private final SubordinateSigning subordinates;
  private final CrlPublisher crls;
  private final Clock clock;

  AuthorityGrpcService(
      Authorities authorities,
      AuthorityAdmin admin,
      SubordinateSigning subordinates,
      CrlPublisher crls,
      Clock clock) {
    this.authorities = authorities;
    this.admin = admin;
    this.subordinates = subordinates;
    this.crls = crls;
    this.clock = clock;
  }

  @Override
  public void listAuthorities(
      ListAuthoritiesRequest r, StreamObserver<ListAuthoritiesResponse> response) {
    RequestLog.current().caller().requireAdmin();
    ListAuthoritiesResponse.Builder out = ListAuthoritiesResponse.newBuilder();
    authorities.all().forEach(a -> out.addAuthorities(mapped(a)));
    admin.pending().forEach(p -> out.addAuthorities(pending(p)));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void getAuthority(GetAuthorityRequest r, StreamObserver<GetAuthorityResponse> response) {
    RequestLog.current().caller().requireAdmin();
    if (r.getAuthorityId().isEmpty()) {
      throw CaException.invalid("authority_id", "empty (expected: an authority's id)");
    }
    var waiting =
        admin.pending().stream().filter(p -> p.id().equals(r.getAuthorityId())).findFirst();
    response.onNext(
        GetAuthorityResponse.newBuilder()
            .setAuthority(
                waiting.isPresent()
                    ? pending(waiting.get())
                    : mapped(authorities.get(r.getAuthorityId())))
            .build());
    response.onCompleted();
  }

  @Override
  public void createRoot(CreateRootRequest r, StreamObserver<CreateRootResponse> response) {
    RequestLog.current().caller().requireAdmin();
    Authority made =
        admin.createRoot(
            request(
                r.getAuthorityId(),
                r.getSubject(),
                r.getKeyType(),
                r.hasLifetime() ? r.getLifetime() : null,
                r.hasPathLength() ? r.getPathLength() : null,
                null));
    RequestLog.current().serial(SerialNumbers.toHex(made.certificate().getSerialNumber()));
    response.onNext(CreateRootResponse.newBuilder().setAuthority(mapped(made)).build());
    response.onCompleted();
  }

  @Override
  public void createIntermediate(
      CreateIntermediateRequest r, StreamObserver<CreateIntermediateResponse> response) {
    RequestLog.current().caller().requireAdmin();
    if (r.getExternal()) {
      if (!r.getParentAuthorityId().isEmpty()) {
        throw CaException.invalid(
            "parent_authority_id", "give a local parent or external, not both");
      }
      AuthorityBootstrap.Pending pending = admin.createExternal(intermediate(r));
      response.onNext(
          CreateIntermediateResponse.newBuilder()
              .setAuthority(pending(pending.row()))
              .setCsrPem(pending.csrPem())
              .build());
      response.onCompleted();
      return;
    }
    Authority made = admin.createIntermediate(intermediate(r), r.getParentAuthorityId());
    RequestLog.current().serial(SerialNumbers.toHex(made.certificate().getSerialNumber()));
    response.onNext(CreateIntermediateResponse.newBuilder().setAuthority(mapped(made)).build());
    response.onCompleted();
  }

  private static AuthorityAdmin.Request intermediate(CreateIntermediateRequest r) {
    return request(
        r.getAuthorityId(),
        r.getSubject(),
        r.getKeyType(),
        r.hasLifetime() ? r.getLifetime() : null,
        r.hasPathLength() ? r.getPathLength() : null,
        r.hasNameConstraints() ? rules(r.getNameConstraints()) : null);
  }

  /** What CreateRoot and CreateIntermediate ask for, in the domain's terms. */
  private static AuthorityAdmin.Request request(
      String id,
      String subject,
      KeyType keyType,
      com.google.protobuf.Duration lifetime,
      Integer pathLength,
      NameConstraintRules nameConstraints) {
    return new AuthorityAdmin.Request(
        id,
        subject,
        ProtoMapping.keyAlgorithm(keyType),
        lifetime == null ? null : ProtoMapping.duration("lifetime", lifetime),
        pathLength,
        nameConstraints);
  }

  @Override
  public void activateIntermediate(
      ActivateIntermediateRequest r, StreamObserver<ActivateIntermediateResponse> response) {
    RequestLog.current().caller().requireAdmin();
    Authority made = admin.activate(r.getAuthorityId(), r.getCertificatePem(), r.getChainPem());
    RequestLog.current().serial(SerialNumbers.toHex(made.certificate().getSerialNumber()));
    response.onNext(ActivateIntermediateResponse.newBuilder().setAuthority(mapped(made)).build());
    response.onCompleted();
  }

  @Override
  public void disableAuthority(
      DisableAuthorityRequest r, StreamObserver<DisableAuthorityResponse> response) {
    RequestLog log = RequestLog.current();
    log.caller().requireAdmin();
    AuthorityAdmin.Disabled disabled =
        admin.disable(r.getAuthorityId(), r.getMoveProfilesTo(), log.principal());
    response.onNext(
        DisableAuthorityResponse.newBuilder()
            .setAuthority(mapped(disabled.authority()))
            .addAllMovedProfiles(disabled.movedProfiles())
            .build());
    response.onCompleted();
  }

  @Override
  public void updateAuthority(
      UpdateAuthorityRequest r, StreamObserver<UpdateAuthorityResponse> response) {
    RequestLog.current().caller().requireAdmin();
    java.util.Set<String> paths = new java.util.HashSet<>(r.getUpdateMask().getPathsList());
    java.util.Set<String> known =
        java.util.Set.of(
            "ca_issuers_urls", "crl_distribution_points", "ocsp_servers", "crl_validity");
    for (String path : paths) {
      if (!known.contains(path)) {
        throw CaException.invalid(
            "update_mask", "unknown path '" + path + "' (known: " + known + ")");
      }
    }
    boolean all = paths.isEmpty();
    AuthoritySettings s = r.getSettings();
    java.time.Duration validity = null;
    if (all || paths.contains("crl_validity")) {
      validity =
          s.hasCrlValidity()
              ? ProtoMapping.duration("settings.crl_validity", s.getCrlValidity())
              : java.time.Duration.ZERO;
    }
    admin.update(
        r.getAuthorityId(),
        new AuthorityAdmin.Update(
            all || paths.contains("ca_issuers_urls") ? s.getCaIssuersUrlsList() : null,
            all || paths.contains("crl_distribution_points")
                ? s.getCrlDistributionPointsList()
                : null,
            all || paths.contains("ocsp_servers") ? s.getOcspServersList() : null,
            validity));
    response.onNext(
        UpdateAuthorityResponse.newBuilder()
            .setAuthority(mapped(authorities.get(r.getAuthorityId())))
            .build());
    response.onCompleted();
  }

  /** A PENDING_CSR intermediate: what is known before its certificate. */
  private static dev.grpca.proto.v1.Authority pending(StoredAuthority row) {
    return dev.grpca.proto.v1.Authority.newBuilder()
        .setAuthorityId(row.id())
        .setState(AuthorityState.AUTHORITY_STATE_PENDING_CSR)
        .setSubject(AuthorityAdmin.pendingSubject(row))
        .build();
  }

  @Override
  public void signSubordinate(
      SignSubordinateRequest r, StreamObserver<SignSubordinateResponse> response) {
    RequestLog log = RequestLog.current();
    log.caller().requireAdmin();
    if (r.getUseCsrValues() && !r.getSubject().isEmpty()) {
      throw CaException.invalid("subject", "give a subject or use_csr_values, not both");
    }
    if (!r.getUseCsrValues() && r.getSubject().isEmpty()) {
      throw CaException.invalid("subject", "required unless use_csr_values is set");
    }
    IssuedCertificate signed =
        subordinates.sign(
            new SubordinateSigning.Request(
                r.getParentAuthorityId(),
                r.getCsrPem(),
                r.getUseCsrValues() ? null : AuthorityAdmin.subject("subject", r.getSubject()),
                r.hasLifetime() ? ProtoMapping.duration("lifetime", r.getLifetime()) : null,
                r.hasMaxPathLength() ? r.getMaxPathLength() : null,
                r.hasNameConstraints() ? rules(r.getNameConstraints()) : null,
                log.principal()));
    log.serial(signed.stored().serialNumber());
    Authority parent = authorities.get(signed.stored().authorityId());
    response.onNext(
        SignSubordinateResponse.newBuilder()
            .setCertificate(
                ProtoMapping.certificate(signed.stored(), parent.chainPem(), clock.instant())
                    .toBuilder()
                    .setIssuer(Certificates.rfc4514(parent.issuer().subject())))
            .build());
    response.onCompleted();
  }

  private static NameConstraintRules rules(NameConstraints n) {
    return new NameConstraintRules(
        n.getPermittedDnsDomainsList(),
        n.getExcludedDnsDomainsList(),
        ranges("name_constraints.permitted_ip_ranges", n.getPermittedIpRangesList()),
        ranges("name_constraints.excluded_ip_ranges", n.getExcludedIpRangesList()),
        n.getPermittedEmailAddressesList(),
        n.getExcludedEmailAddressesList(),
        n.getPermittedUriDomainsList(),
        n.getExcludedUriDomainsList());
  }

  private static java.util.List<NameConstraintRules.IpRange> ranges(
      String field, java.util.List<String> texts) {
    java.util.List<NameConstraintRules.IpRange> out = new java.util.ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      out.add(NameConstraintRules.IpRange.parse(field + "[" + i + "]", texts.get(i)));
    }
    return out;
  }

  private static NameConstraints proto(NameConstraintRules c) {
    return NameConstraints.newBuilder()
        .addAllPermittedDnsDomains(c.permittedDns())
        .addAllExcludedDnsDomains(c.excludedDns())
        .addAllPermittedIpRanges(c.permittedIps().stream().map(Object::toString).toList())
        .addAllExcludedIpRanges(c.excludedIps().stream().map(Object::toString).toList())
        .addAllPermittedEmailAddresses(c.permittedEmails())
        .addAllExcludedEmailAddresses(c.excludedEmails())
        .addAllPermittedUriDomains(c.permittedUris())
        .addAllExcludedUriDomains(c.excludedUris())
        .build();
  }

  private dev.grpca.proto.v1.Authority mapped(Authority a) {
    X509Certificate c = a.certificate();
    dev.grpca.proto.v1.Authority.Builder out =
        dev.grpca.proto.v1.Authority.newBuilder()
            .setAuthorityId(a.id())
            .setState(
                !clock.instant().isBefore(a.issuer().notAfter())
                    ? AuthorityState.AUTHORITY_STATE_EXPIRED
                    : authorities.isDisabled(a.id())
                        ? AuthorityState.AUTHORITY_STATE_DISABLED
                        : AuthorityState.AUTHORITY_STATE_ACTIVE)
            .setSubject(Certificates.rfc4514(a.issuer().subject()))
            .setKeyType(KeyType.valueOf("KEY_TYPE_" + a.signer().algorithm().name()))
            .setParentAuthorityId(a.parentId() == null ? "" : a.parentId())
            .setNotBefore(ProtoMapping.timestamp(a.issuer().notBefore()))
            .setNotAfter(ProtoMapping.timestamp(a.issuer().notAfter()))
            .setCertificatePem(Pem.certificate(c))
            .setChainPem(a.chainPem())
            .setDefaultIssuer(a.id().equals(authorities.defaultIssuer().id()))
            .setSerialNumber(SerialNumbers.toHex(c.getSerialNumber()));
    NameConstraintRules constraints = NameConstraintRules.of(a.certificateHolder().getExtensions());
    if (!constraints.isEmpty()) {
      out.setNameConstraints(proto(constraints));
    }
    IssuerUrls.Urls urls = admin.urls().of(a.id());
    out.setSettings(
        AuthoritySettings.newBuilder()
            .addAllCaIssuersUrls(urls.caIssuers())
            .addAllCrlDistributionPoints(urls.crl())
            .addAllOcspServers(urls.ocsp())
            .setCrlValidity(
                com.google.protobuf.Duration.newBuilder()
                    .setSeconds(crls.validity(a.id()).toSeconds())));
    int pathLength = c.getBasicConstraints();
    if (pathLength >= 0 && pathLength != Integer.MAX_VALUE) {
      out.setPathLength(pathLength);
    }
    return out.build();
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
