-- A CA's row is written before its certificate is signed, so that the certificate can be recorded
-- (under the CA's id, for a root) before the token signs it, as every certificate is. Until the
-- certificate is stored the row has none.
ALTER TABLE authority ALTER COLUMN certificate_pem DROP NOT NULL;
