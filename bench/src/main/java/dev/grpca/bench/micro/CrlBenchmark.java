package dev.grpca.bench.micro;

import dev.grpca.server.CaServer;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.revocation.CrlWriter;
import dev.grpca.server.store.CrlInfo;
import dev.grpca.server.store.CrlStore;
import dev.grpca.server.store.StoredCrl;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Writing a CRL of N entries held in memory (no database): the server's streaming {@link CrlWriter}
 * signing with the issuing CA's token key, against Bouncy Castle's {@link X509v2CRLBuilder} signing
 * with a software key.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CrlBenchmark {
  @Param({"10000", "100000"})
  public int entries;

  private CaServer server;
  private Authority issuer;
  private CrlWriter writer;
  private final List<CrlStore.Revoked> revoked = new ArrayList<>();
  private ContentSigner softwareSigner;

  @Setup
  public void setUp() throws Exception {
    server = MicroServer.start();
    issuer = server.authorities().get("");
    Random random = new Random(entries);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    int[] reasons = {0, 0, 1, 4, 5};
    for (int i = 0; i < entries; i++) {
      revoked.add(
          new CrlStore.Revoked(
              new BigInteger(127, random).toString(16),
              now.minusSeconds(random.nextInt(5_000_000)),
              reasons[random.nextInt(reasons.length)]));
    }
    writer = new CrlWriter(new InMemory(revoked), new BouncyCastleProvider());
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair key = generator.generateKeyPair();
    softwareSigner =
        new JcaContentSignerBuilder("SHA256withECDSA")
            .setProvider(new BouncyCastleProvider())
            .build(key.getPrivate());
  }

  @TearDown
  public void tearDown() {
    server.close();
  }

  @Benchmark
  public StoredCrl grpcaWriter() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    return writer.write(issuer, 1, now, now.plus(Duration.ofDays(1)));
  }

  @Benchmark
  public byte[] bouncyCastleBuilder() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    X509v2CRLBuilder builder =
        new X509v2CRLBuilder(issuer.certificateHolder().getSubject(), Date.from(now));
    builder.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
    for (CrlStore.Revoked r : revoked) {
      builder.addCRLEntry(
          new BigInteger(r.serialNumber(), 16), Date.from(r.revocationTime()), r.reason());
    }
    return builder.build(softwareSigner).getEncoded();
  }

  /** The revoked entries, listed as the database would list them. */
  private record InMemory(List<CrlStore.Revoked> revoked) implements CrlStore {
    @Override
    public Optional<CrlInfo> latestInfo(String authorityId) {
      return Optional.empty();
    }

    @Override
    public Optional<StoredCrl> load(CrlInfo info) {
      return Optional.empty();
    }

    @Override
    public long nextNumber(String authorityId) {
      return 1;
    }

    @Override
    public boolean save(StoredCrl crl) {
      return true;
    }

    @Override
    public void dropBelow(String authorityId, long number) {}

    @Override
    public void forEachRevoked(String authorityId, Instant now, Consumer<Revoked> entry) {
      revoked.forEach(entry);
    }
  }
}
