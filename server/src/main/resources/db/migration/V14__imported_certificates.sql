-- Certificates issued elsewhere, imported into the inventory (issue 17). Portable SQL (H2,
-- PostgreSQL).
--
-- An imported certificate's row is keyed by the first 39 hex digits of its SHA-256 fingerprint:
-- its own serial is another CA's, and two CAs may well use the same one. It has no authority of
-- ours (authority_id NULL), so no CRL or OCSP answer of ours ever covers it.
ALTER TABLE certificate ALTER COLUMN authority_id DROP NOT NULL;
-- NULL: issued here. 'IMPORTED': brought in by ImportCertificate.
ALTER TABLE certificate ADD COLUMN source VARCHAR(8) NULL;
-- Imported: its issuer's DN (RFC 4514), its own serial, and the chain it came with.
ALTER TABLE certificate ADD COLUMN issuer VARCHAR(4096) NULL;
ALTER TABLE certificate ADD COLUMN issuer_serial VARCHAR(42) NULL;
ALTER TABLE certificate ADD COLUMN chain_pem VARCHAR NULL;
CREATE INDEX certificate_fingerprint ON certificate (sha256_fingerprint);

-- A private key the CA holds for a certificate, encrypted (AES-256-GCM, the row's key as
-- associated data) by a key that lives in the token and never leaves it.
CREATE TABLE certificate_key (
  serial_number VARCHAR(40)  NOT NULL PRIMARY KEY REFERENCES certificate (serial_number),
  key_label     VARCHAR(64)  NOT NULL,
  sealed        VARCHAR      NOT NULL,
  create_time   TIMESTAMP WITH TIME ZONE NOT NULL
);
