package dev.grpca.server.store.jooq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grpca.server.store.LeaseStore;
import dev.grpca.server.testing.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Leases on each real engine: one holder at a time, and the lease passes on when it expires. */
@ParameterizedClass(name = "on {0}")
@EnumSource(Engine.class)
class JooqLeaseStoreTest {
  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
  private static final Duration TTL = Duration.ofSeconds(15);

  @Parameter Engine engine;
  @TempDir Path dir;
  private Database database;

  @BeforeEach
  void open() {
    database = Database.open(engine.freshUrl(dir), engine.user(), engine.password());
  }

  @AfterEach
  void close() {
    database.close();
  }

  @Test
  void oneHolderAtATimeAndTheLeasePassesOnWhenItExpires() {
    LeaseStore leases = database.leases();
    assertThat(leases.hold("crl", "a", T0, TTL)).isTrue();
    assertThat(leases.hold("crl", "b", T0.plusSeconds(1), TTL)).isFalse();
    assertThat(leases.hold("crl", "a", T0.plusSeconds(10), TTL)).isTrue(); // renewed to T0+25s
    assertThat(leases.hold("crl", "b", T0.plusSeconds(20), TTL)).isFalse();
    // a stops renewing (it died): once its lease has run out, b takes it, and a cannot.
    assertThat(leases.hold("crl", "b", T0.plusSeconds(25), TTL)).isTrue();
    assertThat(leases.hold("crl", "a", T0.plusSeconds(26), TTL)).isFalse();
    // Leases are by name.
    assertThat(leases.hold("other", "a", T0.plusSeconds(26), TTL)).isTrue();
  }

  @Test
  void ofManyTakingAFreeLeaseAtOnceExactlyOneHoldsIt() throws Exception {
    ExecutorService replicas = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> took = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String holder = "replica-" + i;
        took.add(replicas.submit(() -> database.leases().hold("race", holder, T0, TTL)));
      }
      int holders = 0;
      for (Future<Boolean> f : took) {
        holders += f.get() ? 1 : 0;
      }
      assertThat(holders).isEqualTo(1);
    } finally {
      replicas.shutdownNow();
    }
  }
}
