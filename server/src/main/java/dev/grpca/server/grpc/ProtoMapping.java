package dev.grpca.server.grpc;

import com.google.protobuf.Timestamp;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateSource;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.PrivateKeyFormat;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.Subject;
import dev.grpca.server.error.CaException;
import dev.grpca.server.policy.IssuanceRequest;
import dev.grpca.server.proto.ProtoTime;
import dev.grpca.server.store.Standing;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.PrivateKeys;
import dev.grpca.server.x509.SubjectFields;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Proto messages to domain requests and domain results to proto messages; nothing else. */
final class ProtoMapping {

  private ProtoMapping() {}

  static IssuanceRequest request(
      String profile,
      Subject subject,
      List<String> dnsNames,
      List<String> ipAddresses,
      List<String> emailAddresses,
      List<String> uris,
      boolean hasLifetime,
      com.google.protobuf.Duration lifetime,
      Map<String, String> labels,
      boolean validateOnly,
      String principal) {
    return new IssuanceRequest(
        profile,
        new SubjectFields(
            subject.getCommonName(),
            subject.getOrganization(),
            subject.getOrganizationalUnit(),
            subject.getCountry(),
            subject.getProvince(),
            subject.getLocality(),
            subject.getEmailAddress()),
        dnsNames,
        ipAddresses,
        emailAddresses,
        uris,
        hasLifetime ? duration("lifetime", lifetime) : null,
        labels,
        validateOnly,
        principal);
  }

  static Duration duration(String field, com.google.protobuf.Duration d) {
    if (!ProtoTime.isValid(d)) {
      throw CaException.invalid(
          field,
          "seconds " + d.getSeconds() + ", nanos " + d.getNanos() + " is not a valid duration");
    }
    return ProtoTime.duration(d);
  }

  /** The key to make; {@code null} for KEY_TYPE_UNSPECIFIED (the profile default). */
  static KeyAlgorithm keyAlgorithm(KeyType type) {
    if (type == KeyType.KEY_TYPE_UNSPECIFIED) {
      return null;
    }
    if (type == KeyType.UNRECOGNIZED) {
      throw CaException.invalid("key_type", "unknown value (expected: one of KeyType)");
    }
    return KeyAlgorithm.valueOf(type.name().substring("KEY_TYPE_".length()));
  }

  static PrivateKeys.Format privateKeyFormat(PrivateKeyFormat format) {
    switch (format) {
      case PRIVATE_KEY_FORMAT_UNSPECIFIED:
      case PRIVATE_KEY_FORMAT_PKCS8:
        return PrivateKeys.Format.PKCS8;
      case PRIVATE_KEY_FORMAT_TRADITIONAL:
        return PrivateKeys.Format.TRADITIONAL;
      default:
        throw CaException.invalid(
            "private_key_format", "unknown value (expected: one of PrivateKeyFormat)");
    }
  }

  /** The auto-renewal a caller chose: "ON", "OFF", or null for its profile's. */
  static String renewChoice(dev.grpca.proto.v1.AutoRenew choice) {
    switch (choice) {
      case AUTO_RENEW_UNSPECIFIED:
        return null;
      case AUTO_RENEW_ON:
        return "ON";
      case AUTO_RENEW_OFF:
        return "OFF";
      default:
        throw CaException.invalid("auto_renew", "unknown value (expected: one of AutoRenew)");
    }
  }

  /** Whether Issue hands the key over by a download link instead of in its answer. */
  static boolean download(dev.grpca.proto.v1.KeyDelivery delivery) {
    switch (delivery) {
      case KEY_DELIVERY_UNSPECIFIED:
      case KEY_DELIVERY_INLINE:
        return false;
      case KEY_DELIVERY_DOWNLOAD_TOKEN:
        return true;
      default:
        throw CaException.invalid("key_delivery", "unknown value (expected: one of KeyDelivery)");
    }
  }

  static dev.grpca.proto.v1.Download download(dev.grpca.server.issuance.Downloads.Link link) {
    return dev.grpca.proto.v1.Download.newBuilder()
        .setToken(link.token())
        .setUrl(link.url())
        .setExpireTime(timestamp(link.expireTime()))
        .build();
  }

  static Certificate certificate(StoredCertificate s, String chainPem, Instant now) {
    Certificate.Builder c =
        Certificate.newBuilder()
            .setSerialNumber(s.serialNumber())
            .setAuthorityId(s.authorityId() == null ? "" : s.authorityId())
            .setProfile(s.profile())
            .setSubject(s.subject())
            .setCommonName(s.commonName() == null ? "" : s.commonName())
            .addAllDnsNames(s.dnsNames())
            .addAllIpAddresses(s.ipAddresses())
            .addAllEmailAddresses(s.emailAddresses())
            .addAllUris(s.uris())
            .setNotBefore(timestamp(s.notBefore()))
            .setNotAfter(timestamp(s.notAfter()))
            .setState(state(s.standingAt(now)))
            .setCertificatePem(s.certificatePem())
            .setChainPem(chainPem)
            .setSha256Fingerprint(s.sha256Fingerprint())
            .setPublicKeyAlgorithm(s.publicKeyAlgorithm())
            .putAllLabels(s.labels())
            .setCreateTime(timestamp(s.createTime()))
            .setRequestedBy(s.requestedBy());
    if (s.name() != null) {
      c.setName(s.name());
    }
    if (s.imported() != null) {
      c.setSource(CertificateSource.CERTIFICATE_SOURCE_IMPORTED)
          .setIssuer(s.imported().issuer())
          .setIssuerSerialNumber(s.imported().issuerSerial());
    } else {
      c.setSource(CertificateSource.CERTIFICATE_SOURCE_ISSUED);
    }
    if (s.renewedFrom() != null) {
      c.setRenewedFrom(s.renewedFrom());
    }
    if (s.renewedBy() != null) {
      c.setRenewedBy(s.renewedBy());
    }
    if (s.revocation() != null) {
      c.setRevocationTime(timestamp(s.revocation().time()))
          .setRevocationReason(reason(s.revocation().reason()));
    }
    return c.build();
  }

  static CertificateState state(Standing standing) {
    return switch (standing) {
      case VALID -> CertificateState.CERTIFICATE_STATE_VALID;
      case REVOKED -> CertificateState.CERTIFICATE_STATE_REVOKED;
      case EXPIRED -> CertificateState.CERTIFICATE_STATE_EXPIRED;
    };
  }

  /** A List filter: null for "any"; UNKNOWN is no state a stored certificate has. */
  static Standing standing(CertificateState state) {
    return switch (state) {
      case CERTIFICATE_STATE_UNSPECIFIED -> null;
      case CERTIFICATE_STATE_VALID -> Standing.VALID;
      case CERTIFICATE_STATE_REVOKED -> Standing.REVOKED;
      case CERTIFICATE_STATE_EXPIRED -> Standing.EXPIRED;
      default ->
          throw CaException.invalid("state", state + " (expected: VALID, REVOKED or EXPIRED)");
    };
  }

  static RevocationReason reason(int code) {
    RevocationReason reason = RevocationReason.forNumber(code);
    return reason == null ? RevocationReason.REVOCATION_REASON_UNSPECIFIED : reason;
  }

  /** An optional time filter. */
  static Instant instant(boolean has, Timestamp t) {
    return has ? ProtoTime.instant(t) : null;
  }

  /** An optional string filter: empty means "any". */
  static String filter(String value) {
    return value.isEmpty() ? null : value;
  }

  static Timestamp timestamp(Instant instant) {
    return ProtoTime.timestamp(instant);
  }
}
