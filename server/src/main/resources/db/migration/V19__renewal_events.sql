-- Renewals are events too (WatchCertificate, issue 18): serial_number is the new certificate,
-- previous the one it renewed. NULL for other kinds.
ALTER TABLE certificate_event ADD COLUMN previous VARCHAR(40) NULL;
