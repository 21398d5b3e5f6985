"""`stepwasm ca renew CRT KEY --daemon`: renew in the foreground until stopped.

The component checks the command line (`plan-daemon`), says when to renew
(`next-renewal`) and renews (`renew-files`); this module owns what WASI
cannot do: the wait, the signals and the processes.

- SIGHUP renews at once; SIGTERM and SIGINT stop after the current step.
- After each renewal: `--pid` gets `--signal` (default SIGHUP), then `--exec`
  runs, its words split by the core as a shell would but run without one.
- One line on stderr per renewal: subject, new serial, new notAfter and the
  next renewal time; one per failure, with the retry time.
- A certificate that expired and that the CA will not renew ends the daemon
  with one line and exit code 1.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from .api import Client, DaemonPlan, Renewal
from .errors import ComponentTrap, InputError, StepwasmError
from .rotation import FIRST_RETRY, MAX_RETRY, Renewer, iso_time

__all__ = ["Daemon", "is_daemon_command", "main", "signal_number"]

#: How long `--exec` may run before it is killed.
EXEC_TIMEOUT = 300.0


def is_daemon_command(args: Sequence[str]) -> bool:
    """`ca renew ... --daemon`, and not a request for help."""
    return (
        list(args[:2]) == ["ca", "renew"]
        and "--daemon" in args
        and not {"-h", "--help"} & set(args)
    )


def signal_number(name: str) -> signal.Signals:
    """SIGHUP, HUP or 1 as a signal; InputError for anything else."""
    text = name.strip().upper()
    try:
        if text.isdigit():
            return signal.Signals(int(text))
        return signal.Signals[text if text.startswith("SIG") else "SIG" + text]
    except (KeyError, ValueError):
        raise InputError(f"--signal {name}: not a signal on this system") from None


class Daemon:
    """The renewal loop of `ca renew --daemon`, with its signals and hooks."""

    def __init__(
        self,
        client: Client,
        plan: DaemonPlan,
        *,
        out: TextIO | None = None,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
    ) -> None:
        self.plan = plan
        self.out = out or sys.stderr
        self.signal = signal_number(plan.signal) if plan.pid else None
        self.renewer = Renewer(
            client,
            plan.files,
            on_renewed=self._renewed,
            on_failure=self._failed,
            first_retry=first_retry,
            max_retry=max_retry,
        )

    def run(self) -> int:
        """Renew until SIGTERM or SIGINT; the exit code."""
        current = self.renewer.load()
        # Handlers first: the start line tells a supervisor it may signal us.
        previous = _install_signals(
            {
                signal.SIGHUP: lambda *_: self.renewer.renew_now(),
                signal.SIGTERM: lambda *_: self.renewer.stop(),
                signal.SIGINT: lambda *_: self.renewer.stop(),
            }
        )
        previous_fd = signal.set_wakeup_fd(self.renewer.wakeup_fd)
        try:
            self._say(
                f"renewing {self.plan.files.crt_file} ({current.subject}, serial "
                f"{current.serial}, notAfter {iso_time(current.not_after)}); "
                f"next renewal {iso_time(current.renew_at)}"
            )
            self.renewer.run()
        finally:
            signal.set_wakeup_fd(previous_fd)
            _install_signals(previous)
            self.renewer.close()
        self._say("stopped")
        return 0

    def _renewed(self, renewal: Renewal) -> None:
        for line in renewal.warnings:
            self._say(line)
        self._say(
            f"renewed {renewal.subject}: serial {renewal.serial}, notAfter "
            f"{iso_time(renewal.not_after)}, next renewal {iso_time(renewal.renew_at)}"
        )
        if self.signal is not None:
            try:
                os.kill(self.plan.pid, self.signal)
            except OSError as e:
                self._say(f"cannot signal --pid {self.plan.pid}: {e.strerror}")
        if self.plan.exec_args:
            self._exec(self.plan.exec_args)

    def _failed(self, error: StepwasmError, delay: float) -> None:
        current = self.renewer.current
        kept = f" (notAfter {iso_time(current.not_after)})" if current else ""
        self._say(
            f"renewal failed: {error}; keeping the current certificate{kept}, "
            f"retrying in {delay:.0f} s"
        )

    def _exec(self, argv: Sequence[str]) -> None:
        shown = argv[0]
        try:
            done = subprocess.run(
                list(argv), stdin=subprocess.DEVNULL, timeout=EXEC_TIMEOUT, check=False
            )
        except OSError as e:
            self._say(f"--exec {shown}: cannot run: {e.strerror or e}")
        except subprocess.TimeoutExpired:
            self._say(f"--exec {shown}: killed after {EXEC_TIMEOUT:.0f} s")
        else:
            if done.returncode != 0:
                self._say(f"--exec {shown}: exited with status {done.returncode}")

    def _say(self, line: str) -> None:
        print(f"stepwasm: {line}", file=self.out, flush=True)


def main(args: Sequence[str], client_factory: Callable[[], Client] = Client) -> int:
    """Run the daemon for `stepwasm ARGS`; the exit code."""
    try:
        client = client_factory()
        plan = client.plan_daemon(list(args))
        _check_hooks(plan)
        return Daemon(client, plan).run()
    except ComponentTrap as e:
        _fail(str(e))
        return 2
    except StepwasmError as e:
        _fail(str(e))
        return 1


def _check_hooks(plan: DaemonPlan) -> None:
    """Refuse at start an --exec or --pid that could only fail after a renewal."""
    if plan.exec_args and shutil.which(plan.exec_args[0]) is None:
        raise InputError(f"--exec {plan.exec_args[0]}: no such program")
    if plan.pid:
        try:
            os.kill(plan.pid, 0)
        except ProcessLookupError:
            raise InputError(f"--pid {plan.pid}: no such process") from None
        except PermissionError:
            raise InputError(f"--pid {plan.pid}: not allowed to signal it") from None


def _fail(message: str) -> None:
    sys.stdout.flush()
    print(f"stepwasm: {message}", file=sys.stderr, flush=True)


def _install_signals(handlers: dict) -> dict:
    """Set handlers; return the ones they replace."""
    return {
        signum: signal.signal(signum, handler) for signum, handler in handlers.items()
    }
