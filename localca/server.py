"""Build step-ca and run it on a loopback port with a PKI from ``localca.pki``."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from localca.pki import PKI, set_address

__all__ = [
    "BUILD_SCRIPT",
    "CAServer",
    "StartError",
    "build_step_ca",
    "runs_ca",
    "start_ca",
    "stop_pid",
]

BUILD_SCRIPT = Path(__file__).with_name("build-step-ca.sh")

# Tokens whose iat is before the server's start time are refused and iat has
# whole seconds, so wait this long after /health answers (STEP-CA-NOTES.md).
# The 0.19.0 sources truncate the start time to the second (authority.go), so
# on one clock this is a margin rather than a need; it costs one second.
_SETTLE_SECONDS = 1.0
_PORT_ATTEMPTS = 3


class StartError(RuntimeError):
    """step-ca exited or did not answer ``/health`` in time."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- step-ca log ---\n{log_tail}")
        self.log_tail = log_tail


def build_step_ca() -> Path:
    """Build step-ca (or find the cached build) and return the binary's path."""
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


class CAServer:
    """A step-ca process started by :func:`start_ca`; stop it or use ``with``."""

    def __init__(self, pki: PKI, binary: Path, log_path: Path, detach: bool) -> None:
        self.pki = pki
        self.binary = binary
        self.log_path = log_path
        self.detach = detach
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ca_url(self) -> str:
        """The CA's base URL, ``https://host:port``."""
        return self.pki.ca_url

    @property
    def port(self) -> int:
        """The port the CA listens on."""
        return int(_split_address(self.pki.address or "")[1])

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self.process.pid if self.running else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it answers ``/health``."""
        if self.running:
            raise RuntimeError("step-ca is already running")
        choose_port = self.pki.address is None or self.pki.address.endswith(":0")
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            if choose_port:
                self.pki = set_address(self.pki, f"127.0.0.1:{_free_port()}")
            try:
                self._start_once(timeout)
                return
            except StartError as error:
                in_use = "address already in use" in error.log_tail
                if not (choose_port and in_use and attempt < _PORT_ATTEMPTS):
                    raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server process this handle started (SIGTERM, then SIGKILL)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, timeout: float = 30.0) -> None:
        """Stop and start again on the same address, with the same PKI and DB."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_once(self, timeout: float) -> None:
        """Run the binary once and wait for health, or raise :class:`StartError`."""
        _check_loopback(self.pki.address or "")
        steppath = self.pki.directory / "steppath"
        steppath.mkdir(exist_ok=True)
        env = {**os.environ, "STEPPATH": str(steppath)}
        command = [
            str(self.binary),
            "--password-file",
            str(self.pki.password_file),
            str(self.pki.ca_json),
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log_offset = log.tell()
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=self.detach,
            )

        context = ssl.create_default_context(cafile=str(self.pki.root_cert))
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=context),
        )
        deadline = time.monotonic() + timeout
        while not self._healthy(opener):
            if self.process.poll() is not None:
                self.process = None
                tail = self._log_since(log_offset)
                raise StartError("step-ca exited during start-up", tail)
            if time.monotonic() > deadline:
                self.stop()
                tail = self._log_since(log_offset)
                raise StartError(f"step-ca did not answer in {timeout} s", tail)
            time.sleep(0.05)
        time.sleep(_SETTLE_SECONDS)

    def _healthy(self, opener: urllib.request.OpenerDirector) -> bool:
        """Whether ``GET /health`` answers ok; *opener* trusts only the root."""
        try:
            with opener.open(f"{self.ca_url}/health", timeout=2) as response:
                return json.load(response).get("status") == "ok"
        except (OSError, ValueError):
            return False

    def _log_since(self, offset: int) -> str:
        """The server log written since *offset*, last lines only."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        return "\n".join(lines[-40:])


def start_ca(
    pki: PKI,
    binary: str | os.PathLike[str],
    *,
    log_path: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    detach: bool = False,
) -> CAServer:
    """Start step-ca for *pki* and return once a token can be used.

    Picks a free loopback port unless the PKI fixes one, sets ``STEPPATH`` to a
    directory inside the PKI, appends the server's output to *log_path*
    (default ``<pki>/ca.log``). ``detach`` puts the server in its own session
    so that it outlives the caller.
    """
    log = Path(log_path) if log_path else pki.directory / "ca.log"
    server = CAServer(pki, Path(binary), log, detach)
    server.start(timeout)
    return server


def runs_ca(pid: int, ca_json: Path) -> bool:
    """Whether process *pid* is a step-ca serving *ca_json* (not a recycled id)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(ca_json).encode() in cmdline


def stop_pid(pid: int, ca_json: Path, timeout: float = 10.0) -> bool:
    """Stop a detached step-ca by *pid* if it still serves *ca_json*.

    Returns whether a process was signalled: SIGTERM, then SIGKILL after
    *timeout* seconds.
    """
    if not runs_ca(pid, ca_json):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while runs_ca(pid, ca_json):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    return True


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _split_address(address: str) -> tuple[str, str]:
    """``host:port`` (or ``[v6]:port``) split in two, brackets removed."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


def _check_loopback(address: str) -> None:
    """Refuse to serve anywhere but loopback: this CA is for tests and demos."""
    host = _split_address(address)[0]
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"refusing to listen on {address!r}: use a loopback address")
