"""``python -m localca``: run a local step-ca for the README demo.

``run`` serves in the foreground until Ctrl-C; ``up`` starts it in the
background and writes ``ca.pid`` and a shell-sourceable ``ca.env``; ``down``
stops what ``up`` started. The PKI is created on first use of a directory.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

from localca.pki import METADATA_FILE, PKI, create_pki, load_pki, set_address
from localca.server import CAServer, build_step_ca, runs_ca, start_ca, stop_pid


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="python -m localca", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "start step-ca in the foreground"),
        ("up", "start step-ca in the background"),
        ("down", "stop the step-ca started by 'up'"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--dir", required=True, type=Path, help="PKI directory")
        if name != "down":
            command.add_argument("--port", type=int, help="port on 127.0.0.1")
            command.add_argument(
                "--cert-duration",
                metavar="D",
                help="a new PKI's default certificate lifetime, e.g. 2m to watch "
                "rotation (also lowers the minimum to 5s; default: step-ca's 24h)",
            )
    args = parser.parse_args(argv)

    if args.command == "down":
        return _down(args.dir)
    pki = _prepare(args.dir, args.port, args.cert_duration)
    binary = build_step_ca()
    if args.command == "run":
        return _run(pki, binary)
    return _up(pki, binary)


def _prepare(directory: Path, port: int | None, duration: str | None = None) -> PKI:
    """Load the PKI in *directory*, or create one there if it is empty."""
    if (directory / METADATA_FILE).exists():
        if duration is not None:
            raise SystemExit(
                f"--cert-duration applies to a new PKI; {directory} has one already"
            )
        pki = load_pki(directory)
        if port is not None:
            pki = set_address(pki, f"127.0.0.1:{port}")
        return pki
    if directory.exists() and any(directory.iterdir()):
        raise SystemExit(f"{directory} is neither empty nor a localca directory")
    address = f"127.0.0.1:{port}" if port is not None else None
    durations = {}
    if duration is not None:
        durations = {"min_duration": "5s", "default_duration": duration}
    try:
        return create_pki(directory, address=address, **durations)
    except ValueError as exc:
        raise SystemExit(f"--cert-duration {duration}: {exc}") from None


def _describe(server: CAServer) -> str:
    """What a client needs to know to use the CA."""
    pki = server.pki
    rows = [
        ("CA URL", server.ca_url),
        ("Root fingerprint", pki.root_fingerprint),
        ("Provisioner", pki.provisioner_name),
        ("Provisioner password file", str(pki.provisioner_password_file)),
        ("Root certificate", str(pki.root_cert)),
        ("Server log", str(server.log_path)),
    ]
    return "\n".join(f"{label + ':':27} {value}" for label, value in rows)


def _run(pki: PKI, binary: Path) -> int:
    """Serve in the foreground until interrupted."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with start_ca(pki, binary) as server:
        print(_describe(server), flush=True)
        print("step-ca is running; press Ctrl-C to stop it.", flush=True)
        try:
            assert server.process is not None
            return server.process.wait()
        except KeyboardInterrupt:
            return 0


def _up(pki: PKI, binary: Path) -> int:
    """Start in the background and record ``ca.pid`` and ``ca.env``."""
    pid_file = pki.directory / "ca.pid"
    if pid_file.exists() and runs_ca(int(pid_file.read_text()), pki.ca_json):
        raise SystemExit(f"step-ca already runs for {pki.directory} (see {pid_file})")
    server = start_ca(pki, binary, detach=True)
    pki = server.pki
    env = {
        "CA_URL": server.ca_url,
        "CA_FINGERPRINT": pki.root_fingerprint,
        "CA_PROVISIONER": pki.provisioner_name,
        "CA_PASSWORD_FILE": str(pki.provisioner_password_file),
        "CA_ROOT": str(pki.root_cert),
    }
    lines = [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    (pki.directory / "ca.env").write_text("\n".join(lines) + "\n")
    pid_file.write_text(f"{server.pid}\n")
    print(_describe(server))
    print(f"step-ca runs as pid {server.pid}; source {pki.directory / 'ca.env'}")
    return 0


def _down(directory: Path) -> int:
    """Stop the server that ``up`` started in *directory*."""
    pid_file = directory / "ca.pid"
    if not pid_file.exists():
        print(f"no {pid_file}: nothing to stop")
        return 0
    pid = int(pid_file.read_text().strip())
    if stop_pid(pid, load_pki(directory).ca_json):
        print(f"stopped step-ca (pid {pid})")
    else:
        print(f"step-ca (pid {pid}) was not running")
    pid_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
