-- Certificates as resources people manage (issue 17). Portable SQL (H2, PostgreSQL).
--
-- name: the resource name a certificate holds, unique among the certificates that hold one (NULLs
-- are distinct on both engines). A row holds its name from the moment it is recorded, so that two
-- callers can never be promised one name; a row that fails gives it up, Renew moves it to the new
-- certificate in the transaction that stores it, and Delete gives it up.
ALTER TABLE certificate ADD COLUMN name VARCHAR(128) NULL;
CREATE UNIQUE INDEX certificate_resource_name ON certificate (name);
