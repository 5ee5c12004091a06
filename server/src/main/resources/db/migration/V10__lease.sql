-- Leases for the background jobs that replicas must run one at a time (CRL publishing). Portable SQL.
-- A holder keeps a lease by renewing it before it expires; when a holder dies, any replica may take
-- the lease once it has expired.
CREATE TABLE lease (
  name       VARCHAR(64)  NOT NULL PRIMARY KEY,
  holder     VARCHAR(64)  NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
