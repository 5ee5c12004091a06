-- Portable SQL: runs on H2 (the embedded default) and PostgreSQL.

CREATE TABLE authority (
  id               VARCHAR(64)  NOT NULL PRIMARY KEY,
  parent_id        VARCHAR(64)  NULL REFERENCES authority (id),
  key_label        VARCHAR(128) NOT NULL,
  certificate_pem  VARCHAR      NOT NULL,
  is_default       BOOLEAN      NOT NULL,
  create_time      TIMESTAMP WITH TIME ZONE NOT NULL
);

-- A row is written (state PENDING, with the TBS certificate about to be signed) before the HSM signs,
-- and completed (state ISSUED, with the certificate) before the caller gets an answer.
CREATE TABLE certificate (
  serial_number        VARCHAR(40)  NOT NULL PRIMARY KEY,
  authority_id         VARCHAR(64)  NOT NULL REFERENCES authority (id),
  profile              VARCHAR(64)  NOT NULL,
  state                VARCHAR(16)  NOT NULL,
  subject              VARCHAR(4096) NOT NULL,
  common_name          VARCHAR(256) NULL,
  public_key_algorithm VARCHAR(32)  NOT NULL,
  not_before           TIMESTAMP WITH TIME ZONE NOT NULL,
  not_after            TIMESTAMP WITH TIME ZONE NOT NULL,
  tbs_certificate      VARCHAR      NOT NULL,
  certificate_pem      VARCHAR      NULL,
  sha256_fingerprint   VARCHAR(64)  NULL,
  requested_by         VARCHAR(256) NOT NULL,
  create_time          TIMESTAMP WITH TIME ZONE NOT NULL,
  issue_time           TIMESTAMP WITH TIME ZONE NULL
);

CREATE INDEX certificate_not_after ON certificate (not_after);

-- Subject alternative names, one row each, so that certificates can be found by name.
CREATE TABLE certificate_name (
  serial_number VARCHAR(40)  NOT NULL REFERENCES certificate (serial_number),
  position      INTEGER      NOT NULL,
  kind          VARCHAR(8)   NOT NULL,
  name          VARCHAR(253) NOT NULL,
  PRIMARY KEY (serial_number, position)
);

CREATE INDEX certificate_name_name ON certificate_name (name);

CREATE TABLE certificate_label (
  serial_number VARCHAR(40)  NOT NULL REFERENCES certificate (serial_number),
  label_key     VARCHAR(63)  NOT NULL,
  label_value   VARCHAR(256) NOT NULL,
  PRIMARY KEY (serial_number, label_key)
);

CREATE INDEX certificate_label_value ON certificate_label (label_key, label_value);
