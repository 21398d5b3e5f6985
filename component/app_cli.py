"""Entry module of the standard-WASI build (world `command`): glue only.

The core's two ports are bound to what a plain WASI 0.2 runtime lends:
`TlsTransport` speaks HTTPS over `wasi:sockets` with TLS inside the sandbox,
and `FsStorage` keeps the profile in `$STEPPATH` and the file arguments in the
current directory, both preopened by the runtime.
"""

from __future__ import annotations

# Imported for the bundle: argparse's help and idna host names need them.
import encodings.idna  # noqa: F401
import os
import sys

from componentize_py_types import Err
from stepwasm_core import cli
from stepwasm_core.fsstorage import FsStorage
from stepwasm_core.tlstransport import TlsTransport
from wit_world import exports


# TODO: fall back to wasi:http where a runtime lends no sockets (some edge
# runtimes): the runtime then does TLS with its own public roots and no client
# certificate, so only CAs it already trusts could be reached, mTLS renewal
# would take the token path, and bootstrap could not see the peer chain. Not
# built: such runtimes refuse this component for its wasi:sockets imports (the
# CPython inside imports them), and importing wasi:http here would make
# `wasmtime run` need `-S http` too; it needs a third component.
def _context() -> cli.Context:
    steppath = os.environ.get("STEPPATH", "")
    if not steppath:
        home = os.environ.get("HOME", "")
        steppath = f"{home}/.step" if home else "/step"
    return cli.Context(
        transport=TlsTransport(max_timeout=_timeout()),
        storage=FsStorage(steppath, "."),
        stdout=sys.stdout,
        stderr=sys.stderr,
        steppath=steppath,
        read_stdin=lambda: sys.stdin.buffer.read(),
        debug=bool(os.environ.get("STEPWASM_DEBUG")),
    )


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
        code = cli.main(_context(), sys.argv[1:])
        sys.stdout.flush()
        sys.stderr.flush()
        if code != 0:
            raise Err(None)
