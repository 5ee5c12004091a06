package dev.grpca.server.metrics;

import static dev.grpca.server.metrics.Family.Type.COUNTER;
import static dev.grpca.server.metrics.Family.Type.GAUGE;
import static dev.grpca.server.metrics.Family.Type.HISTOGRAM;
import static dev.grpca.server.metrics.Family.Type.TIMER;

import java.util.List;

/**
 * Every metric grpca exports, in one place. Prometheus names follow its conventions ({@code grpca_}
 * prefix, base units, {@code _seconds}, {@code _total} on counters); the Dropwizard names are what
 * JMX shows under the domain {@code dev.grpca}, each label's value appended after a dot.
 */
public final class MetricNames {
  private MetricNames() {}

  // gRPC, one interceptor for every call.
  public static final Family GRPC_CALLS =
      Family.of(
          TIMER,
          "grpc.calls",
          "grpca_grpc_call_seconds",
          "gRPC calls handled, by service, method and status code",
          "service",
          "method",
          "code");

  // Issuance.
  public static final Family ISSUANCE =
      Family.of(
          COUNTER,
          "issuance.calls",
          "grpca_issuance_calls",
          "Issue, Sign and Renew requests that reached the issuance path, by RPC, profile, authority"
              + " and outcome (issued, validated, refused, failed)",
          "rpc",
          "profile",
          "authority",
          "outcome");
  public static final Family ISSUANCE_STEP =
      Family.of(
          TIMER,
          "issuance.step",
          "grpca_issuance_step_seconds",
          "Time in each step of the one certificate path (policy, build_check, record, sign,"
              + " verify, store)",
          "step");
  public static final List<String> STEPS =
      List.of("policy", "build_check", "record", "sign", "verify", "store");

  // Certificates.
  public static final Family CERTIFICATES_ISSUED =
      Family.of(
          COUNTER,
          "certificates.issued",
          "grpca_certificates_issued",
          "Certificates signed and stored, by kind (leaf, renewal; the server's own: ca,"
              + " ocsp-signer, server) and authority",
          "kind",
          "authority");
  public static final Family AUTO_RENEWALS =
      Family.of(
          COUNTER,
          "certificates.auto_renewals",
          "grpca_auto_renewals",
          "Auto-renewals the CA ran, by result (renewed; stopped: the profile no longer allows it,"
              + " or it was revoked; retry: the database or token failed, tried again later)",
          "result");
  public static final Family EXPIRY_NOTICES =
      Family.of(
          COUNTER,
          "certificates.expiry_notices",
          "grpca_expiry_notices",
          "Certificates whose watchers were told they are about to expire with no renewal coming"
              + " (renew_before reached, the CA not renewing them)");
  public static final Family CERTIFICATES_REVOKED =
      Family.of(
          COUNTER,
          "certificates.revoked",
          "grpca_certificates_revoked",
          "Certificates revoked, by reason (RFC 5280 CRLReason)",
          "reason");
  public static final Family RATE_LIMITED =
      Family.of(
          COUNTER,
          "ratelimit.refused",
          "grpca_rate_limit_refusals",
          "Certificates refused by a rate limit");
  public static final Family AUTH_FAILURES =
      Family.of(
          COUNTER,
          "auth.failures",
          "grpca_authentication_failures",
          "Calls refused as unauthenticated, by kind (missing, malformed, bad_token,"
              + " revoked_certificate, bad_certificate)",
          "kind");

  // The token.
  public static final Family TOKEN_SIGN =
      Family.of(
          TIMER,
          "token.sign",
          "grpca_token_sign_seconds",
          "Signatures made by the PKCS#11 token, by key type",
          "key_type");
  public static final Family TOKEN_SIGN_ERRORS =
      Family.of(
          COUNTER,
          "token.sign.errors",
          "grpca_token_sign_errors",
          "Signatures the PKCS#11 token failed to make, by key type",
          "key_type");
  public static final Family TOKEN_SESSIONS =
      Family.of(
          GAUGE,
          "token.sessions.busy",
          "grpca_token_sessions_busy",
          "Token sessions busy signing now (SunPKCS11 holds one session per signature)");
  public static final Family TOKEN_UP =
      Family.of(
          GAUGE,
          "token.up",
          "grpca_token_up",
          "Whether the PKCS#11 token answers (1) or not (0), pinged every 5 s");

  // The database.
  public static final Family DB_COMMIT =
      Family.of(
          TIMER,
          "db.commit",
          "grpca_db_commit_seconds",
          "Transactions of the certificate store's group commit, from start to commit");
  public static final Family DB_BATCH =
      Family.of(
          HISTOGRAM,
          "db.commit.batch",
          "grpca_db_commit_batch_writes",
          "Writes committed together by one group commit");
  public static final Family DB_UP =
      Family.of(
          GAUGE,
          "db.up",
          "grpca_db_up",
          "Whether the database answers (1) or not (0), pinged every 5 s");
  public static final Family DB_POOL_WAIT =
      Family.of(
          TIMER,
          "db.pool.wait",
          "grpca_db_pool_wait_seconds",
          "Time waited for a database connection from the pool (HikariCP)");
  public static final Family DB_POOL_CONNECTIONS =
      Family.of(
          GAUGE,
          "db.pool.connections",
          "grpca_db_pool_connections",
          "Database connections in the pool by state (active, idle, total, max) and threads"
              + " waiting for one (pending), from HikariCP",
          "state");
  public static final Family DB_POOL_TIMEOUTS =
      Family.of(
          COUNTER,
          "db.pool.timeouts",
          "grpca_db_pool_timeouts",
          "Loans of a database connection that timed out (HikariCP)");
  public static final Family PENDING_ROWS =
      Family.of(
          GAUGE,
          "certificates.pending",
          "grpca_certificates_pending",
          "Certificate rows recorded but not yet signed and stored (read every 15 s)");

  // OCSP.
  public static final Family OCSP_REQUESTS =
      Family.of(
          COUNTER,
          "ocsp.requests",
          "grpca_ocsp_requests",
          "OCSP requests answered, by HTTP method and result (good, revoked, unknown,"
              + " unauthorized, malformed, try_later)",
          "method",
          "result");
  public static final Family OCSP_CACHE =
      Family.of(
          COUNTER,
          "ocsp.cache",
          "grpca_ocsp_cache_lookups",
          "Lookups of held OCSP answers, by result (hit, miss)",
          "result");
  public static final Family OCSP_PRESIGNED =
      Family.of(
          COUNTER,
          "ocsp.signed",
          "grpca_ocsp_answers_signed",
          "OCSP answers signed (each is then held and served until it is due again)");
  public static final Family OCSP_OLDEST_ANSWER =
      Family.of(
          GAUGE,
          "ocsp.oldest.answer.age",
          "grpca_ocsp_oldest_answer_age_seconds",
          "Age (now - thisUpdate) of the oldest OCSP answer held to be served");
  public static final Family OCSP_SIGNER_EXPIRY =
      Family.of(
          GAUGE,
          "ocsp.signer.expiry",
          "grpca_ocsp_signer_expiry_seconds",
          "Seconds until the current delegated OCSP signer of each authority expires",
          "authority");

  // CRLs.
  public static final Family CRL_BUILD =
      Family.of(
          TIMER,
          "crl.build",
          "grpca_crl_build_seconds",
          "Time to build, sign and store a CRL, by authority",
          "authority");
  public static final Family CRL_ENTRIES =
      Family.of(
          GAUGE,
          "crl.entries",
          "grpca_crl_entries",
          "Entries in the newest CRL, by authority",
          "authority");
  public static final Family CRL_BYTES =
      Family.of(
          GAUGE,
          "crl.bytes",
          "grpca_crl_size_bytes",
          "Size in DER of the newest CRL, by authority",
          "authority");
  public static final Family CRL_NUMBER =
      Family.of(
          GAUGE,
          "crl.number",
          "grpca_crl_number",
          "CRL number of the newest CRL, by authority",
          "authority");
  public static final Family CRL_THIS_UPDATE =
      Family.of(
          GAUGE,
          "crl.this.update",
          "grpca_crl_this_update_timestamp_seconds",
          "thisUpdate of the newest CRL (Unix time), by authority",
          "authority");
  public static final Family CRL_NEXT_UPDATE =
      Family.of(
          GAUGE,
          "crl.next.update",
          "grpca_crl_next_update_seconds",
          "Seconds until the newest CRL's nextUpdate, by authority (negative: past it)",
          "authority");

  // Expiry of what the server holds.
  public static final Family CA_EXPIRY =
      Family.of(
          GAUGE,
          "ca.expiry",
          "grpca_ca_certificate_expiry_seconds",
          "Seconds until each CA certificate expires",
          "authority");
  public static final Family TLS_EXPIRY =
      Family.of(
          GAUGE,
          "tls.expiry",
          "grpca_tls_certificate_expiry_seconds",
          "Seconds until the server's own gRPC TLS certificate expires");
}
