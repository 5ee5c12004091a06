package dev.grpca.server.authority;

import dev.grpca.server.hsm.Signer;
import dev.grpca.server.x509.Issuer;
import dev.grpca.server.x509.NameConstraintRules;
import dev.grpca.server.x509.Pem;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/** A CA this server runs: its certificate, its chain up to the root, and its key in the token. */
public final class Authority {
  private final String id;
  private final String parentId;
  private final List<X509Certificate> chain;
  private final X509CertificateHolder holder;
  private final Signer signer;
  private final Issuer issuer;
  private final String chainPem;

  /**
   * @param chain this CA's certificate first, its root last (one element for a root)
   */
  public Authority(String id, List<X509Certificate> chain, Signer signer) {
    this(id, null, chain, signer);
  }

  /**
   * @param parentId the local authority that signed it; null for a root
   * @param chain this CA's certificate first, its root last (one element for a root)
   */
  public Authority(String id, String parentId, List<X509Certificate> chain, Signer signer) {
    this.id = id;
    this.parentId = parentId;
    this.chain = List.copyOf(chain);
    this.chainPem = Pem.certificates(this.chain);
    this.signer = signer;
    try {
      this.holder = new JcaX509CertificateHolder(chain.get(0));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("authority " + id + ": unreadable certificate", e);
    }
    SubjectKeyIdentifier ski = SubjectKeyIdentifier.fromExtensions(holder.getExtensions());
    if (ski == null) {
      throw new IllegalArgumentException(
          "authority " + id + ": certificate has no " + Extension.subjectKeyIdentifier);
    }
    this.issuer =
        new Issuer(
            X500Name.getInstance(holder.getSubject()),
            ski.getKeyIdentifier(),
            signer.algorithm().signatureAlgorithmIdentifier(),
            holder.getNotBefore().toInstant(),
            holder.getNotAfter().toInstant(),
            this.chain.stream().map(Authority::nameConstraints).toList());
  }

  private static NameConstraintRules nameConstraints(X509Certificate certificate) {
    try {
      return NameConstraintRules.of(new JcaX509CertificateHolder(certificate).getExtensions());
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("unreadable CA certificate", e);
    }
  }

  public String id() {
    return id;
  }

  /** The local authority that signed it; null for a root. */
  public String parentId() {
    return parentId;
  }

  public X509Certificate certificate() {
    return chain.get(0);
  }

  public X509CertificateHolder certificateHolder() {
    return holder;
  }

  public X509Certificate root() {
    return chain.get(chain.size() - 1);
  }

  /** This CA first, its root last. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The chain as PEM, made once: every issuance answer carries it. */
  public String chainPem() {
    return chainPem;
  }

  public String rootPem() {
    return Pem.certificate(root());
  }

  public Signer signer() {
    return signer;
  }

  /** What the certificates this CA signs take from it. */
  public Issuer issuer() {
    return issuer;
  }
}
