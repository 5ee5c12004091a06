-- What watch streams tell (issue 18): each change a watcher may be told of, written in the
-- transaction that makes it. Portable SQL (H2, PostgreSQL).
--
-- seq is the change's audit record's sequence number: the audit head's lock orders both, so events
-- become visible in seq order and a reader that has seen seq N has seen everything before it. It
-- is what a watcher resumes from.
CREATE TABLE certificate_event (
  seq           BIGINT       NOT NULL PRIMARY KEY,
  kind          VARCHAR(16)  NOT NULL,
  authority_id  VARCHAR(64)  NULL,
  serial_number VARCHAR(40)  NOT NULL,
  event_time    TIMESTAMP WITH TIME ZONE NOT NULL,
  reason        INT          NULL
);
