"""The generated inspection vectors inside the component: the goldens of the
three layouts, verify, keypair and CSR creation, and one-line errors for
malformed input (tests/unit/x509/test_vectors.py runs them natively)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from stepwasm_host import Client

from tests.unit.x509 import inspect_cases
from tests.unit.x509.vectors import AT, write_vectors

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    directory = tmp_path_factory.mktemp("vectors")
    return directory, write_vectors(directory)


@pytest.fixture(scope="module")
def client(vectors, component_path: Path, tmp_path_factory):
    directory, _ = vectors
    with Client(
        steppath=tmp_path_factory.mktemp("step"),
        workdir=directory,
        component=component_path,
    ) as client:
        yield client


def test_goldens_in_the_component(vectors, client) -> None:
    _, found = vectors
    for vector in found:
        for layout in inspect_cases.LAYOUTS:
            result = client.run(inspect_cases.arguments(vector, layout))
            assert (result.exit_code, result.stderr) == (0, ""), vector.name
            inspect_cases.check_golden(vector, layout, result.stdout)


def test_fingerprint_in_the_component(vectors, client) -> None:
    directory, _ = vectors
    cert = x509.load_pem_x509_certificate((directory / "leaf.pem").read_bytes())
    result = client.run(["certificate", "fingerprint", "leaf.der", "--sha1"])
    assert result.stdout == cert.fingerprint(hashes.SHA1()).hex() + "\n"
    result = client.run(
        ["certificate", "fingerprint", "leaf.pem", "--format", "base64"]
    )
    assert (
        result.stdout
        == base64.b64encode(cert.fingerprint(hashes.SHA256())).decode() + "\n"
    )


def test_verify_in_the_component(client) -> None:
    ok = client.run(
        [
            "certificate",
            "verify",
            "wrong-order.pem",
            "--roots",
            "root.pem",
            "--host",
            "10.1.2.3",
            "--time",
            AT,
        ]
    )
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "", "")
    bad = client.run(["certificate", "verify", "expired.pem", "--roots", "root.pem"])
    assert bad.exit_code == 1
    assert bad.stderr == (
        "stepwasm: expired.pem does not verify: certificate 'CN=expired.example' "
        "expired at 2001-01-01T00:00:00Z\n"
    )


def test_malformed_inputs_in_the_component(vectors, component_path, tmp_path) -> None:
    directory, _ = vectors
    inspect_cases.write_malformed(directory, tmp_path)
    with Client(
        steppath=tmp_path / "step", workdir=tmp_path, component=component_path
    ) as client:
        for file, message in inspect_cases.MALFORMED_ERRORS.items():
            commands = [["certificate", "inspect", file]]
            if file != "big-noise.bin":
                commands += [
                    ["certificate", "fingerprint", file],
                    ["certificate", "verify", file, "--roots", "root.pem"],
                ]
            if file == "big-noise.bin":
                # The host refuses a file this large before it crosses over.
                message = "file big-noise.bin: file too large (10485760 bytes)"
            for argv in commands:
                result = client.run(argv)
                assert (result.exit_code, result.stdout) == (1, ""), argv
                assert result.stderr.startswith(f"stepwasm: {message}"), result.stderr
                assert result.stderr.count("\n") == 1, result.stderr
        csr = client.run(
            ["certificate", "verify", "request.csr", "--roots", "root.pem"]
        )
        assert csr.stderr == (
            "stepwasm: request.csr: PEM block 1 is a certificate signing request "
            "(CSR), not a certificate\n"
        )


def test_big_noise_on_stdin_is_refused_quickly(stepwasm) -> None:
    result = stepwasm("certificate", "inspect", "-", stdin="x" * (10 * 1024 * 1024))
    assert result.code == 1
    assert result.error_line == (
        "stepwasm: -: standard input is too large to be a certificate (more than 2 MiB)"
    )


def test_keypair_and_csr_in_the_component(stepwasm) -> None:
    refused = stepwasm("crypto", "keypair", "k.pub", "k.key")
    assert refused.error_line == (
        "stepwasm: encrypted private keys are not supported yet: pass --no-password "
        "--insecure to write PRIV_FILE unencrypted"
    )
    made = stepwasm(
        "crypto",
        "keypair",
        "k.pub",
        "k.key",
        "--kty",
        "EC",
        "--curve",
        "P-384",
        "--no-password",
        "--insecure",
    )
    assert made.code == 0, made.stderr
    public = serialization.load_pem_public_key((stepwasm.cwd / "k.pub").read_bytes())
    private = serialization.load_pem_private_key(
        (stepwasm.cwd / "k.key").read_bytes(), None
    )
    assert public.curve.name == "secp384r1"
    assert private.public_key().public_numbers() == public.public_numbers()
    assert (stepwasm.cwd / "k.key").stat().st_mode & 0o077 == 0

    again = stepwasm(
        "crypto", "keypair", "k.pub", "k.key", "--no-password", "--insecure"
    )
    assert (
        again.error_line
        == "stepwasm: k.pub already exists; use --force to overwrite it"
    )

    created = stepwasm(
        "certificate",
        "create",
        "--csr",
        "app.example",
        "app.csr",
        "--key",
        "k.key",
        "--san",
        "app.example",
        "--san",
        "192.0.2.9",
    )
    assert created.code == 0, created.stderr
    request = x509.load_pem_x509_csr((stepwasm.cwd / "app.csr").read_bytes())
    assert request.is_signature_valid
    assert request.public_key().public_numbers() == public.public_numbers()
    san = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["app.example"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.9"]

    shown = stepwasm("certificate", "inspect", "app.csr", "--short")
    assert shown.stdout == (
        "X.509v3 Certificate Signing Request (ECDSA P-384)\n"
        "  Subject:     app.example\n"
        "               192.0.2.9\n"
        "  Signature:   valid\n"
    )
    fresh = stepwasm(
        "certificate",
        "create",
        "--csr",
        "ed.example",
        "ed.csr",
        "ed.key",
        "--kty",
        "OKP",
        "--no-password",
        "--insecure",
    )
    assert fresh.code == 0, fresh.stderr
    request = x509.load_pem_x509_csr((stepwasm.cwd / "ed.csr").read_bytes())
    assert request.is_signature_valid
    key = serialization.load_pem_private_key(
        (stepwasm.cwd / "ed.key").read_bytes(), None
    )
    assert key.public_key() == request.public_key()
    nocsr = stepwasm("certificate", "create", "x", "x.crt", "x.key")
    assert nocsr.error_line == (
        "stepwasm: certificate create makes CSRs only for now: add --csr"
    )
