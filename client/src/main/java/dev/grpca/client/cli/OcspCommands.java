package dev.grpca.client.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** OCSP, as TLS stacks do it: no grpca credentials, only the certificate's own URLs. */
@Command(
    name = "ocsp",
    mixinStandardHelpOptions = true,
    description = "OCSP: check.",
    subcommands = {OcspCommands.Check.class})
final class OcspCommands {
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "Ask the OCSP responder the certificate names (its AIA) whether it is good, revoked or"
              + " unknown, and check the answer's signature against the issuer. Exit status: 0"
              + " good, 20 revoked, 21 unknown.")
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "CERT", description = "The certificate (PEM), e.g. cert.pem.")
    Path certificate;

    @Option(
        names = "--issuer",
        paramLabel = "FILE",
        description = "Its issuer's certificate, first in the file (default: chain.pem beside it).")
    Path issuer;

    @Option(names = "--url", paramLabel = "URL", description = "Default: the certificate's AIA.")
    String url;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      X509Certificate cert = first(certificate);
      Path issuerFile = issuer != null ? issuer : certificate.resolveSibling("chain.pem");
      X509Certificate ca = first(issuerFile);
      X509CertificateHolder caHolder = new JcaX509CertificateHolder(ca);
      CertificateID id =
          new CertificateID(
              new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
              caHolder,
              cert.getSerialNumber());
      byte[] nonce = new byte[16];
      new SecureRandom().nextBytes(nonce);
      OCSPReq request =
          new OCSPReqBuilder()
              .addRequest(id)
              .setRequestExtensions(
                  new Extensions(
                      new Extension(
                          OCSPObjectIdentifiers.id_pkix_ocsp_nonce,
                          false,
                          new DEROctetString(nonce))))
              .build();
      String responder = url != null ? url : responderOf(cert);
      HttpResponse<byte[]> answer =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(10))
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(responder))
                      .timeout(Duration.ofSeconds(30))
                      .header("Content-Type", "application/ocsp-request")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(request.getEncoded()))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      if (answer.statusCode() != 200) {
        throw new CliException(
            ExitCodes.UNAVAILABLE, "ocsp: " + responder + " answered HTTP " + answer.statusCode());
      }
      OCSPResp response = new OCSPResp(answer.body());
      if (response.getStatus() != OCSPResp.SUCCESSFUL) {
        throw new CliException(
            ExitCodes.OTHER,
            "ocsp: the responder refused (OCSP status " + response.getStatus() + ")");
      }
      BasicOCSPResp basic = (BasicOCSPResp) response.getResponseObject();
      requireSignedFor(basic, caHolder);
      Extension echoed = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
      if (echoed != null
          && !Arrays.equals(
              echoed.getExtnValue().getOctets(), new DEROctetString(nonce).getEncoded())) {
        throw new CliException(ExitCodes.OTHER, "ocsp: the answer's nonce is not ours");
      }
      SingleResp single =
          Arrays.stream(basic.getResponses())
              .filter(s -> answersFor(s, cert, caHolder))
              .findFirst()
              .orElseThrow(
                  () -> new CliException(ExitCodes.OTHER, "ocsp: no answer for this certificate"));
      Object status = single.getCertStatus();
      if (status == null) {
        grpca.out.println(certificate + ": good");
        return ExitCodes.OK;
      }
      if (status instanceof RevokedStatus revoked) {
        String reason =
            revoked.hasRevocationReason()
                ? " ("
                    + CRLReason.lookup(revoked.getRevocationReason())
                        .toString()
                        .replace("CRLReason: ", "")
                    + ")"
                : "";
        grpca.out.println(
            certificate + ": revoked at " + revoked.getRevocationTime().toInstant() + reason);
        return ExitCodes.REVOKED;
      }
      if (status instanceof UnknownStatus) {
        grpca.out.println(certificate + ": unknown");
        return ExitCodes.UNKNOWN;
      }
      throw new CliException(ExitCodes.OTHER, "ocsp: an answer this client cannot read");
    }

    /**
     * Whether {@code single} is about {@code cert}: its serial, and its issuer's name and key
     * hashes under whatever hash the responder chose (not necessarily the request's SHA-1).
     */
    private static boolean answersFor(
        SingleResp single, X509Certificate cert, X509CertificateHolder issuer) {
      try {
        return single.getCertID().getSerialNumber().equals(cert.getSerialNumber())
            && single
                .getCertID()
                .matchesIssuer(issuer, new JcaDigestCalculatorProviderBuilder().build());
      } catch (Exception e) {
        return false;
      }
    }

    private static X509Certificate first(Path file) throws IOException {
      try {
        var all =
            CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
        if (all.isEmpty()) {
          throw new CliException(ExitCodes.LOCAL_FILE, file + ": no certificate in it");
        }
        return (X509Certificate) all.iterator().next();
      } catch (java.security.cert.CertificateException e) {
        throw new CliException(ExitCodes.LOCAL_FILE, file + ": not a PEM certificate: " + e);
      }
    }

    /** The OCSP URL of the certificate's authorityInfoAccess. */
    private static String responderOf(X509Certificate cert) throws IOException {
      byte[] aia = cert.getExtensionValue(Extension.authorityInfoAccess.getId());
      if (aia != null) {
        AuthorityInformationAccess access =
            AuthorityInformationAccess.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(aia).getOctets());
        for (AccessDescription d : access.getAccessDescriptions()) {
          if (d.getAccessMethod().equals(AccessDescription.id_ad_ocsp)
              && d.getAccessLocation().getTagNo() == GeneralName.uniformResourceIdentifier) {
            return d.getAccessLocation().getName().toString();
          }
        }
      }
      throw new CliException(
          ExitCodes.USAGE, "ocsp: the certificate names no OCSP responder: give --url");
    }

    /**
     * The answer is signed by the issuer, or by a responder certificate the issuer signed for OCSP
     * signing (RFC 6960 4.2.2.2).
     */
    private static void requireSignedFor(BasicOCSPResp basic, X509CertificateHolder issuer)
        throws Exception {
      var verifiers = new JcaContentVerifierProviderBuilder();
      if (basic.isSignatureValid(verifiers.build(issuer))) {
        return;
      }
      for (X509CertificateHolder responder : basic.getCerts()) {
        boolean delegated =
            responder.isSignatureValid(verifiers.build(issuer))
                && responder.getExtensions() != null
                && org.bouncycastle.asn1.x509.ExtendedKeyUsage.fromExtensions(
                        responder.getExtensions())
                    != null
                && org.bouncycastle.asn1.x509.ExtendedKeyUsage.fromExtensions(
                        responder.getExtensions())
                    .hasKeyPurposeId(KeyPurposeId.id_kp_OCSPSigning);
        if (delegated && basic.isSignatureValid(verifiers.build(responder))) {
          return;
        }
      }
      throw new CliException(
          ExitCodes.OTHER, "ocsp: the answer is not signed by the issuer or a responder it named");
    }
  }
}
