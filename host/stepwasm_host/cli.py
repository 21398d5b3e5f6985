"""The `stepwasm` command: the component's `wasi:cli/run` with our two ports.

The arguments are passed through unchanged (`stepwasm ca bootstrap --ca-url ...`),
except that a missing provisioner password is asked for on the terminal
(`prompt.py`). The exit code is 0 when the command succeeds and 1 when it
fails. The host itself only answers `--version` and reports a missing
component or a trap.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import wasmtime

from . import __version__, daemon
from .errors import ComponentError, ComponentTrap, InputError
from .http import Http
from .prompt import PromptedStorage, ask_password
from .runtime import Ports, Runtime, default_component_path, wasmtime_version
from .storage import Storage

__all__ = ["main"]

#: The exit code when the component traps or the host fails.
EXIT_TRAP = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line in the component; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        print(f"stepwasm host {__version__} (wasmtime-py {wasmtime_version()})")
        print(f"component: {default_component_path()}")
        return 0
    if daemon.is_daemon_command(args):
        # The loop needs signals and sleep, which WASI lacks: the host runs it.
        return daemon.main(args)
    if args[:1] == ["web"]:
        # The browser host: the page runs the component, we only serve it.
        from .web import main as web_main

        return web_main(args[1:])

    try:
        args, password = ask_password(args)
        storage = Storage()
        if password is not None:
            storage = PromptedStorage(storage, password)
        runtime = Runtime()
        session = runtime.session(
            Ports(storage, Http()),
            argv=["stepwasm", *args],
            env=[("STEPPATH", str(storage.profile_root)), *_passed_env()],
            inherit_stdio=True,
        )
        ok = session.run_cli()
    except wasmtime.ExitTrap as e:
        return e.code
    except (ComponentError, InputError) as e:
        return _fail(str(e), 1)
    except ComponentTrap as e:
        return _fail(str(e), EXIT_TRAP)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug in the host: say so in one line
        if os.environ.get("STEPWASM_DEBUG"):
            raise
        return _fail(f"host error: {type(e).__name__}: {e}", EXIT_TRAP)
    return 0 if ok else 1


def _passed_env() -> list[tuple[str, str]]:
    """The host's variables the component reads too (STEPWASM_DEBUG shows
    the component's tracebacks)."""
    value = os.environ.get("STEPWASM_DEBUG")
    return [("STEPWASM_DEBUG", value)] if value else []


def _fail(message: str, code: int) -> int:
    sys.stdout.flush()
    print(f"stepwasm: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
