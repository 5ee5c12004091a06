-- One full CRL per issuer and number; every process serves the latest from here. Portable SQL.
CREATE TABLE crl (
  authority_id VARCHAR(64) NOT NULL REFERENCES authority (id),
  crl_number   BIGINT      NOT NULL,
  this_update  TIMESTAMP WITH TIME ZONE NOT NULL,
  next_update  TIMESTAMP WITH TIME ZONE NOT NULL,
  der          VARCHAR     NOT NULL,
  PRIMARY KEY (authority_id, crl_number)
);

CREATE INDEX certificate_revoked ON certificate (authority_id, revocation_time);
