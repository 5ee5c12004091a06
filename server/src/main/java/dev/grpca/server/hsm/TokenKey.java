package dev.grpca.server.hsm;

import java.security.cert.X509Certificate;

/** A key pair found in the token under a label, with the certificate stored beside it. */
public record TokenKey(String label, Signer signer, X509Certificate certificate) {}
