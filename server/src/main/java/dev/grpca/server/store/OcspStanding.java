package dev.grpca.server.store;

/**
 * What OCSP needs to know of a certificate: who issued it, whether it is issued, and its revocation
 * (null when it is not revoked).
 */
public record OcspStanding(String authorityId, CertificateState state, Revocation revocation) {}
