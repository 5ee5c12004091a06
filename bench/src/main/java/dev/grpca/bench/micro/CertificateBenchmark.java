package dev.grpca.bench.micro;

import dev.grpca.server.hsm.Signer;
import dev.grpca.server.x509.CertificateChecks;
import dev.grpca.server.x509.CertificateSpec;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.IssuerUrls;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.SignedCertificates;
import dev.grpca.server.x509.TbsCertificates;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A leaf certificate as issuance makes one: the TBS built from a spec and checked (placeholder
 * signature, parsed back), then signed by an EC P-256 token key and verified before it is used.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CertificateBenchmark {
  private CertificateSpec spec;
  private Issuer issuer;
  private TBSCertificate tbs;
  private Signer signer;
  private ContentVerifierProvider verifier;

  @Setup
  public void setUp() throws Exception {
    signer = MicroServer.token().generate(KeyAlgorithm.EC_P256);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    SubjectPublicKeyInfo caKey = SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded());
    issuer =
        new Issuer(
            new X500Name("CN=Bench Issuing CA,O=grpca"),
            TbsCertificates.keyIdentifier(caKey),
            KeyAlgorithm.EC_P256.signatureAlgorithmIdentifier(),
            now.minus(Duration.ofDays(1)),
            now.plus(Duration.ofDays(3650)));
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    spec =
        CertificateSpec.builder(
                new X500Name("CN=bench.example.com"),
                SubjectPublicKeyInfo.getInstance(
                    generator.generateKeyPair().getPublic().getEncoded()),
                now,
                now.plus(Duration.ofDays(30)))
            .keyUsage(KeyUsage.digitalSignature)
            .extendedKeyUsages(
                List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth))
            .dnsNames(List.of("bench.example.com", "www.bench.example.com"))
            .issuerUrls(new IssuerUrls("http://127.0.0.1:8080").of("issuing-ca"))
            .build(new BigInteger(127, new java.util.Random(1)));
    tbs = TbsCertificates.build(spec, issuer);
    verifier =
        new JcaContentVerifierProviderBuilder()
            .setProvider(new BouncyCastleProvider())
            .build(SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()));
  }

  /** Build the TBSCertificate and run every check on it. */
  @Benchmark
  public TBSCertificate buildAndCheck() {
    TBSCertificate built = TbsCertificates.build(spec, issuer);
    CertificateChecks.require(SignedCertificates.withPlaceholderSignature(built), spec, issuer);
    return built;
  }

  /**
   * The token signs; the signature is verified with the CA's public key before use (what
   * CertificateFactory.issue does between recording and storing).
   */
  @Benchmark
  public X509CertificateHolder signAndVerify() throws Exception {
    byte[] der = SignedCertificates.der(tbs);
    X509CertificateHolder certificate =
        new X509CertificateHolder(
            SignedCertificates.assemble(tbs, tbs.getSignature(), signer.sign(der)));
    if (!certificate.isSignatureValid(verifier)) {
      throw new IllegalStateException("the token's signature does not verify");
    }
    return certificate;
  }
}
