"""The embedding API (`stepwasm_host.Client`) against the real step-ca."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from stepwasm_host import BootstrapError, CAError, Client, InputError, KeySpec

pytestmark = pytest.mark.interop


@pytest.fixture
def client(component_path, tmp_path):
    (tmp_path / "work").mkdir()
    with Client(tmp_path / "step", tmp_path / "work", component=component_path) as c:
        yield c


def test_bootstrap_certificate_renew(client, ca):
    profile = client.bootstrap(ca.ca_url, ca.pki.root_fingerprint)
    assert profile.fingerprint == ca.pki.root_fingerprint
    assert x509.load_pem_x509_certificate(profile.root) == (
        x509.load_pem_x509_certificate(ca.pki.root_cert.read_bytes())
    )

    issued = client.certificate(
        "api.internal",
        sans=["api.internal", "10.1.2.3"],
        provisioner="Admin JWK",
        password=ca.pki.provisioner_password,
        key=KeySpec("EC", "P-384"),
    )
    chain = x509.load_pem_x509_certificates(issued.chain)
    key = serialization.load_pem_private_key(issued.key, None)
    assert chain[0].public_key() == key.public_key()
    assert issued.serial == str(chain[0].serial_number)
    assert issued.subject == "api.internal"
    assert key.key_size == 384

    for mtls in (True, False):
        renewed = client.renew(issued.chain, issued.key, mtls=mtls)
        leaf = x509.load_pem_x509_certificates(renewed.chain)[0]
        assert renewed.key == b""
        assert leaf.public_key() == key.public_key()
        assert renewed.serial != issued.serial


def test_errors_are_typed(client, ca):
    with pytest.raises(BootstrapError, match="no root with fingerprint 0000"):
        client.bootstrap(ca.ca_url, "00" * 32)
    client.bootstrap(ca.ca_url, ca.pki.root_fingerprint)
    token = client.token(
        "x.internal", provisioner="Admin JWK", password=ca.pki.provisioner_password
    )
    client.certificate("x.internal", token=token)
    with pytest.raises(CAError) as info:
        client.certificate("x.internal", token=token)
    assert info.value.status == 401
    with pytest.raises(InputError) as bad:
        client.bootstrap(ca.ca_url, "zz")
    assert "a SHA-256 fingerprint has 32" in str(bad.value)
