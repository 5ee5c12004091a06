package dev.grpca.server.issuance;

import java.security.PrivateKey;

/**
 * What Issue hands back once: the certificate and the private key made for it. Both are {@code
 * null} for a validate-only request.
 */
public record IssueResult(IssuedCertificate certificate, PrivateKey privateKey) {}
