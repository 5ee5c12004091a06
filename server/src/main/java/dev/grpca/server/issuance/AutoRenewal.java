package dev.grpca.server.issuance;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.metrics.MetricNames;
import dev.grpca.server.metrics.Metrics;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.RequestKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the CA does as certificates near their expiry. Server-side auto-renewal (Infisical's
 * autoRenew): renews each certificate that is due, once, by the one Renew path (same subject,
 * names, labels and public key, under its profile as the profile is now; the renewal takes its
 * name). A replica takes a due certificate by moving its renew time on (a conditional update), and
 * renews it under a request id of its own, so two replicas, or a replica retrying after a crash,
 * make one renewal. What the profile no longer allows, or a revoked certificate, stops its
 * auto-renewal with an audit record. Then the notices: a certificate the CA does not renew (or
 * stopped renewing) whose renew_before is reached, and that nobody renewed, is an EXPIRING event
 * for its watchers.
 */
public final class AutoRenewal {
  private static final Logger log = LoggerFactory.getLogger(AutoRenewal.class);

  /** Whose request ids the renewals are made under. */
  public static final String PRINCIPAL = "grpca-auto-renew";

  private static final int BATCH = 50;

  /** When another try is made at a renewal a process took and did not finish. */
  private static final Duration RETRY = Duration.ofMinutes(10);

  private final CertificateStore store;
  private final IssuanceService issuance;
  private final Clock clock;
  private final Metrics metrics;
  private final Runnable told;

  /** {@code told} runs after notices were written (the watch feed reads them at once). */
  public AutoRenewal(
      CertificateStore store,
      IssuanceService issuance,
      Clock clock,
      Metrics metrics,
      Runnable told) {
    this.store = store;
    this.issuance = issuance;
    this.clock = clock;
    this.metrics = metrics;
    this.told = told;
  }

  /** Runs every {@code interval}. */
  public AutoRenewal every(ScheduledExecutorService scheduler, Duration interval) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            runOnce();
            noticeOnce();
          } catch (RuntimeException e) {
            log.warn("auto-renewal run failed, next in {}: {}", interval, e.getMessage());
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** Renews what is due now, in batches; returns how many were renewed. */
  public int runOnce() {
    int renewed = 0;
    List<CertificateStore.DueRenewal> due;
    do {
      Instant now = clock.instant();
      due = store.dueRenewals(now, BATCH);
      for (CertificateStore.DueRenewal d : due) {
        if (store.claimRenewal(d, now.plus(RETRY)) && renew(d, now)) {
          renewed++;
        }
      }
    } while (due.size() == BATCH);
    return renewed;
  }

  /** Writes the notices that are due now, in batches; returns how many watchers' events. */
  public int noticeOnce() {
    int total = 0;
    CertificateStore.Notices run;
    do {
      run = store.noticeExpiring(clock.instant(), BATCH);
      total += run.told();
    } while (run.taken() == BATCH);
    if (total > 0) {
      metrics.counter(MetricNames.EXPIRY_NOTICES).inc(total);
      told.run();
    }
    return total;
  }

  private boolean renew(CertificateStore.DueRenewal due, Instant now) {
    String serial = due.serialNumber();
    try {
      // Requested by whoever asked for the first: it stays theirs to revoke and to download.
      issuance.renew(
          serial,
          null,
          due.requestedBy(),
          null,
          new RequestKey(PRINCIPAL, "auto-renew-" + serial, "AutoRenew", serial));
      store.renewalDone(serial);
      metrics.counter(MetricNames.AUTO_RENEWALS, "renewed").inc();
      return true;
    } catch (CaException e) {
      if (e.kind() == ErrorKind.UNAVAILABLE) {
        // Taken, not done: tried again once the claim runs out.
        metrics.counter(MetricNames.AUTO_RENEWALS, "retry").inc();
        log.warn("auto-renewal of {} failed, retried in {}: {}", serial, RETRY, e.getMessage());
      } else {
        store.stopRenewal(serial, due.profile(), e.getMessage(), now);
        metrics.counter(MetricNames.AUTO_RENEWALS, "stopped").inc();
        log.info("auto-renewal of {} stopped: {}", serial, e.getMessage());
      }
      return false;
    }
  }
}
