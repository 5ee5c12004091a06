-- Delete and tidy (issue 17). Portable SQL (H2, PostgreSQL).
--
-- A deleted certificate leaves the inventory (Get, Status, List and names no longer see it) but its
-- row stays until tidy removes it once it has expired: a revoked certificate keeps its entry in
-- the CRL and its OCSP answer until then, whatever is deleted.
ALTER TABLE certificate ADD COLUMN delete_time TIMESTAMP WITH TIME ZONE NULL;
