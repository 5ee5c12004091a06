package dev.grpca.server.issuance;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.policy.IssuancePolicy;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.RequestTakenException;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.StoredRequest;
import dev.grpca.server.x509.SerialNumbers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inventory beyond issuance: labels changed after the fact, certificates deleted, and tidy,
 * which removes certificates long expired. Who may do what is the caller's business (the gRPC edge
 * asks {@code CertificatePermissions}); what is allowed at all is decided here.
 */
public final class Inventory {
  private static final Logger log = LoggerFactory.getLogger(Inventory.class);

  /**
   * Rows per tidy transaction, and the pause after each: at 1M rows, 500-row transactions back to
   * back held an Issue up for 150 ms more than without them.
   */
  private static final int TIDY_BATCH = 100;

  private static final long TIDY_PAUSE_MS = 20;
  static final int MAX_DELETE = 1000;

  private final CertificateStore store;
  private final CertificateQueries queries;
  private final RequestIds requests;
  private final Clock clock;

  public Inventory(
      CertificateStore store, CertificateQueries queries, RequestIds requests, Clock clock) {
    this.store = store;
    this.queries = queries;
    this.requests = requests;
    this.clock = clock;
  }

  /**
   * What an earlier call with request {@code key} answered (its answer's bytes), if it asked the
   * same; INVALID_ARGUMENT if it asked something else.
   */
  public Optional<byte[]> earlierAnswer(RequestKey key) {
    return requests.earlier(key).map(StoredRequest::response);
  }

  /**
   * Replaces the labels of {@code certificate}; {@code answer} makes the call's answer from the
   * updated certificate, recorded with the request id. Returns the answer.
   */
  public byte[] updateLabels(
      StoredCertificate certificate,
      Map<String, String> labels,
      RequestKey key,
      Function<StoredCertificate, byte[]> answer) {
    IssuancePolicy.checkLabels(labels);
    StoredCertificate updated = certificate.withLabels(labels);
    byte[] bytes = answer.apply(updated);
    try {
      if (!store.updateLabels(certificate.serialNumber(), labels, clock.instant(), key, bytes)) {
        throw SerialNumbers.notIssuedHere(certificate.serialNumber());
      }
    } catch (RequestTakenException e) {
      return earlierAnswer(key).orElseThrow(() -> e);
    }
    return bytes;
  }

  /** What Delete does with one certificate asked for. */
  public enum Verdict {
    DELETED,
    NOT_FOUND,
    DENIED,
    STILL_VALID
  }

  /** Why the caller may not delete a certificate: NOT_FOUND (it may not even see it) or DENIED. */
  public record Refusal(Verdict verdict, String why) {}

  /** One certificate asked for, as asked (serial or name), and what Delete does with it. */
  public record Item(
      String serialNumber,
      String name,
      StoredCertificate certificate,
      Verdict verdict,
      String why) {}

  /**
   * Judges each certificate asked for, serials first, then names: a certificate issued here that is
   * still valid must be revoked first; {@code refusal} says why the caller may not delete one
   * (null: it may).
   */
  public List<Item> judgeDelete(
      List<String> serials, List<String> names, Function<StoredCertificate, Refusal> refusal) {
    int asked = serials.size() + names.size();
    if (asked == 0) {
      throw CaException.invalid(
          "serial_numbers", "required: 1 to " + MAX_DELETE + " serials or names");
    }
    if (asked > MAX_DELETE) {
      throw CaException.field(
          ErrorKind.RESOURCE_EXHAUSTED,
          serials.isEmpty() ? "names" : "serial_numbers",
          asked + " serials and names (expected: at most " + MAX_DELETE + " per call)");
    }
    Instant now = clock.instant();
    List<Item> items = new ArrayList<>(asked);
    for (CertificateQueries.Status s : queries.status(serials, names)) {
      if (s.certificate().isEmpty()) {
        items.add(
            new Item(s.serialNumber(), s.name(), null, Verdict.NOT_FOUND, "no such certificate"));
        continue;
      }
      StoredCertificate c = s.certificate().get();
      Refusal refused = refusal.apply(c);
      if (refused != null) {
        items.add(new Item(s.serialNumber(), s.name(), c, refused.verdict(), refused.why()));
      } else if (c.imported() == null && c.revocation() == null && !now.isAfter(c.notAfter())) {
        items.add(
            new Item(
                s.serialNumber(),
                s.name(),
                c,
                Verdict.STILL_VALID,
                c.serialNumber() + " is valid until " + c.notAfter() + ": revoke it first"));
      } else {
        items.add(new Item(s.serialNumber(), s.name(), c, Verdict.DELETED, "deleted"));
      }
    }
    return items;
  }

  /**
   * Deletes the items judged {@link Verdict#DELETED}, recording {@code answer} (the call's answer,
   * from {@code items}) with its request id. Returns the answer.
   */
  public byte[] delete(List<Item> items, RequestKey key, byte[] answer) {
    List<String> serials =
        items.stream()
            .filter(i -> i.verdict() == Verdict.DELETED)
            .map(i -> i.certificate().serialNumber())
            .distinct()
            .toList();
    try {
      store.delete(serials, clock.instant(), key, answer);
    } catch (RequestTakenException e) {
      return earlierAnswer(key).orElseThrow(() -> e);
    }
    return answer;
  }

  /** What one tidy run removed. */
  public record TidyResult(Instant expiredBefore, long certificates, long requestIds) {}

  /**
   * Removes the certificates that expired more than {@code buffer} ago, {@value #TIDY_BATCH} rows
   * per short transaction so that issuance never waits on it for long, and forgets old request ids.
   */
  public TidyResult tidy(Duration buffer) {
    Instant now = clock.instant();
    Instant before = now.minus(buffer);
    long removed = 0;
    int batch;
    do {
      batch = store.tidy(before, TIDY_BATCH, clock.instant());
      removed += batch;
      if (batch == TIDY_BATCH) {
        pause();
      }
    } while (batch == TIDY_BATCH);
    long forgotten = requests.sweep();
    if (removed > 0) {
      log.info("tidy removed {} certificate(s) that expired before {}", removed, before);
    }
    return new TidyResult(before, removed, forgotten);
  }

  /** Lets the commits waiting behind a tidy batch go first. */
  private static void pause() {
    try {
      Thread.sleep(TIDY_PAUSE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CaException.unavailable("tidy was interrupted", e);
    }
  }

  /** Runs {@link #tidy} every {@code interval}, the first one an interval after start. */
  public Inventory tidyEvery(
      ScheduledExecutorService scheduler, Duration interval, Duration buffer) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            tidy(buffer);
          } catch (RuntimeException e) {
            log.warn("tidy failed; trying again in {}", interval, e);
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }
}
