"""The built component under the wasmtime-py host: what is inside it, and its
two exports (`wasi:cli/run` and `api`) working offline."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from stepwasm_host import Client, InputError, KeySpec, RunResult

from tests.conftest import REPO, _command
from tests.tls_server import TlsServer, make_pki
from tests.unit.fakes import FakeCA, pem

pytestmark = pytest.mark.component

CORE = REPO / "component" / "stepwasm_core"
#: Third-party modules the core imports; they must be bundled.
DEPENDENCIES = [
    "asn1crypto.x509",
    "asn1crypto.csr",
    "ecdsa.keys",
    "ecdsa.eddsa",
    "rsa.core",
]
#: Core modules only the standard-WASI build (app_cli) holds; tests/interop/
#: test_wasi_cli.py checks them inside dist/stepwasm-cli.wasm.
COMMAND_BUILD_ONLY = {
    "stepwasm_core.fallback",
    "stepwasm_core.fsstorage",
    "stepwasm_core.tlstransport",
}


def _core_modules() -> list[str]:
    names = []
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_every_core_module_is_loaded_inside_the_component(stepwasm):
    """componentize-py bundles only what is imported at a module's top level;
    a lazy import would fail only in the component. The component lists the
    modules it holds after start-up."""
    result = stepwasm("version", "--modules")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stepwasm 0.1.0 (Python 3.14")
    assert lines[0].endswith(", wasi)")
    loaded = set(lines[1:])
    expected = [m for m in _core_modules() if m not in COMMAND_BUILD_ONLY]
    expected += DEPENDENCIES
    assert len(expected) > 25
    assert [m for m in expected if m not in loaded] == []


def test_missing_component_is_one_clear_line(stepwasm, tmp_path):
    gone = dataclasses.replace(stepwasm, component=tmp_path / "gone.wasm")
    result = gone("version")
    assert result.code == 1
    assert result.error_line == (
        f"stepwasm: component not found at {tmp_path / 'gone.wasm'}: run ./build.sh"
    )


@pytest.fixture
def client(component_path, tmp_path) -> Iterator[Client]:
    (tmp_path / "work").mkdir()
    with Client(tmp_path / "step", tmp_path / "work", component=component_path) as c:
        yield c


@pytest.fixture(scope="module")
def root() -> x509.Certificate:
    return FakeCA().root


def test_api_inspect_matches_cryptography(client, root):
    described = json.loads(client.inspect(pem(root).encode(), "json"))
    assert described["serial_number"] == str(root.serial_number)
    assert described["subject"] == {"common_name": ["Fake Root"]}
    assert described["fingerprint_sha256"].replace(":", "").lower() == (
        root.fingerprint(hashes.SHA256()).hex()
    )
    short = client.inspect(pem(root).encode(), "short")
    assert short.startswith("X.509v3 Root CA Certificate (ECDSA P-256)")


def test_api_errors_are_typed(client):
    with pytest.raises(InputError) as info:
        client.inspect(b"not a certificate", "text")
    assert "no PEM block" in str(info.value) or "not a certificate" in str(info.value)


def test_api_arguments_are_checked_not_wrapped_or_split(client):
    with pytest.raises(InputError, match="^sans: expected a list of strings"):
        client.certificate("a.test", sans="a.test", token="t")
    with pytest.raises(InputError, match=r"^key.size: expected a whole number"):
        client.certificate("a.test", token="t", key=KeySpec("RSA", "", 2**32 + 3072))
    with pytest.raises(InputError, match=r"^reason_code: .* from 0 to 255$"):
        client.revoke(b"x", b"y", reason_code=256)
    with pytest.raises(InputError, match="^args: expected a list of strings"):
        client.run("version")
    with pytest.raises(InputError, match="^inspect: an argument does not fit"):
        client.inspect(b"x", 5)


def test_api_run_captures_output(client):
    result = client.run(["version"])
    assert isinstance(result, RunResult)
    assert result.exit_code == 0
    assert result.stdout.startswith("stepwasm 0.1.0")
    bad = client.run(["ca", "health"])
    assert bad.exit_code == 1
    assert bad.stdout == ""
    assert "run ca bootstrap first" in bad.stderr


def test_large_output_arrives_whole(stepwasm):
    """A WASI stdout may take only part of a large write; nothing may be lost."""
    roots = [FakeCA().root for _ in range(12)]
    bundle = "".join(pem(root) for root in roots) * 20
    (stepwasm.cwd / "bundle.pem").write_text(bundle)
    result = stepwasm(
        "certificate", "inspect", "bundle.pem", "--bundle", "--format", "pem"
    )
    assert result.code == 0, result.stderr
    assert len(bundle) > 100_000
    assert result.stdout.strip() == bundle.strip()


def test_deeply_nested_json_from_a_server_is_one_line(stepwasm, tmp_path):
    """CPython's JSON parser recurses per level; inside WebAssembly a few
    thousand levels would exhaust the stack (a trap), so they are refused."""
    pki = make_pki(tmp_path / "pki")
    server = TlsServer(pki)
    try:
        (stepwasm.cwd / "root.crt").write_bytes(pki.root_file.read_bytes())
        result = stepwasm(
            "ca", "health", "--ca-url", server.url + "/deep", "--root", "root.crt"
        )
    finally:
        server.close()
    assert result.code == 1
    assert result.error_line == (
        "stepwasm: the CA answered 200: the answer is not JSON "
        "(nested deeper than 64 levels)"
    )


def test_a_reader_that_goes_away_gets_no_error_line(stepwasm):
    """`stepwasm ... | head`: a closed pipe ends the command quietly."""
    env = dict(os.environ, STEPPATH=str(stepwasm.steppath))
    env["STEPWASM_COMPONENT"] = str(stepwasm.component)
    proc = subprocess.Popen(
        [*_command(), "version", "--modules"],
        cwd=stepwasm.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the component writes anything
    _, stderr = proc.communicate(timeout=120)
    assert (proc.returncode, stderr) == (1, b"")
