-- Intermediates for an external root (issue 19). Portable SQL (H2, PostgreSQL).
--
-- state: ACTIVE, or PENDING_CSR for an intermediate whose key is in the token and whose CSR went
-- out, waiting for ActivateIntermediate to bring back the certificate the external root signed.
-- csr_pem: that CSR. chain_pem: for an intermediate under an external root, the certificates above
-- it up to that root (a local parent's chain is the parent's own).
ALTER TABLE authority ADD COLUMN state VARCHAR(16) DEFAULT 'ACTIVE' NOT NULL;
ALTER TABLE authority ADD COLUMN csr_pem VARCHAR NULL;
ALTER TABLE authority ADD COLUMN chain_pem VARCHAR NULL;
