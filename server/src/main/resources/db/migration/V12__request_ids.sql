-- Idempotent retries (issue 17): what a mutating call with a request_id did, so that the same id
-- from the same principal answers the first call's answer again and does nothing else. Portable
-- SQL (H2, PostgreSQL).
--
-- The row is written in the transaction that makes the call's change (for Issue, Sign and Renew:
-- with the PENDING certificate row, before anything is signed), so that a retry finds it even when
-- the first answer never reached the client, after a restart, or on another replica. Two calls
-- with one id at once: the primary key lets one through.
CREATE TABLE request_record (
  principal     VARCHAR(256) NOT NULL,
  request_id    VARCHAR(64)  NOT NULL,
  -- The gRPC method and the SHA-256 of the request without its request_id: a repeat must match.
  method        VARCHAR(128) NOT NULL,
  fingerprint   VARCHAR(64)  NOT NULL,
  -- The certificate the call made or acted on, when it did.
  serial_number VARCHAR(40)  NULL,
  -- The first answer, base64 of its protobuf bytes, for calls whose answer is not rebuilt from a
  -- certificate row.
  response      VARCHAR      NULL,
  create_time   TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (principal, request_id)
);

-- Old rows are swept in create_time order.
CREATE INDEX request_record_time ON request_record (create_time);
