-- Who may do what, and the audit log. Portable SQL (H2, PostgreSQL).

-- A principal's spec is the grpca.v1.Principal message in protobuf's JSON mapping (its grants).
CREATE TABLE principal (
  name        VARCHAR(512) NOT NULL PRIMARY KEY,
  spec        VARCHAR      NOT NULL,
  create_time TIMESTAMP WITH TIME ZONE NOT NULL,
  update_time TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Bearer tokens: only the SHA-256 of each is kept. The id is public (it names the token in the API
-- and the audit log); the token itself is shown once, when it is made.
CREATE TABLE api_token (
  id          VARCHAR(32)  NOT NULL PRIMARY KEY,
  principal   VARCHAR(512) NOT NULL REFERENCES principal (name),
  sha256      VARCHAR(64)  NOT NULL,
  description VARCHAR(256) NOT NULL,
  create_time TIMESTAMP WITH TIME ZONE NOT NULL,
  expire_time TIMESTAMP WITH TIME ZONE NULL,
  revoke_time TIMESTAMP WITH TIME ZONE NULL
);

CREATE UNIQUE INDEX api_token_sha256 ON api_token (sha256);

-- The audit log: append-only, each record chained to the one before by hash. audit_head holds the
-- last sequence number and hash; appending locks it, so records are written one at a time and a
-- record removed from the end is noticed too.
CREATE TABLE audit_record (
  seq         BIGINT        NOT NULL PRIMARY KEY,
  record_time TIMESTAMP WITH TIME ZONE NOT NULL,
  principal   VARCHAR(512)  NOT NULL,
  source      VARCHAR(128)  NOT NULL,
  rpc         VARCHAR(128)  NOT NULL,
  profile     VARCHAR(64)   NOT NULL,
  serial      VARCHAR(40)   NOT NULL,
  request_id  VARCHAR(64)   NOT NULL,
  outcome     VARCHAR(32)   NOT NULL,
  detail      VARCHAR(1024) NOT NULL,
  prev_hash   VARCHAR(64)   NOT NULL,
  hash        VARCHAR(64)   NOT NULL
);

CREATE TABLE audit_head (
  id   INTEGER     NOT NULL PRIMARY KEY,
  seq  BIGINT      NOT NULL,
  hash VARCHAR(64) NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Rate limits: one token bucket per key ("principal:<name>", "profile:<name>"), shared by replicas.
CREATE TABLE rate_bucket (
  bucket_key  VARCHAR(600) NOT NULL PRIMARY KEY,
  tokens      DOUBLE PRECISION NOT NULL,
  update_time TIMESTAMP WITH TIME ZONE NOT NULL
);
