-- The one-time download of a certificate, its chain and its key (issue 18). Portable SQL (H2,
-- PostgreSQL).
--
-- A key held for a download is held until this time (then it is void, and tidy deletes it), or
-- until its bundle is fetched. NULL: held as long as the certificate is (a key imported with it).
ALTER TABLE certificate_key ADD COLUMN hold_until TIMESTAMP WITH TIME ZONE NULL;
CREATE INDEX certificate_key_hold ON certificate_key (hold_until);

-- A download token, by the SHA-256 of the token (hex): the token itself is never stored. Good
-- until expire_time, once: fetch_time is set by the fetch that used it.
CREATE TABLE download_token (
  token_hash    VARCHAR(64)  NOT NULL PRIMARY KEY,
  serial_number VARCHAR(40)  NOT NULL,
  created_by    VARCHAR(256) NOT NULL,
  create_time   TIMESTAMP WITH TIME ZONE NOT NULL,
  expire_time   TIMESTAMP WITH TIME ZONE NOT NULL,
  fetch_time    TIMESTAMP WITH TIME ZONE NULL
);
CREATE INDEX download_token_expiry ON download_token (expire_time);
