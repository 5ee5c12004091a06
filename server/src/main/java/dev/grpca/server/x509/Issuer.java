package dev.grpca.server.x509;

import java.time.Instant;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/** What a certificate takes from the CA that signs it. */
public record Issuer(
    X500Name subject,
    byte[] keyIdentifier,
    AlgorithmIdentifier signatureAlgorithm,
    Instant notBefore,
    Instant notAfter) {}
