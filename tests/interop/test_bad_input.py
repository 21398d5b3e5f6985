"""Bad input through the component against the real step-ca: each gives one
clear line, a non-zero exit, and writes nothing."""

from __future__ import annotations

import shutil
import socket

import jwt
import pytest

pytestmark = pytest.mark.interop


def _files(root) -> set[str]:
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def booted(stepwasm, ca):
    result = stepwasm(
        "ca",
        "bootstrap",
        "--ca-url",
        ca.ca_url,
        "--fingerprint",
        ca.pki.root_fingerprint,
    )
    assert result.code == 0, result.stderr
    shutil.copy(ca.pki.provisioner_password_file, stepwasm.cwd / "pass.txt")
    return stepwasm


def _certificate(stepwasm, *flags):
    return stepwasm("ca", "certificate", "bad.internal", "bad.crt", "bad.key", *flags)


def _assert_nothing_written(stepwasm, before: set[str]) -> None:
    assert _files(stepwasm.cwd) == before


def test_wrong_fingerprint(stepwasm, ca):
    result = stepwasm(
        "ca", "bootstrap", "--ca-url", ca.ca_url, "--fingerprint", "0" * 64
    )
    assert "404" in result.error_line
    assert not stepwasm.steppath.exists() or not _files(stepwasm.steppath)


def test_fingerprint_that_is_not_hex(stepwasm, ca):
    result = stepwasm(
        "ca", "bootstrap", "--ca-url", ca.ca_url, "--fingerprint", "not-a-fingerprint"
    )
    assert "fingerprint" in result.error_line
    assert not _files(stepwasm.steppath)


def test_wrong_password(booted):
    (booted.cwd / "wrong.txt").write_text("not-the-password\n")
    before = _files(booted.cwd)
    result = _certificate(
        booted, "--provisioner", "Admin JWK", "--password-file", "wrong.txt"
    )
    assert "wrong password" in result.error_line
    assert "not-the-password" not in result.stderr
    _assert_nothing_written(booted, before)


def test_unknown_provisioner(booted):
    before = _files(booted.cwd)
    result = _certificate(
        booted, "--provisioner", "Nobody", "--password-file", "pass.txt"
    )
    assert "provisioner 'Nobody' not found" in result.error_line
    assert "'Admin JWK'" in result.error_line
    _assert_nothing_written(booted, before)


def test_malformed_token(booted):
    before = _files(booted.cwd)
    result = _certificate(booted, "--token", "this.is.not-a-token")
    assert "malformed token" in result.error_line
    _assert_nothing_written(booted, before)


def test_token_with_a_bad_signature_is_refused_by_the_ca(booted, ca):
    token = booted(
        "ca",
        "token",
        "bad.internal",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    ).stdout.strip()
    head, body, sig = token.split(".")
    forged = ".".join(
        [head, body, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")]
    )
    before = _files(booted.cwd)
    result = _certificate(booted, "--token", forged)
    assert "401" in result.error_line
    _assert_nothing_written(booted, before)


def test_expired_token(booted, ca):
    token = booted(
        "ca",
        "token",
        "bad.internal",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
        "--not-before",
        "-20m",
        "--not-after",
        "-10m",
    ).stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["exp"]
    before = _files(booted.cwd)
    result = _certificate(booted, "--token", token)
    assert "expired" in result.error_line
    _assert_nothing_written(booted, before)


def test_token_used_twice(booted):
    token = booted(
        "ca",
        "token",
        "bad.internal",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    ).stdout.strip()
    assert _certificate(booted, "--token", token).code == 0
    result = booted(
        "ca", "certificate", "bad.internal", "b2.crt", "b2.key", "--token", token
    )
    assert "401" in result.error_line
    assert not (booted.cwd / "b2.crt").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ca_not_reachable(stepwasm):
    url = f"https://127.0.0.1:{_free_port()}"
    result = stepwasm("ca", "bootstrap", "--ca-url", url, "--fingerprint", "ab" * 32)
    assert "cannot reach" in result.error_line
    assert "connect" in result.error_line
    assert not _files(stepwasm.steppath)


def test_certificate_file_that_is_not_pem(booted):
    (booted.cwd / "junk.crt").write_text("hello\n")
    (booted.cwd / "junk.key").write_text("hello\n")
    result = booted("ca", "renew", "junk.crt", "junk.key")
    assert "junk.crt" in result.error_line
    assert (booted.cwd / "junk.crt").read_text() == "hello\n"
    result = booted("certificate", "inspect", "junk.crt")
    assert "junk.crt" in result.error_line


def test_key_that_does_not_match_the_certificate(booted):
    for name in ("a", "b"):
        result = booted(
            "ca",
            "certificate",
            f"{name}.internal",
            f"{name}.crt",
            f"{name}.key",
            "--provisioner",
            "Admin JWK",
            "--password-file",
            "pass.txt",
        )
        assert result.code == 0, result.stderr
    before = (booted.cwd / "a.crt").read_bytes()
    result = booted("ca", "renew", "a.crt", "b.key")
    assert "does not match" in result.error_line
    assert (booted.cwd / "a.crt").read_bytes() == before


def test_ca_whose_tls_does_not_chain_to_the_saved_root(booted, make_ca):
    other = make_ca()
    before = _files(booted.cwd)
    result = booted(
        "ca",
        "certificate",
        "bad.internal",
        "bad.crt",
        "bad.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
        "--ca-url",
        other.ca_url,
    )
    assert "tls" in result.error_line.lower()
    assert "certificate verify failed" in result.error_line
    _assert_nothing_written(booted, before)


def test_bootstrap_refuses_a_server_that_does_not_hold_the_root(stepwasm, ca, impostor):
    """An impostor on the CA's path hands out the real root (it is public)
    but cannot show a TLS chain from it: bootstrap checks the peer chain."""
    url = impostor(ca.pki.root_cert.read_text())
    result = stepwasm(
        "ca", "bootstrap", "--ca-url", url, "--fingerprint", ca.pki.root_fingerprint
    )
    assert "does not chain to the root" in result.error_line
    assert not _files(stepwasm.steppath)


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "huge"])
def test_password_file_problems(booted, kind):
    if kind == "directory":
        (booted.cwd / "pw").mkdir()
    elif kind == "empty":
        (booted.cwd / "pw").write_text("")
    elif kind == "huge":
        (booted.cwd / "pw").write_bytes(b"p" * 3_000_000)
    before = _files(booted.cwd)
    result = _certificate(booted, "--provisioner", "Admin JWK", "--password-file", "pw")
    assert "--password-file pw" in result.error_line
    if kind == "huge":
        assert result.error_line == (
            "stepwasm: --password-file pw: too large to be a password file "
            "(over 64 KiB)"
        )
    _assert_nothing_written(booted, before)


def test_no_profile(stepwasm):
    result = stepwasm("ca", "health")
    assert "run ca bootstrap first" in result.error_line


def test_renewing_a_certificate_of_another_ca_is_refused_before_asking(
    booted, ca, make_ca
):
    """The bundle is checked against the bootstrapped root first: the CA would
    only answer with a TLS alert or a bare 401."""
    other = make_ca()
    booted(
        "ca",
        "bootstrap",
        "--ca-url",
        other.ca_url,
        "--fingerprint",
        other.pki.root_fingerprint,
        "--force",
    )
    shutil.copy(other.pki.provisioner_password_file, booted.cwd / "other.txt")
    result = booted(
        "ca",
        "certificate",
        "o.internal",
        "o.crt",
        "o.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "other.txt",
    )
    assert result.code == 0, result.stderr
    booted(
        "ca",
        "bootstrap",
        "--ca-url",
        ca.ca_url,
        "--fingerprint",
        ca.pki.root_fingerprint,
        "--force",
    )
    before = (booted.cwd / "o.crt").read_bytes()
    result = booted("ca", "renew", "o.crt", "o.key", "--force")
    assert result.error_line.startswith(
        "stepwasm: the certificate does not chain to the bootstrapped root, so this "
        "CA cannot renew it: "
    )
    assert (booted.cwd / "o.crt").read_bytes() == before
