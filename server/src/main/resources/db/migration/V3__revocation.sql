-- Revocation, and the indexes Get/List/Status need. Portable SQL (H2, PostgreSQL).

-- A revoked certificate keeps state ISSUED and gets a revocation time and an RFC 5280 reason code.
ALTER TABLE certificate ADD COLUMN revocation_time TIMESTAMP WITH TIME ZONE NULL;
ALTER TABLE certificate ADD COLUMN revocation_reason INTEGER NULL;

-- List pages through certificates in the order they were issued.
CREATE INDEX certificate_issue_order ON certificate (issue_time, serial_number);
CREATE INDEX certificate_profile ON certificate (profile);
