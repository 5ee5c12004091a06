#!/usr/bin/env python3
"""Issue, Sign and Status against a grpca server from Python, with stubs generated from proto/.

Run from this directory (see README.md for generating the stubs into gen/):

    PYTHONPATH=gen python3 grpca_example.py --address localhost:8443 \
        --ca-file ../../var/dev/ca.pem --token-file ../../var/dev/admin.token \
        --dns py.example.com --csr svc.csr --out out
"""
import argparse
import os
import sys

import grpc

from grpca.v1 import certificate_service_pb2 as pb
from grpca.v1 import certificate_service_pb2_grpc as rpc
from grpca.v1 import resources_pb2 as resources


def write(path, text, private=False):
    """Writes text to path whole: beside it first, then renamed over it."""
    tmp = path + ".next"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", required=True)
    p.add_argument("--ca-file", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--dns", required=True, help="the DNS name to issue for")
    p.add_argument("--csr", help="a CSR (PEM) to have signed as well")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    with open(a.ca_file, "rb") as f:
        tls = grpc.ssl_channel_credentials(root_certificates=f.read())
    with open(a.token_file) as f:
        token = grpc.access_token_call_credentials(f.read().strip())
    channel = grpc.secure_channel(a.address, grpc.composite_channel_credentials(tls, token))
    certificates = rpc.CertificateServiceStub(channel)
    os.makedirs(a.out, exist_ok=True)

    # Issue: the CA makes the key and returns it once.
    issued = certificates.Issue(
        pb.IssueRequest(
            profile="default",
            subject=resources.Subject(common_name=a.dns),
            dns_names=[a.dns],
        ),
        timeout=30,
    )
    cert = issued.certificate
    write(os.path.join(a.out, "cert.pem"), cert.certificate_pem)
    write(os.path.join(a.out, "chain.pem"), cert.chain_pem)
    write(os.path.join(a.out, "key.pem"), issued.private_key_pem, private=True)
    print("issued", cert.serial_number)

    # Sign: the key stays with the caller.
    if a.csr:
        with open(a.csr) as f:
            signed = certificates.Sign(
                pb.SignRequest(profile="default", csr_pem=f.read()), timeout=30
            ).certificate
        write(os.path.join(a.out, "signed.pem"), signed.certificate_pem)
        print("signed", signed.serial_number)

    # Status of what was issued.
    status = certificates.Status(pb.StatusRequest(serial_numbers=[cert.serial_number]), timeout=30)
    for s in status.statuses:
        print("status", s.serial_number, resources.CertificateState.Name(s.state))

    # A refused call: the status code and the server's message name the field.
    try:
        certificates.Sign(pb.SignRequest(profile="default", csr_pem="not a CSR"), timeout=30)
    except grpc.RpcError as e:
        print("refused", e.code().name, e.details())
    return 0


if __name__ == "__main__":
    sys.exit(main())
