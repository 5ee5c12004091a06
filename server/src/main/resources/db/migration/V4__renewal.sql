-- Renewal links a certificate to the one it renewed. Portable SQL (H2, PostgreSQL).
ALTER TABLE certificate ADD COLUMN renewed_from VARCHAR(40) NULL;
CREATE INDEX certificate_renewed_from ON certificate (renewed_from);
