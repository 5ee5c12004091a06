package dev.grpca.server.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.hsm.TokenKeys;
import dev.grpca.server.store.AuthorityStore;
import dev.grpca.server.testing.CaCore;
import dev.grpca.server.testing.SoftHsm;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.NameConstraintRules;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA creation that the token or the database stops part-way, on the real token and database: the
 * call fails with UNAVAILABLE, no key is left without its CA, and the same call made again makes
 * the CA (it is not refused as taken): finished from the token when only the row's completion was
 * missing, made again with a new key otherwise. The faults are the real token and store with one
 * call made to fail.
 */
class StoppedCreationTest {
  @TempDir static Path data;
  static CaCore core;

  @BeforeAll
  static void build() {
    core = new CaCore(data, Clock.systemUTC());
  }

  @AfterAll
  static void close() {
    core.close();
  }

  @Test
  void theTokenFailingToStoreTheCertificateLeavesNoKeyAndTheRetryMakesTheCa() throws Exception {
    AuthoritySpec spec = spec("stopped-at-store");
    long recorded = caCertificates();
    int keys = SoftHsm.privateKeyObjects();
    AtomicInteger failures = new AtomicInteger(1);
    AuthorityBootstrap failing =
        bootstrap(
            failingOnce(
                TokenKeys.class,
                core.token,
                failures,
                Set.of("store"),
                args -> isReal((X509Certificate) args[2])),
            core.database.authorities());
    assertThatThrownBy(() -> failing.createNow(spec, null, null, NameConstraintRules.NONE))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE));
    assertThat(failures.get()).isZero();
    // The key was removed with its placeholder, none left unlabelled; the row waits, incomplete.
    assertThat(SoftHsm.open().labels(spec.keyLabel())).isEmpty();
    assertThat(SoftHsm.privateKeyObjects()).isEqualTo(keys);
    assertThat(core.database.authorities().find(spec.id()).orElseThrow().isComplete()).isFalse();
    // The CA certificate it signed was recorded (record before sign), and stays so.
    assertThat(caCertificates()).isEqualTo(recorded + 1);

    Authority made = core.bootstrap().createNow(spec, null, null, NameConstraintRules.NONE);
    assertThat(core.database.authorities().find(spec.id()).orElseThrow().isComplete()).isTrue();
    assertThat(SoftHsm.open().labels(spec.keyLabel())).containsExactly(spec.keyLabel());
    assertThat(core.token.find(spec.keyLabel()).orElseThrow().certificate())
        .isEqualTo(made.certificate());
    assertThat(caCertificates()).isEqualTo(recorded + 2);
  }

  @Test
  void theDatabaseFailingToCompleteTheRowIsFinishedFromTheTokenOnRetry() throws Exception {
    Authority root = core.authorities.get(core.rootId());
    AuthoritySpec spec = spec("stopped-at-complete");
    long recorded = caCertificates();
    AtomicInteger failures = new AtomicInteger(1);
    AuthorityBootstrap failing =
        bootstrap(
            core.token,
            failingOnce(
                AuthorityStore.class,
                core.database.authorities(),
                failures,
                Set.of("complete"),
                args -> true));
    assertThatThrownBy(() -> failing.createNow(spec, root, 0, NameConstraintRules.NONE))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE));
    assertThat(failures.get()).isZero();
    X509Certificate inToken = core.token.find(spec.keyLabel()).orElseThrow().certificate();
    assertThat(isReal(inToken)).isTrue();

    Authority made = core.bootstrap().createNow(spec, root, 0, NameConstraintRules.NONE);
    assertThat(made.certificate()).isEqualTo(inToken);
    assertThat(made.chain()).hasSize(2);
    // One CA certificate: the retry signed nothing.
    assertThat(caCertificates()).isEqualTo(recorded + 1);
    made.certificate().verify(root.certificate().getPublicKey());
  }

  @Test
  void aKeyLeftBesideItsPlaceholderIsReplacedOnRetry() throws Exception {
    AuthoritySpec spec = spec("stopped-with-placeholder");
    int keys = SoftHsm.privateKeyObjects();
    AtomicInteger failures = new AtomicInteger(2);
    // The token fails storing the certificate and then removing the key: the key stays, beside
    // the placeholder it was labelled with.
    AuthorityBootstrap failing =
        bootstrap(
            failingOnce(
                TokenKeys.class,
                core.token,
                failures,
                Set.of("store", "delete"),
                args -> !(args[args.length - 1] instanceof X509Certificate c) || isReal(c)),
            core.database.authorities());
    assertThatThrownBy(() -> failing.createNow(spec, null, null, NameConstraintRules.NONE))
        .isInstanceOf(CaException.class);
    assertThat(failures.get()).isZero();
    X509Certificate placeholder = core.token.find(spec.keyLabel()).orElseThrow().certificate();
    assertThat(isReal(placeholder)).isFalse();

    Authority made = core.bootstrap().createNow(spec, null, null, NameConstraintRules.NONE);
    assertThat(made.certificate().getPublicKey()).isNotEqualTo(placeholder.getPublicKey());
    assertThat(SoftHsm.privateKeyObjects()).isEqualTo(keys + 1);
    assertThat(SoftHsm.open().labels(spec.keyLabel())).containsExactly(spec.keyLabel());
    assertThat(core.token.find(spec.keyLabel()).orElseThrow().certificate())
        .isEqualTo(made.certificate());
  }

  @Test
  void aFirstStartStoppedBeforeItsRowsIsMadeAgainAtTheNext() throws Exception {
    AuthoritySpec root = spec("start-root");
    AuthoritySpec issuing = spec("start-issuing");
    // What a start that stopped after labelling the keys, before writing the rows, left.
    for (AuthoritySpec s : List.of(root, issuing)) {
      var signer = core.token.generate(s.keyAlgorithm());
      core.token.store(
          s.keyLabel(),
          signer,
          Csrs.placeholder(
              signer, new org.bouncycastle.asn1.x500.X500Name(s.subject()), core.clock.instant()));
    }
    int keys = SoftHsm.privateKeyObjects();
    Authorities made = core.bootstrap().ensure(root, issuing);
    Authority ca = made.get(issuing.id());
    ca.certificate().verify(made.get(root.id()).certificate().getPublicKey());
    assertThat(isReal(ca.certificate())).isTrue();
    assertThat(isReal(made.get(root.id()).certificate())).isTrue();
    // The two placeholder keys were replaced, not added to.
    assertThat(SoftHsm.privateKeyObjects()).isEqualTo(keys);
  }

  private static AuthoritySpec spec(String name) {
    return new AuthoritySpec(
        SoftHsm.uniqueLabel(name), "CN=" + name, KeyAlgorithm.EC_P256, Duration.ofDays(30));
  }

  private static AuthorityBootstrap bootstrap(TokenKeys token, AuthorityStore store) {
    return new AuthorityBootstrap(
        token,
        store,
        core.factory,
        CaCore.URLS,
        core.clock,
        AuthorityBootstrap.OneAtATime.IN_THIS_PROCESS);
  }

  /** A CA certificate, not the placeholder: it may sign CRLs. */
  private static boolean isReal(X509Certificate certificate) {
    return certificate.getKeyUsage() != null && certificate.getKeyUsage()[6];
  }

  /**
   * {@code real}, except that the next {@code failures} calls of the {@code methods} whose
   * arguments pass {@code when} fail as the token or the database does when it goes away.
   */
  private static <T> T failingOnce(
      Class<T> type,
      T real,
      AtomicInteger failures,
      Set<String> methods,
      Predicate<Object[]> when) {
    return type.cast(
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (proxy, method, args) -> {
              if (methods.contains(method.getName())
                  && when.test(args)
                  && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw CaException.unavailable(method.getName() + " failed (injected)", null);
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            }));
  }

  private static long caCertificates() throws SQLException {
    try (Connection db = core.engine.connect(core.url);
        PreparedStatement s =
            db.prepareStatement("SELECT COUNT(*) FROM certificate WHERE profile = ?")) {
      s.setString(1, AuthorityBootstrap.PROFILE);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }
}
