-- A CRL's DER is kept in parts of at most 512 KiB, so that storing or reading a CRL of a million
-- entries (about 40 MiB) never builds one huge value: as one base64 text it ran H2 out of memory at
-- a 512 MiB heap. Portable SQL (BYTEA is H2's and PostgreSQL's name for variable-length binary).
CREATE TABLE crl_part (
  authority_id VARCHAR(64) NOT NULL,
  crl_number   BIGINT      NOT NULL,
  part         INTEGER     NOT NULL,
  bytes        BYTEA       NOT NULL,
  PRIMARY KEY (authority_id, crl_number, part),
  FOREIGN KEY (authority_id, crl_number) REFERENCES crl (authority_id, crl_number) ON DELETE CASCADE
);

-- CRLs stored before this migration lose their DER; their numbers stay taken, so the next CRL's
-- number still increases, and the server publishes a new CRL at start because none has bytes.
-- der_size and entries are NULL for those rows only.
ALTER TABLE crl DROP COLUMN der;
ALTER TABLE crl ADD COLUMN der_size BIGINT;
ALTER TABLE crl ADD COLUMN entries BIGINT;
