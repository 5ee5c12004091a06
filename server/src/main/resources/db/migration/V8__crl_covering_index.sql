-- Everything a CRL entry needs, in the index that finds the revoked certificates of an authority:
-- the CRL is then built from the index alone (an index-only scan), never from the wide certificate
-- rows. Measured on H2 with 1M revoked rows of real size: 1.5 s instead of 27 s.
DROP INDEX certificate_revoked;
CREATE INDEX certificate_revoked ON certificate
  (authority_id, revocation_time, state, not_after, revocation_reason, serial_number);
