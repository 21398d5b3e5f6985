"""The main job through the component, against the real step-ca.

bootstrap -> token -> certificate -> inspect -> renew (mTLS and token),
each result checked with `cryptography`, `pyjwt` and `openssl`.
"""

from __future__ import annotations

import datetime
import json
import os
import pty
import select
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ..conftest import _command
from .mainjob import (
    bootstrap,
    certificate,
    copy_password,
    load_chain,
    load_key,
    openssl_verify,
    run_main_job,
    sans,
)

pytestmark = pytest.mark.interop


def test_the_main_job(stepwasm, ca):
    run_main_job(stepwasm, ca)


def test_certificate_with_the_provisionercopy_password(stepwasm, ca):
    bootstrap(stepwasm, ca)
    password = copy_password(stepwasm, ca)
    result = stepwasm(
        "ca",
        "certificate",
        "api.internal",
        "api.crt",
        "api.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
        "--not-after",
        "1h",
    )
    assert result.code == 0, result.stderr
    leaf = load_chain(stepwasm.cwd / "api.crt")[0]
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime.total_seconds() == 61 * 60
    assert sans(leaf) == ["api.internal"]


@pytest.mark.parametrize(
    ("pki_options", "key_flags", "key_check"),
    [
        (
            {
                "root_key": "RSA",
                "intermediate_key": "RSA",
                "provisioner_key": "OKP-Ed25519",
            },
            ["--kty", "RSA", "--size", "2048"],
            (rsa.RSAPrivateKey, 2048),
        ),
        (
            {"provisioner_key": "RSA-2048", "extra_provisioners": 25},
            ["--kty", "OKP", "--curve", "Ed25519"],
            (ed25519.Ed25519PrivateKey, None),
        ),
        (
            {
                "root_key": "EC-P384",
                "intermediate_key": "EC-P384",
                "provisioner_key": "EC-P384",
            },
            ["--kty", "EC", "--curve", "P-384"],
            (ec.EllipticCurvePrivateKey, 384),
        ),
        ({"provisioner_key": "EC-P521"}, [], (ec.EllipticCurvePrivateKey, 256)),
    ],
    ids=["rsa-ca-ed25519-prov", "rsa-prov-page-2", "p384", "p521-prov"],
)
def test_other_cas_and_keys(stepwasm, make_ca, pki_options, key_flags, key_check):
    server = make_ca(**pki_options)
    bootstrap(stepwasm, server)
    result = certificate(stepwasm, server, "k.internal", "k.crt", "k.key", *key_flags)
    assert result.code == 0, result.stderr
    chain = load_chain(stepwasm.cwd / "k.crt")
    key = load_key(stepwasm.cwd / "k.key")
    kind, size = key_check
    assert isinstance(key, kind)
    if size:
        assert key.key_size == size
    assert key.public_key() == chain[0].public_key()
    openssl_verify(server.pki.root_cert, stepwasm.cwd / "k.crt")

    result = stepwasm("ca", "renew", "k.crt", "k.key", "--mtls=false")
    assert result.code == 0, result.stderr
    renewed = load_chain(stepwasm.cwd / "k.crt")[0]
    assert renewed.serial_number != chain[0].serial_number
    assert renewed.public_key() == key.public_key()


def test_provisioner_list_follows_every_page(stepwasm, make_ca):
    server = make_ca(extra_provisioners=25)
    bootstrap(stepwasm, server)
    result = stepwasm("ca", "provisioner", "list")
    assert result.code == 0, result.stderr
    names = [p["name"] for p in json.loads(result.stdout)]
    assert len(names) == 26
    assert names[-1] == "Admin JWK"


def test_ca_root_and_fingerprint(stepwasm, ca):
    bootstrap(stepwasm, ca)
    result = stepwasm("ca", "root", "root.crt")
    assert result.code == 0, result.stderr
    root = x509.load_pem_x509_certificate((stepwasm.cwd / "root.crt").read_bytes())
    assert root.fingerprint(hashes.SHA256()).hex() == ca.pki.root_fingerprint
    result = stepwasm("certificate", "fingerprint", "root.crt")
    assert result.stdout.strip() == ca.pki.root_fingerprint


def test_revoke_by_serial_with_the_provisioner(stepwasm, ca):
    bootstrap(stepwasm, ca)
    password = copy_password(stepwasm, ca)
    assert (
        stepwasm(
            "ca",
            "certificate",
            "r.internal",
            "r.crt",
            "r.key",
            "--provisioner",
            "Admin JWK",
            "--password-file",
            password,
        ).code
        == 0
    )
    serial = str(load_chain(stepwasm.cwd / "r.crt")[0].serial_number)
    result = stepwasm(
        "ca",
        "revoke",
        serial,
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
    )
    assert result.code == 0, result.stderr
    assert f"Serial Number {serial} has been revoked" in result.stderr
    again = stepwasm(
        "ca",
        "revoke",
        serial,
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
    )
    assert "400" in again.error_line


def _on_a_terminal(stepwasm, args: list[str], answer: bytes) -> tuple[int, bytes]:
    """Run `stepwasm ARGS` on a pseudo-terminal, answer its prompt; return
    the exit code and everything the terminal showed."""
    env = dict(
        os.environ,
        STEPPATH=str(stepwasm.steppath),
        STEPWASM_COMPONENT=str(stepwasm.component),
    )
    pid, master = pty.fork()
    if pid == 0:  # the child, on the terminal
        try:
            os.chdir(stepwasm.cwd)
            os.execvpe(_command()[0], _command() + args, env)
        finally:
            os._exit(127)
    shown = b""
    deadline = time.monotonic() + 120
    answered = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if not answered and b"password" in shown:
                os.write(master, answer + b"\n")
                answered = True
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(master)
    return os.waitstatus_to_exitcode(status), shown


def test_the_provisioner_password_is_asked_for_on_a_terminal(stepwasm, ca):
    bootstrap(stepwasm, ca)
    password = ca.pki.provisioner_password_file.read_bytes().strip()
    args = ["ca", "certificate", "tty.internal", "tty.crt", "tty.key"]
    code, shown = _on_a_terminal(
        stepwasm, [*args, "--provisioner", ca.pki.provisioner_name], password
    )
    assert code == 0, shown
    assert b"Please enter the password to decrypt the provisioner key:" in shown
    assert password not in shown  # echo was off
    assert sans(load_chain(stepwasm.cwd / "tty.crt")[0]) == ["tty.internal"]
    assert sorted(p.name for p in stepwasm.cwd.iterdir()) == ["tty.crt", "tty.key"]

    code, shown = _on_a_terminal(
        stepwasm, ["ca", "token", "x.internal", "--provisioner", "Admin JWK"], b"nope"
    )
    assert code == 1
    assert b"cannot decrypt the key of provisioner 'Admin JWK': wrong password" in shown


def test_an_underscore_name_as_step_ca_issues_it(stepwasm, ca):
    """step-ca issues for `my_service` names (Go allows '_'), so the client
    takes them, though its TLS verification stays strict (x509-limbo)."""
    bootstrap(stepwasm, ca)
    result = certificate(stepwasm, ca, "my_service.internal", "s.crt", "s.key")
    assert result.code == 0, result.stderr
    assert sans(load_chain(stepwasm.cwd / "s.crt")[0]) == ["my_service.internal"]


def test_a_malformed_san_is_refused_before_the_ca_issues(stepwasm, ca):
    bootstrap(stepwasm, ca)
    result = certificate(
        stepwasm, ca, "ok.internal", "b.crt", "b.key", "--san", "bad name!!"
    )
    assert result.error_line == (
        "stepwasm: SAN 'bad name!!' is not a valid DNS name (dot-separated labels "
        "of letters, digits, '-' and '_')"
    )
    assert "Provisioner" not in result.stderr  # before the key was decrypted
    assert sorted(p.name for p in stepwasm.cwd.iterdir()) == ["pass.txt"]


def test_a_certificate_that_starts_later(stepwasm, ca):
    """--not-before in the future: the CA's answer is checked as of its start."""
    bootstrap(stepwasm, ca)
    started = time.time()
    result = certificate(
        stepwasm,
        ca,
        "later.internal",
        "l.crt",
        "l.key",
        "--not-before",
        "1h",
        "--not-after",
        "2h",
    )
    assert result.code == 0, result.stderr
    leaf = load_chain(stepwasm.cwd / "l.crt")[0]
    assert abs(leaf.not_valid_before_utc.timestamp() - (started + 3600)) < 120
    # A duration for --not-after counts from the start, as in step.
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == (
        datetime.timedelta(hours=2)
    )
