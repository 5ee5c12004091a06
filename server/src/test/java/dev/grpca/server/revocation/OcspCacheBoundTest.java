package dev.grpca.server.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The caches of OCSP answers stay bounded whatever requests come. */
class OcspCacheBoundTest {
  private static final Instant NOW = Instant.parse("2026-11-24T00:00:00Z");

  @Test
  void aFullCacheDropsWhatIsNoLongerReusedFirst() {
    Map<Integer, OcspAnswer> answers = new HashMap<>();
    for (int i = 0; i < OcspResponder.MAX_CACHED; i++) {
      answers.put(i, answer(i % 2 == 0 ? NOW.minusSeconds(1) : NOW.plusSeconds(30)));
    }
    OcspResponder.evict(answers, a -> NOW.isBefore(a.reuseUntil()));
    assertThat(answers).hasSize(OcspResponder.MAX_CACHED / 2);
    assertThat(answers.keySet()).allMatch(k -> k % 2 == 1);
  }

  @Test
  void aCacheFullOfCurrentAnswersIsEmptied() {
    Map<Integer, OcspAnswer> answers = new HashMap<>();
    for (int i = 0; i < OcspResponder.MAX_CACHED; i++) {
      answers.put(i, answer(NOW.plusSeconds(30)));
    }
    OcspResponder.evict(answers, a -> NOW.isBefore(a.reuseUntil()));
    assertThat(answers).isEmpty();
  }

  private static OcspAnswer answer(Instant reuseUntil) {
    return OcspAnswer.shared(
        new byte[] {1}, NOW, NOW.plusSeconds(3600), reuseUntil, "ca:01", "good");
  }
}
