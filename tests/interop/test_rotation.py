"""Certificate rotation against the real step-ca, with certificates of seconds.

`stepwasm ca renew --daemon` renewing on schedule and on SIGHUP, surviving a
CA that goes away, expired certificates with and without renewal after
expiry, kill -9 in the middle of a write, two daemons on the same files, and
the HTTPS example rotating under a live connection.
"""

from __future__ import annotations

import datetime
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from stepwasm_host import Client, Rotation

from localca.pki import create_pki
from localca.server import CAServer, start_ca

from ..conftest import REPO, Stepwasm

pytestmark = pytest.mark.interop

# step-ca refuses a default below its minimum: lower both for seconds-long
# certificates (each also gets a minute of backdating).
SHORT = {"min_duration": "5s", "default_duration": "30s", "max_duration": "1h"}
RENEWED = re.compile(
    r"renewed (?P<subject>\S+): serial (?P<serial>\d+), notAfter (?P<not_after>\S+), "
    r"next renewal (?P<next>\S+)$"
)


@pytest.fixture(scope="module")
def short_ca(step_ca_binary, tmp_path_factory) -> Iterator[CAServer]:
    pki = create_pki(tmp_path_factory.mktemp("short-ca"), **SHORT)
    with start_ca(pki, step_ca_binary) as server:
        yield server


@pytest.fixture(scope="module")
def lenient_ca(step_ca_binary, tmp_path_factory) -> Iterator[CAServer]:
    pki = create_pki(
        tmp_path_factory.mktemp("lenient-ca"), allow_renewal_after_expiry=True, **SHORT
    )
    with start_ca(pki, step_ca_binary) as server:
        yield server


def _env(stepwasm: Stepwasm) -> dict[str, str]:
    env = dict(
        os.environ,
        STEPPATH=str(stepwasm.steppath),
        STEPWASM_COMPONENT=str(stepwasm.component),
    )
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "host"), env.get("PYTHONPATH", "")])
    return env


def _enroll(stepwasm: Stepwasm, ca: CAServer, not_after: str = "") -> None:
    """Bootstrap and get web.crt / web.key (30 s unless `not_after`)."""
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
    extra = ["--not-after", not_after] if not_after else []
    result = stepwasm(
        "ca",
        "certificate",
        "web.internal",
        "web.crt",
        "web.key",
        "--provisioner",
        ca.pki.provisioner_name,
        "--password-file",
        "pass.txt",
        *extra,
    )
    assert result.code == 0, result.stderr


def _chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def _check_whole(work: Path, ca: CAServer) -> x509.Certificate:
    """web.crt is a whole chain to the CA's intermediate for the key in web.key."""
    leaf, intermediate = _chain(work / "web.crt")
    key = serialization.load_pem_private_key((work / "web.key").read_bytes(), None)
    assert leaf.public_key() == key.public_key()
    assert intermediate == x509.load_pem_x509_certificate(
        ca.pki.intermediate_cert.read_bytes()
    )
    leaf.verify_directly_issued_by(intermediate)
    return leaf


def _utc(text: str) -> float:
    return datetime.datetime.fromisoformat(text).timestamp()


class Daemon:
    """`stepwasm ca renew web.crt web.key --daemon ...` as a child process."""

    def __init__(self, stepwasm: Stepwasm, *flags: str) -> None:
        script = Path(sys.prefix) / "bin" / "stepwasm"
        self.proc = subprocess.Popen(
            [str(script), "ca", "renew", "web.crt", "web.key", "--daemon", *flags],
            cwd=stepwasm.cwd,
            env=_env(stepwasm),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        #: (arrival time, line) of every stderr line.
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._eof = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append((time.time(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def matching(self, pattern: str | re.Pattern) -> list[tuple[float, re.Match]]:
        found = []
        for at, line in list(self.lines):
            match = re.search(pattern, line)
            if match:
                found.append((at, match))
        return found

    def wait_for(self, pattern, count: int = 1, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.matching(pattern)) < count:
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    break
                self._changed.wait(min(left, 0.5))
        found = self.matching(pattern)
        assert len(found) >= count, f"waited for {pattern!r}:\n{self.text}"
        return found[:count]

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        with self._changed:
            self._changed.wait_for(lambda: self._eof, 10)
        return code


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()


SIGNAL_TARGET = """
import pathlib, signal, sys, time
log = pathlib.Path(sys.argv[1])
signal.signal(signal.SIGUSR1, lambda *_: log.open("a").write("USR1\\n"))
log.write_text("")
while True:
    time.sleep(1)
"""

EXEC_HOOK = """
import pathlib
from cryptography import x509
leaf = x509.load_pem_x509_certificates(pathlib.Path("web.crt").read_bytes())[0]
with open("exec.log", "a") as log:
    log.write(f"{leaf.serial_number}\\n")
"""


def test_daemon_renews_on_sighup_and_on_schedule_keeping_the_key(
    stepwasm, short_ca, daemons, tmp_path
):
    _enroll(stepwasm, short_ca)
    work = stepwasm.cwd
    key_before = (work / "web.key").read_bytes()
    first = _check_whole(work, short_ca)
    hook = tmp_path / "hook.py"
    hook.write_text(EXEC_HOOK)
    usr1_log = tmp_path / "usr1.log"
    target = subprocess.Popen([sys.executable, "-c", SIGNAL_TARGET, str(usr1_log)])
    try:
        while not usr1_log.exists():
            time.sleep(0.05)
        daemon = Daemon(
            stepwasm,
            "--renew-period",
            "10s",
            "--exec",
            f"{sys.executable} {hook}",
            "--pid",
            str(target.pid),
            "--signal",
            "USR1",
        )
        daemons.append(daemon)
        ((_, start),) = daemon.wait_for(r"next renewal (\S+)$")
        planned = _utc(start.group(1))

        daemon.signal(signal.SIGHUP)
        ((forced_at, forced),) = daemon.wait_for(RENEWED, 1, timeout=15)
        assert forced_at < planned  # SIGHUP did not wait for the schedule
        (_, _), (second_at, second) = daemon.wait_for(RENEWED, 2, timeout=30)
        # The second one came on the schedule the first announced.
        assert (
            _utc(forced.group("next")) - 1
            <= second_at
            <= (_utc(forced.group("next")) + 6)
        )
        assert daemon.stop() == 0
    finally:
        target.kill()
        target.wait()

    assert daemon.text.splitlines()[-1] == "stepwasm: stopped"
    serials = [str(first.serial_number), forced["serial"], second["serial"]]
    assert len(set(serials)) == 3
    assert forced["subject"] == second["subject"] == "web.internal"
    not_afters = [_utc(forced["not_after"]), _utc(second["not_after"])]
    # A forced renewal in the second of issuance may keep the same notAfter.
    assert first.not_valid_after_utc.timestamp() <= not_afters[0] < not_afters[1]
    leaf = _check_whole(work, short_ca)
    assert str(leaf.serial_number) == second["serial"]
    assert leaf.not_valid_after_utc.timestamp() == not_afters[1]
    assert (work / "web.key").read_bytes() == key_before
    assert (work / "exec.log").read_text().split() == serials[1:]
    assert usr1_log.read_text().split() == ["USR1", "USR1"]
    assert "failed" not in daemon.text


def test_daemon_keeps_the_certificate_while_the_ca_is_down(stepwasm, make_ca, daemons):
    ca = make_ca(**SHORT)
    _enroll(stepwasm, ca)
    before = (stepwasm.cwd / "web.crt").read_bytes()
    daemon = Daemon(stepwasm, "--renew-period", "10s")
    daemons.append(daemon)
    daemon.wait_for("next renewal")
    ca.stop()

    failures = daemon.wait_for(r"renewal failed: (.*)$", 2, timeout=30)
    # An attempt during the CA's shutdown may still get its 500; once it is
    # down, the connection is refused.
    assert "connection refused" in failures[-1][1].group(1)
    for _, failure in failures:
        assert "keeping the current certificate" in failure.group(1)
        assert re.search(r"retrying in \d+ s$", failure.group(1))
    assert (stepwasm.cwd / "web.crt").read_bytes() == before
    _check_whole(stepwasm.cwd, ca)

    ca.restart()
    ((_, renewed),) = daemon.wait_for(RENEWED, 1, timeout=30)
    assert daemon.stop() == 0
    leaf = _check_whole(stepwasm.cwd, ca)
    assert str(leaf.serial_number) == renewed["serial"]
    assert leaf != x509.load_pem_x509_certificates(before)[0]


def _wait_until_expired(path: Path) -> x509.Certificate:
    leaf = _chain(path)[0]
    left = leaf.not_valid_after_utc.timestamp() - time.time()
    time.sleep(max(left, 0) + 1.5)
    return leaf


def test_an_expired_certificate_without_renewal_after_expiry(stepwasm, short_ca):
    _enroll(stepwasm, short_ca, not_after="5s")
    leaf = _wait_until_expired(stepwasm.cwd / "web.crt")
    before = (stepwasm.cwd / "web.crt").read_bytes()
    expired_at = leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    expected = (
        f"stepwasm: the certificate expired at {expired_at} and the CA refused to "
        "renew it (HTTP 401); if it should, its administrator can allow renewal "
        'after expiry with "allowRenewalAfterExpiry": true in the provisioner\'s '
        "claims; otherwise get a new certificate with ca certificate"
    )

    result = stepwasm("ca", "renew", "web.crt", "web.key")
    assert result.error_line == expected

    result = stepwasm("ca", "renew", "web.crt", "web.key", "--daemon", timeout=60)
    assert result.code == 1
    assert result.stderr.strip().splitlines()[-1] == expected
    assert (stepwasm.cwd / "web.crt").read_bytes() == before


def test_an_expired_certificate_with_renewal_after_expiry(
    stepwasm, lenient_ca, daemons
):
    _enroll(stepwasm, lenient_ca, not_after="5s")
    old = _wait_until_expired(stepwasm.cwd / "web.crt")

    daemon = Daemon(stepwasm)
    daemons.append(daemon)
    ((_, renewed),) = daemon.wait_for(RENEWED, 1, timeout=30)
    assert daemon.stop() == 0
    leaf = _check_whole(stepwasm.cwd, lenient_ca)
    assert str(leaf.serial_number) == renewed["serial"] != str(old.serial_number)
    assert leaf.not_valid_after_utc.timestamp() > time.time()
    # Renewal keeps the duration: 5 s, plus the minute of backdating.
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == datetime.timedelta(
        seconds=65
    )


# A process that stops in the middle of writing web.crt, to be killed there.
PAUSED_WRITE = """
import os, sys, time
from stepwasm_host.cli import main
marker, when = sys.argv[1], sys.argv[2]
real_replace = os.replace
def replace(src, dst, *args, **kwargs):
    ours = os.path.basename(str(dst)) == "web.crt"
    if ours and when == "before-rename":
        open(marker, "w").close()
        time.sleep(120)
    real_replace(src, dst, *args, **kwargs)
    if ours and when == "after-rename":
        open(marker, "w").close()
        time.sleep(120)
os.replace = replace
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("when", ["before-rename", "after-rename"])
def test_kill_9_in_the_middle_of_a_write_leaves_a_whole_certificate(
    stepwasm, short_ca, tmp_path, when
):
    _enroll(stepwasm, short_ca)
    work = stepwasm.cwd
    before = (work / "web.crt").read_bytes()
    marker = tmp_path / "paused"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PAUSED_WRITE,
            str(marker),
            when,
            "ca",
            "renew",
            "web.crt",
            "web.key",
        ],
        cwd=work,
        env=_env(stepwasm),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        temps = list(work.glob(".web.crt.*.tmp"))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    leaf = _check_whole(work, short_ca)
    if when == "before-rename":
        assert (work / "web.crt").read_bytes() == before
        # The new chain was whole in its temporary file, never in web.crt.
        assert len(temps) == 1
        assert x509.load_pem_x509_certificates(temps[0].read_bytes())[0] != leaf
    else:
        assert leaf != _chain_from(before)[0]
        assert temps == []
    # Whatever the crash left, the next renewal works from it.
    result = stepwasm("ca", "renew", "web.crt", "web.key")
    assert result.code == 0, result.stderr
    assert _check_whole(work, short_ca) != leaf


def _chain_from(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


def test_two_daemons_on_the_same_files(stepwasm, short_ca, daemons):
    _enroll(stepwasm, short_ca)
    key_before = (stepwasm.cwd / "web.key").read_bytes()
    pair = [Daemon(stepwasm, "--renew-period", "10s") for _ in range(2)]
    daemons.extend(pair)
    for daemon in pair:
        daemon.wait_for("next renewal")
    for _ in range(3):
        for daemon in pair:
            daemon.signal(signal.SIGHUP)
        time.sleep(1.5)
    for daemon in pair:
        daemon.wait_for(RENEWED, 3, timeout=30)
    assert [daemon.stop() for daemon in pair] == [0, 0]

    logged = {m["serial"] for d in pair for _, m in d.matching(RENEWED)}
    assert len(logged) >= 6
    leaf = _check_whole(stepwasm.cwd, short_ca)
    assert str(leaf.serial_number) in logged
    assert (stepwasm.cwd / "web.key").read_bytes() == key_before
    for daemon in pair:
        assert "failed" not in daemon.text
        assert daemon.text.splitlines()[-1] == "stepwasm: stopped"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peer_serial(connection: http.client.HTTPSConnection) -> str:
    der = connection.sock.getpeercert(binary_form=True)
    return str(x509.load_der_x509_certificate(der).serial_number)


def test_the_https_example_rotates_under_a_live_connection(short_ca, tmp_path):
    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "host"), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "examples" / "https_rotation.py"),
            "--ca-url",
            short_ca.ca_url,
            "--fingerprint",
            short_ca.pki.root_fingerprint,
            "--provisioner",
            short_ca.pki.provisioner_name,
            "--password-file",
            str(short_ca.pki.provisioner_password_file),
            "--port",
            str(port),
            "--not-after",
            "30s",
            "--renew-period",
            "10s",
            "--workdir",
            str(tmp_path / "example"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        serving = proc.stdout.readline()
        assert serving.startswith(f"serving https://127.0.0.1:{port}/ with serial "), (
            serving
        )
        context = ssl.create_default_context(cafile=str(short_ca.pki.root_cert))
        live = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, timeout=10
        )
        live.request("GET", "/")
        response = live.getresponse()
        first = _peer_serial(live)
        assert response.status == 200
        assert response.read().decode() == (
            f"hello; the current certificate's serial is {first}\n"
        )
        sock = live.sock

        renewed = proc.stdout.readline()  # blocks until the rotation
        match = re.match(r"renewed: serial (\d+), notAfter", renewed)
        assert match, renewed
        second = match.group(1)
        assert second != first

        live.request("GET", "/")
        response = live.getresponse()
        assert response.status == 200
        assert response.read().decode() == (
            f"hello; the current certificate's serial is {second}\n"
        )
        assert live.sock is sock  # the same connection, not a new one
        assert _peer_serial(live) == first
        live.close()

        fresh = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, timeout=10
        )
        fresh.request("GET", "/")
        assert fresh.getresponse().status == 200
        assert _peer_serial(fresh) == second
        fresh.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out.splitlines()[-1] == "stopped"


def test_rotation_contexts_follow_the_renewals_on_both_sides(short_ca, tmp_path):
    """mTLS between a server and a client context of one Rotation."""
    (tmp_path / "work").mkdir()
    with Client(tmp_path / "step", tmp_path / "work") as client:
        client.bootstrap(short_ca.ca_url, short_ca.pki.root_fingerprint)
        issued = client.certificate(
            "127.0.0.1",
            provisioner=short_ca.pki.provisioner_name,
            password=short_ca.pki.provisioner_password,
        )
        client.storage.write("files", "web.crt", issued.chain, secret=False)
        client.storage.write("files", "web.key", issued.key, secret=True)
        seen: list[str] = []
        with Rotation(
            client, "web.crt", "web.key", on_renewed=lambda r: seen.append(r.serial)
        ) as rotation:
            server = rotation.server_context()
            server.verify_mode = ssl.CERT_REQUIRED
            server.load_verify_locations(cadata=client.read_profile().root.decode())
            peer = rotation.client_context()
            assert rotation.current.serial == issued.serial

            assert _mutual_serials(server, peer) == (issued.serial, issued.serial)
            rotation.renew_now()
            assert rotation.wait_for_renewal(0, timeout=20)
            assert rotation.error is None
            assert seen == [rotation.current.serial] != [issued.serial]
            assert _mutual_serials(server, peer) == (seen[0], seen[0])


def _mutual_serials(server: ssl.SSLContext, peer: ssl.SSLContext) -> tuple[str, str]:
    """One handshake; the serials each side saw of the other's certificate."""
    listener = socket.create_server(("127.0.0.1", 0))
    got: dict[str, str] = {}

    def accept() -> None:
        conn, _ = listener.accept()
        with server.wrap_socket(conn, server_side=True) as tls:
            der = tls.getpeercert(binary_form=True)
            got["client"] = str(x509.load_der_x509_certificate(der).serial_number)
            tls.sendall(b"ok")

    thread = threading.Thread(target=accept)
    thread.start()
    raw = socket.create_connection(listener.getsockname(), timeout=10)
    with peer.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.recv(2) == b"ok"
        der = tls.getpeercert(binary_form=True)
        server_serial = str(x509.load_der_x509_certificate(der).serial_number)
    thread.join(10)
    listener.close()
    return server_serial, got["client"]


def test_the_https_example_removes_its_temporary_directory(ca, tmp_path):
    """Without --workdir the example keeps its key in a temporary directory,
    removed however it ends: here a bootstrap refused for its fingerprint."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "host"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "https_rotation.py"),
            "--ca-url",
            ca.ca_url,
            "--fingerprint",
            "ab" * 32,
            "--provisioner",
            ca.pki.provisioner_name,
            "--password-file",
            str(ca.pki.provisioner_password_file),
            "--port",
            str(_free_port()),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("https_rotation: the CA has no root with fingerprint")
    assert list(temp.iterdir()) == []
