"""Entry module of the standard-WASI builds (worlds `command` and
`command-http`): glue only.

The core's two ports are bound to what a plain WASI 0.2 runtime lends:
`TlsTransport` speaks HTTPS over `wasi:sockets` with TLS inside the sandbox
(in `command-http`, falling back to the runtime's `wasi:http` client where the
runtime lends no sockets), and `FsStorage` keeps the profile in `$STEPPATH` and
the file arguments in the current directory, both preopened by the runtime.
"""

from __future__ import annotations

# Imported for the bundle: argparse's help and idna host names need them.
import encodings.idna  # noqa: F401
import os
import sys

from componentize_py_types import Err
from stepwasm_core import cli
from stepwasm_core.fallback import FallbackTransport
from stepwasm_core.fsstorage import FsStorage
from stepwasm_core.ports import Transport
from stepwasm_core.tlstransport import TlsTransport
from wit_world import exports

try:  # only the `command-http` world (dist/stepwasm-cli-http.wasm) has wasi:http
    from wasihttp import WasiHttpTransport
except ImportError:
    WasiHttpTransport = None


def _transport() -> Transport:
    sockets = TlsTransport(max_timeout=_timeout())
    if WasiHttpTransport is None:
        return sockets
    return FallbackTransport(
        sockets,
        WasiHttpTransport(max_timeout=_timeout()),
        network_lent=sockets.network_lent,
        notice=lambda line: print(line, file=sys.stderr),
    )


def _context() -> cli.Context:
    steppath = os.environ.get("STEPPATH", "")
    if not steppath:
        home = os.environ.get("HOME", "")
        steppath = f"{home}/.step" if home else "/step"
    return cli.Context(
        transport=_transport(),
        storage=FsStorage(steppath, ".", on_secret=_secret_mode_warning()),
        stdout=sys.stdout,
        stderr=sys.stderr,
        steppath=steppath,
        read_stdin=lambda limit: sys.stdin.buffer.read(limit),
        debug=bool(os.environ.get("STEPWASM_DEBUG")),
    )


def _secret_mode_warning():
    """Warn for each key written, unless STEPWASM_UMASK says the runtime runs
    under a umask that keeps group and others out (e.g. 077)."""
    try:
        umask = int(os.environ.get("STEPWASM_UMASK", ""), 8)
    except ValueError:
        umask = 0
    if umask & 0o077 == 0o077:
        return None

    def warn(path: str) -> None:
        print(
            f"warning: {path}: WASI sets no file modes, so it has the runtime's "
            "default; for an owner-only key run the runtime under umask 077 "
            "(and --env STEPWASM_UMASK=077 to say so)",
            file=sys.stderr,
        )

    return warn


def _timeout() -> float | None:
    """STEPWASM_TIMEOUT: at most this many seconds per request."""
    text = os.environ.get("STEPWASM_TIMEOUT", "")
    try:
        return float(text) if text and float(text) > 0 else None
    except ValueError:
        return None


class Run(exports.Run):
    """`wasi:cli/run`: the step-like command line."""

    def run(self) -> None:
        code = cli.run(_context(), sys.argv[1:])
        if code != 0:
            raise Err(None)
