-- Server-side auto-renewal (issue 18). Portable SQL (H2, PostgreSQL).
--
-- A row for each certificate the CA is to renew itself, or that chose either way at issuance.
-- choice: 'ON' or 'OFF' as asked at issuance (renewals keep it), NULL as its profile said.
-- renew_at: when the renewal job takes it (NULL: not to be renewed, or done, or stopped); a job
-- that takes it moves renew_at on, so another replica retries only if the first one stopped.
CREATE TABLE certificate_renewal (
  serial_number VARCHAR(40) NOT NULL PRIMARY KEY,
  choice        VARCHAR(3)  NULL,
  renew_at      TIMESTAMP WITH TIME ZONE NULL
);
CREATE INDEX certificate_renewal_due ON certificate_renewal (renew_at);
