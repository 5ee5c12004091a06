package dev.grpca.bench;

import dev.grpca.client.BearerToken;
import dev.grpca.client.GrpcaChannels;
import dev.grpca.proto.v1.CertificateServiceGrpc;
import dev.grpca.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.KeyType;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.server.Main;
import dev.grpca.server.config.ServerConfig;
import dev.grpca.server.config.ServerConfigs;
import dev.grpca.server.config.proto.HsmSection;
import dev.grpca.server.config.proto.ServerConfigFile;
import io.grpc.ManagedChannel;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Drives a real grpca server (SoftHSM token, H2 file database, gRPC with TLS on loopback) with
 * concurrent Issue and Sign calls and prints throughput, latency percentiles and heap use as
 * Markdown rows. The server runs in this JVM; the callers use real TLS channels to it.
 *
 * <p>{@code java -jar bench/target/grpca-bench.jar HSM_DIR DATA_DIR [SECONDS] [CONCURRENCY...]}
 * with SOFTHSM2_CONF pointing at HSM_DIR/softhsm2.conf (what {@code make bench} does).
 */
public final class IssuanceBench {
  private IssuanceBench() {}

  public static void main(String[] args) throws Exception {
    Path hsm = Path.of(args[0]).toAbsolutePath();
    Path data = Path.of(args[1]).toAbsolutePath();
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int[] concurrency =
        args.length > 3
            ? Arrays.stream(args, 3, args.length).mapToInt(Integer::parseInt).toArray()
            : new int[] {1, 4, 16};

    ServerConfig loaded =
        ServerConfigs.from(
            ServerConfigFile.newBuilder()
                .setDataDir(data.toString())
                .setHsm(
                    HsmSection.newBuilder()
                        .setPkcs11Config(hsm.resolve("pkcs11.cfg").toString())
                        .setPinFile(hsm.resolve("user.pin").toString()))
                .build());
    ServerConfig config = loaded.withListener("127.0.0.1", 0).withHttp("127.0.0.1", freePort());
    try (Main.Running server = Main.start(config, Clock.systemUTC(), Map.of())) {
      String token = Files.readString(config.adminTokenFile()).strip();
      ManagedChannel channel =
          GrpcaChannels.connect(
              "localhost:" + server.port(),
              config.devDir().resolve("ca.pem"),
              new BearerToken(token));
      CertificateServiceBlockingStub stub = CertificateServiceGrpc.newBlockingStub(channel);
      IssueRequest issueP256 =
          IssueRequest.newBuilder().setProfile("default").addDnsNames("bench.example.com").build();
      IssueRequest issueRsa = issueP256.toBuilder().setKeyType(KeyType.KEY_TYPE_RSA_2048).build();
      SignRequest sign = SignRequest.newBuilder().setProfile("default").setCsrPem(csrPem()).build();

      System.out.printf(
          "JDK %s, %d cores, %ss per row, issuing CA key %s in SoftHSM%n%n",
          System.getProperty("java.version"),
          Runtime.getRuntime().availableProcessors(),
          seconds,
          config.intermediate().keyAlgorithm().displayName());
      System.out.println("| RPC | callers | calls/s | p50 ms | p99 ms | heap after GC MiB |");
      System.out.println("|---|---|---|---|---|---|");
      run("warm-up", 4, Math.max(3, seconds / 2), s -> s.sign(sign), stub, false);
      for (int c : concurrency) {
        run("Sign (EC P-256 CSR)", c, seconds, s -> s.sign(sign), stub, true);
      }
      for (int c : concurrency) {
        run("Issue EC P-256", c, seconds, s -> s.issue(issueP256), stub, true);
      }
      run(
          "Issue RSA 2048",
          concurrency[concurrency.length - 1],
          seconds,
          s -> s.issue(issueRsa),
          stub,
          true);
      channel.shutdownNow();
    }
  }

  private static void run(
      String name,
      int callers,
      int seconds,
      Consumer<CertificateServiceBlockingStub> call,
      CertificateServiceBlockingStub stub,
      boolean print)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(callers);
    List<long[]> perThread = new ArrayList<>();
    int[] counts = new int[callers];
    for (int t = 0; t < callers; t++) {
      long[] latencies = new long[2_000_000];
      perThread.add(latencies);
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  int n = 0;
                  while (!stop.get() && n < latencies.length) {
                    long start = System.nanoTime();
                    call.accept(stub.withDeadlineAfter(30, TimeUnit.SECONDS));
                    latencies[n++] = System.nanoTime() - start;
                  }
                  counts[id] = n;
                } finally {
                  done.countDown();
                }
              });
      thread.start();
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    done.await();
    long total = Arrays.stream(counts).sum();
    long[] all = new long[(int) total];
    int at = 0;
    for (int t = 0; t < callers; t++) {
      System.arraycopy(perThread.get(t), 0, all, at, counts[t]);
      at += counts[t];
    }
    perThread.clear();
    Arrays.sort(all);
    System.gc();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long heapMiB = memory.getHeapMemoryUsage().getUsed() >> 20;
    if (print) {
      System.out.printf(
          "| %s | %d | %.0f | %.2f | %.2f | %d |%n",
          name,
          callers,
          total / (double) seconds,
          percentile(all, 0.50) / 1e6,
          percentile(all, 0.99) / 1e6,
          heapMiB);
    }
  }

  private static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, sorted.length * p)];
  }

  private static String csrPem() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    var csr =
        new JcaPKCS10CertificationRequestBuilder(
                new X500Name("CN=bench.example.com"), pair.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(csr);
    }
    return out.toString();
  }

  /** A port free now: the HTTP URLs in certificates must name the sidecar's real port. */
  private static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
