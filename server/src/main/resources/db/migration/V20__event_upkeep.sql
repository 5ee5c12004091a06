-- Watch stream upkeep (issue 18). Portable SQL (H2, PostgreSQL).
--
-- When a certificate's renew_before is reached with no renewal coming, its watchers are told (an
-- EXPIRING event): notice_at is when, set at issuance for a certificate the CA does not renew
-- itself, and when its auto-renewal stops; NULL once told, or never to be told.
ALTER TABLE certificate ADD COLUMN notice_at TIMESTAMP WITH TIME ZONE NULL;
CREATE INDEX certificate_notice_at ON certificate (notice_at);

-- Events are kept for watch.retention. seq is the newest one removed: a stream that resumes from
-- before it would miss what went, so it is refused.
CREATE TABLE event_horizon (
  id  INT    NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL
);
INSERT INTO event_horizon (id, seq) VALUES (1, 0);
