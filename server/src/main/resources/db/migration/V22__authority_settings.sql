-- URLs and CRL validity per authority, changed at run time by UpdateAuthority (issue 19). Portable
-- SQL (H2, PostgreSQL). A row only for an authority that was given some; a NULL column: the
-- server's default (the sidecar's URLs, crl.validity). URL lists are newline-separated.
CREATE TABLE authority_settings (
  authority_id         VARCHAR(64)   NOT NULL PRIMARY KEY REFERENCES authority (id),
  ca_issuers_urls      VARCHAR(8000) NULL,
  crl_urls             VARCHAR(8000) NULL,
  ocsp_urls            VARCHAR(8000) NULL,
  crl_validity_seconds BIGINT        NULL,
  update_time          TIMESTAMP WITH TIME ZONE NOT NULL
);
