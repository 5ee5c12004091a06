package dev.grpca.bench.micro;

import dev.grpca.server.CaServer;
import dev.grpca.server.authority.Authority;
import dev.grpca.server.revocation.OcspAnswer;
import dev.grpca.server.revocation.OcspResponder;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The OCSP responder of a running server (in-memory H2, token signer): a request with a nonce is
 * looked up and signed every time; one without is answered from the cache after the first.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OcspBenchmark {
  private CaServer server;
  private OcspResponder responder;
  private byte[] withNonce;
  private byte[] cacheable;

  @Setup
  public void setUp() throws Exception {
    server = MicroServer.start();
    responder = server.ocsp();
    Authority issuer = server.authorities().get("");
    CertificateID id =
        new CertificateID(
            new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
            issuer.certificateHolder(),
            // A certificate this server issued (its own TLS certificate): OCSP answers only those.
            server.tlsIdentity().current().getSerialNumber());
    cacheable = new OCSPReqBuilder().addRequest(id).build().getEncoded();
    withNonce =
        new OCSPReqBuilder()
            .addRequest(id)
            .setRequestExtensions(
                new Extensions(
                    new Extension(
                        OCSPObjectIdentifiers.id_pkix_ocsp_nonce,
                        false,
                        new DEROctetString(new byte[16]))))
            .build()
            .getEncoded();
  }

  @TearDown
  public void tearDown() {
    server.close();
  }

  /** Parse, look the serial up in the database, build and sign with the token key. */
  @Benchmark
  public OcspAnswer signed() {
    return responder.respond(withNonce, "127.0.0.1");
  }

  /** Parse and answer from the cache. */
  @Benchmark
  public OcspAnswer cached() {
    return responder.respond(cacheable, "127.0.0.1");
  }
}
