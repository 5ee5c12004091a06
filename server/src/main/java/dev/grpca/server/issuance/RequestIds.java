package dev.grpca.server.issuance;

import dev.grpca.server.error.CaException;
import dev.grpca.server.store.CertificateState;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.RequestKey;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.StoredRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent retries: a mutating call that carries a {@code request_id} is recorded with its
 * change, in the same transaction, and a repeat of the id by the same principal within the window
 * answers what the first call did, and does nothing else. The same id with a different request is
 * refused.
 */
public final class RequestIds {
  private static final Logger log = LoggerFactory.getLogger(RequestIds.class);
  public static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final int SWEEP_BATCH = 500;

  /** How long a retry waits for a first call still being answered (a signature takes ms). */
  private static final Duration IN_PROGRESS_RETRY = Duration.ofSeconds(1);

  private final CertificateStore store;
  private final Clock clock;
  private final Duration window;

  public RequestIds(CertificateStore store, Clock clock, Duration window) {
    this.store = store;
    this.clock = clock;
    this.window = window;
  }

  public Duration window() {
    return window;
  }

  /**
   * The key of a call: null when {@code requestId} is empty (no idempotency asked for); otherwise
   * the id, checked, with what the request asked.
   */
  public static RequestKey key(
      String principal, String requestId, String method, String fingerprint) {
    if (requestId.isEmpty()) {
      return null;
    }
    if (!ID.matcher(requestId).matches()) {
      throw CaException.invalid(
          "request_id",
          "expected: 1-64 letters, digits, '.', '_', ':' or '-' (a UUID is a good choice)");
    }
    return new RequestKey(principal, requestId, method, fingerprint);
  }

  /**
   * What the earlier call with {@code key} recorded, if there is one within the window and it asked
   * the same; INVALID_ARGUMENT if it asked something else. Empty for a null key.
   */
  public Optional<StoredRequest> earlier(RequestKey key) {
    if (key == null) {
      return Optional.empty();
    }
    Optional<StoredRequest> found = store.findRequest(key.principal(), key.requestId());
    if (found.isEmpty()) {
      return found;
    }
    StoredRequest r = found.get();
    if (r.createTime().isBefore(clock.instant().minus(window))) {
      store.forgetRequest(key.principal(), key.requestId(), r.createTime());
      return Optional.empty();
    }
    if (!r.method().equals(key.method()) || !r.fingerprint().equals(key.fingerprint())) {
      throw CaException.invalid(
          "request_id",
          "'"
              + key.requestId()
              + "' was used at "
              + r.createTime()
              + " for another request"
              + (r.method().equals(key.method()) ? "" : " (" + shortMethod(r.method()) + ")")
              + "; a retry must send the same request, a new request a new id");
    }
    return found;
  }

  /**
   * The certificate the earlier call with {@code key} made or acted on: empty when there was none,
   * or when it failed before storing one (then the id is free again). UNAVAILABLE, with a retry
   * hint, while the first call is still between recording and storing it.
   */
  public Optional<StoredCertificate> earlierCertificate(RequestKey key) {
    Optional<StoredRequest> earlier = earlier(key);
    if (earlier.isEmpty() || earlier.get().serialNumber() == null) {
      return Optional.empty();
    }
    StoredRequest r = earlier.get();
    Optional<StoredCertificate> c = store.find(r.serialNumber());
    if (c.isEmpty() || c.get().state() == CertificateState.FAILED) {
      store.forgetRequest(key.principal(), key.requestId(), r.createTime());
      return Optional.empty();
    }
    if (c.get().state() == CertificateState.PENDING) {
      CaException busy =
          CaException.unavailable(
              "the first call with request_id '"
                  + key.requestId()
                  + "' is still being answered; retry",
              null);
      busy.retryAfter(IN_PROGRESS_RETRY);
      throw busy;
    }
    return c;
  }

  /** Forgets the ids older than the window, in small batches; returns how many. */
  public int sweep() {
    Instant before = clock.instant().minus(window);
    int total = 0;
    int done;
    do {
      done = store.forgetRequestsBefore(before, SWEEP_BATCH);
      total += done;
    } while (done == SWEEP_BATCH);
    return total;
  }

  /** Runs {@link #sweep} every {@code every}. */
  public RequestIds sweepEvery(ScheduledExecutorService scheduler, Duration every) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            int forgotten = sweep();
            if (forgotten > 0) {
              log.debug("{} request id(s) older than {} forgotten", forgotten, window);
            }
          } catch (RuntimeException e) {
            log.warn("forgetting old request ids failed; trying again in {}", every, e);
          }
        },
        every.toMillis(),
        every.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  private static String shortMethod(String method) {
    int slash = method.lastIndexOf('/');
    return slash < 0 ? method : method.substring(slash + 1);
  }
}
