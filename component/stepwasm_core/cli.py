"""The command line, with step's syntax: `ca bootstrap`, `ca certificate`, ...

Status lines go to stderr and data (tokens, PEM, JSON) to stdout, as step
does. Every failure ends in one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from . import certcli, certinfo, renewal
from .bootstrap import bootstrap
from .caclient import CAClient
from .crypto import keys
from .csr import split_sans
from .errors import CAError, InputError, StepwasmError
from .fingerprint import ENCODINGS, fingerprint, normalize_fingerprint
from .issue import (
    check_token,
    find_provisioner,
    new_revoke_token,
    new_sign_token,
    revoke_certificate,
    sign_certificate,
)
from .keyspec import key_spec
from .names import printable
from .pem import load_certificates, to_pem
from .ports import Storage, Transport
from .profile import Profile, resolve_profile
from .provisioner import list_provisioners
from .schedule import certificate_times
from .userfiles import (
    CleanPaths,
    check_outputs,
    read_private_key,
    read_user_file,
    write_files,
)
from .validity import parse_time_or_duration

__all__ = ["Context", "main"]

VERSION = "0.1.0"
_OUT_CHUNK = 4096
TICK = "✔"


@dataclass
class Context:
    """What a command may use: the two ports and the two output streams."""

    transport: Transport
    storage: Storage
    stdout: TextIO
    stderr: TextIO
    #: How to name $STEPPATH in messages (the host knows the real path).
    steppath: str = "$STEPPATH"
    clock: Callable[[], float] = field(default=time.time)
    #: Reads standard input, at most the given number of bytes, where the
    #: host lends one.
    read_stdin: Callable[[int], bytes] | None = None
    debug: bool = False

    def say(self, line: str) -> None:
        print(line, file=self.stderr)

    def out(self, text: str) -> None:
        if not text.endswith("\n"):
            text += "\n"
        # Small pieces, each flushed: a WASI stdout may take only part of a
        # large write, and what it does not take would be lost.
        for start in range(0, len(text), _OUT_CHUNK):
            self.stdout.write(text[start : start + _OUT_CHUNK])
            self.stdout.flush()


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse that reports one line instead of exiting the process."""

    def __init__(self, *args, out: TextIO | None = None, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._out = out

    def error(self, message: str) -> None:
        command = self.prog.partition(" ")[2]
        raise InputError(f"{command}: {message}" if command else message)

    def exit(self, status: int = 0, message: str | None = None) -> None:
        if message:
            raise InputError(message.strip())
        raise _Exit(status)

    def _print_message(self, message: str, file=None) -> None:
        if message and self._out is not None:
            self._out.write(message)


def _bool_flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


def _add_ca_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca-url", default="", help="the CA's URL (default: profile)")
    parser.add_argument("--root", default="", help="the root certificate to trust")


def _add_provisioner_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provisioner",
        "--issuer",
        default="",
        dest="provisioner",
        help="the JWK provisioner's name",
    )
    parser.add_argument(
        "--kid",
        "--provisioner-kid",
        default="",
        dest="kid",
        help="the provisioner's key id, when the name is shared",
    )
    parser.add_argument(
        "--password-file", default="", help="file with the provisioner's password"
    )


def _add_validity_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--not-before", default="", help="RFC 3339 time or duration such as 5m"
    )
    parser.add_argument(
        "--not-after", default="", help="RFC 3339 time or duration such as 24h"
    )


def build_parser(out: TextIO) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stepwasm",
        out=out,
        description="A step-like certificate client in WebAssembly.",
    )
    top = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    top.required = True

    ca = top.add_parser("ca", help="talk to the CA", out=out)
    ca_cmds = ca.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    ca_cmds.required = True

    p = ca_cmds.add_parser(
        "bootstrap", help="trust a CA by its root fingerprint", out=out
    )
    p.add_argument("--ca-url", required=True)
    p.add_argument("--fingerprint", required=True)
    p.add_argument("--force", action="store_true")
    p.add_argument(
        "--install",
        action="store_true",
        help="not supported: the sandbox has no system trust store",
    )
    p.set_defaults(run=cmd_bootstrap)

    p = ca_cmds.add_parser("token", help="make a one-time token", out=out)
    p.add_argument("subject")
    p.add_argument("--san", action="append", default=[])
    p.add_argument(
        "--revoke",
        action="store_true",
        help="a revoke token: SUBJECT is the serial number",
    )
    p.add_argument("--output-file", default="")
    _add_provisioner_flags(p)
    _add_validity_flags(p)
    _add_ca_flags(p)
    p.set_defaults(run=cmd_token)

    p = ca_cmds.add_parser(
        "certificate", help="get a certificate for a new key", out=out
    )
    p.add_argument("subject")
    p.add_argument("crt_file")
    p.add_argument("key_file")
    p.add_argument("--token", default="")
    p.add_argument("--san", action="append", default=[])
    p.add_argument("--kty", default="EC", type=str.upper, choices=["EC", "OKP", "RSA"])
    p.add_argument("--curve", "--crv", default="", dest="curve")
    p.add_argument("--size", default=2048, type=int)
    p.add_argument(
        "--force", "-f", action="store_true", help="overwrite CRT_FILE and KEY_FILE"
    )
    _add_provisioner_flags(p)
    _add_validity_flags(p)
    _add_ca_flags(p)
    p.set_defaults(run=cmd_certificate)

    p = ca_cmds.add_parser(
        "renew", help="renew a certificate, keeping its key", out=out
    )
    p.add_argument("crt_file")
    p.add_argument("key_file")
    p.add_argument("--out", "--output-file", default="", dest="out")
    p.add_argument("--force", "-f", action="store_true")
    p.add_argument(
        "--mtls",
        nargs="?",
        const=True,
        default=True,
        type=_bool_flag,
        help="renew over mTLS (default true); --mtls=false uses a token",
    )
    p.add_argument(
        "--daemon",
        action="store_true",
        help="keep renewing in the foreground (run by the host)",
    )
    p.add_argument(
        "--expires-in",
        default=None,
        metavar="D",
        help="renew when less than this is left, e.g. 1h",
    )
    p.add_argument(
        "--renew-period",
        default=None,
        metavar="D",
        help="with --daemon: renew this long after each issuance",
    )
    p.add_argument(
        "--exec",
        default="",
        dest="exec_cmd",
        metavar="CMD",
        help="with --daemon: run this command after each renewal",
    )
    p.add_argument(
        "--pid",
        default=0,
        type=int,
        metavar="N",
        help="with --daemon: signal this process after each renewal",
    )
    p.add_argument(
        "--signal",
        default="",
        metavar="S",
        help="with --pid: the signal to send (default SIGHUP)",
    )
    _add_ca_flags(p)
    p.set_defaults(run=cmd_renew)

    p = ca_cmds.add_parser("revoke", help="revoke a certificate", out=out)
    p.add_argument("serial", nargs="?", default="")
    p.add_argument("--cert", default="")
    p.add_argument("--key", default="")
    p.add_argument("--token", default="")
    p.add_argument("--reason", default="")
    p.add_argument(
        "--reasonCode", "--reason-code", default=0, type=int, dest="reason_code"
    )
    _add_provisioner_flags(p)
    _add_ca_flags(p)
    p.set_defaults(run=cmd_revoke)

    p = ca_cmds.add_parser("root", help="print or save the root certificate", out=out)
    p.add_argument("root_file", nargs="?", default="")
    p.add_argument("--fingerprint", default="")
    p.add_argument("--force", "-f", action="store_true")
    _add_ca_flags(p)
    p.set_defaults(run=cmd_root)

    p = ca_cmds.add_parser("health", help="ask the CA whether it is up", out=out)
    _add_ca_flags(p)
    p.set_defaults(run=cmd_health)

    prov = ca_cmds.add_parser("provisioner", help="provisioners", out=out)
    prov_cmds = prov.add_subparsers(
        dest="subcommand", metavar="COMMAND", parser_class=_Parser
    )
    prov_cmds.required = True
    p = prov_cmds.add_parser("list", help="list every provisioner (JSON)", out=out)
    _add_ca_flags(p)
    p.set_defaults(run=cmd_provisioner_list)

    cert = top.add_parser("certificate", help="work with certificates", out=out)
    cert_cmds = cert.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )
    cert_cmds.required = True

    p = cert_cmds.add_parser("inspect", help="print a certificate", out=out)
    p.add_argument("file", help="a file, - for standard input, or https://host[:port]")
    p.add_argument("--short", action="store_true")
    p.add_argument("--format", default="text", choices=["text", "json", "pem"])
    p.add_argument("--bundle", action="store_true")
    p.add_argument(
        "--roots",
        default="",
        help="https:// only: verify the server's chain against these",
    )
    p.add_argument(
        "--insecure",
        action="store_true",
        help="https:// only: do not verify the server's chain",
    )
    p.set_defaults(run=cmd_inspect)

    p = cert_cmds.add_parser("fingerprint", help="a certificate's fingerprint", out=out)
    p.add_argument("file")
    p.add_argument("--sha1", action="store_true")
    p.add_argument("--sha256", action="store_true")
    p.add_argument("--format", default="hex", choices=list(ENCODINGS))
    p.add_argument("--bundle", action="store_true")
    p.set_defaults(run=cmd_fingerprint)
    certcli.add_commands(cert_cmds, top, out)

    p = top.add_parser("version", help="print the version", out=out)
    p.add_argument(
        "--modules",
        action="store_true",
        help="also list the Python modules loaded (for build checks)",
    )
    p.set_defaults(run=cmd_version)
    return parser


# -- helpers -------------------------------------------------------------------


def _profile(ctx: Context, args) -> Profile:
    return resolve_profile(ctx.storage, ca_url=args.ca_url, root_file=args.root)


def _client(ctx: Context, profile: Profile) -> CAClient:
    return CAClient(
        ctx.transport,
        profile.ca_url,
        [profile.root_der],
        clock=ctx.clock,
        on_warning=ctx.say,
    )


#: A password file is a line; anything far larger is the wrong file.
_MAX_PASSWORD_FILE = 64 * 1024


def _read_password(ctx: Context, path: str) -> bytes:
    if not path:
        raise InputError("--password-file is required to decrypt the provisioner key")
    data = read_user_file(ctx.storage, path, "--password-file")
    if len(data) > _MAX_PASSWORD_FILE:
        raise InputError(
            f"--password-file {path}: too large to be a password file "
            f"(over {_MAX_PASSWORD_FILE // 1024} KiB)"
        )
    password = data.rstrip(b"\r\n")
    if not password:
        raise InputError(f"--password-file {path}: the file is empty")
    return password


def _load_chain(ctx: Context, path: str) -> list:
    data = read_user_file(ctx.storage, path, "certificate")
    return load_certificates(data, source=path)


def _load_key(ctx: Context, path: str) -> keys.PrivateKey:
    return read_private_key(ctx.storage, path, "key")


def _check_validity_flags(args, now: float) -> None:
    for flag, value in (
        ("--not-before", args.not_before),
        ("--not-after", args.not_after),
    ):
        if value:
            parse_time_or_duration(value, now, flag)


def _key_spec(args) -> tuple[str, str, int]:
    return key_spec(args.kty, args.curve, args.size)


def _provisioner_line(provisioner) -> str:
    return (
        f"{TICK} Provisioner: {provisioner.name} ({provisioner.type}) "
        f"[kid: {provisioner.kid}]"
    )


# -- commands ------------------------------------------------------------------


def cmd_bootstrap(ctx: Context, args) -> int:
    if args.install:
        raise InputError("--install is not supported: the sandbox has no trust store")
    profile = bootstrap(
        ctx.transport,
        ctx.storage,
        args.ca_url,
        args.fingerprint,
        force=args.force,
        root_display=f"{ctx.steppath}/certs/root_ca.crt",
    )
    ctx.say(f"The root certificate has been saved in {ctx.steppath}/certs/root_ca.crt.")
    ctx.say(
        "The authority configuration has been saved in "
        f"{ctx.steppath}/config/defaults.json."
    )
    del profile
    return 0


def cmd_token(ctx: Context, args) -> int:
    _check_validity_flags(args, ctx.clock())
    if not args.provisioner:
        raise InputError("--provisioner is required to make a token")
    profile = _profile(ctx, args)
    client = _client(ctx, profile)
    provisioner = find_provisioner(client, args.provisioner, args.kid)
    password = _read_password(ctx, args.password_file)
    if args.revoke:
        token = new_revoke_token(
            client, profile, provisioner, password, serial=args.subject
        )
    else:
        token = new_sign_token(
            client,
            profile,
            provisioner,
            password,
            subject=args.subject,
            sans=args.san,
            not_before=args.not_before,
            not_after=args.not_after,
        )
    ctx.say(_provisioner_line(provisioner))
    if args.output_file:
        write_files(ctx.storage, [(args.output_file, token.encode() + b"\n", True)])
    else:
        ctx.out(token)
    return 0


def cmd_certificate(ctx: Context, args) -> int:
    now = ctx.clock()
    _check_validity_flags(args, now)
    kty, curve, size = _key_spec(args)
    if args.crt_file == args.key_file:
        raise InputError("CRT_FILE and KEY_FILE must be different files")
    check_outputs(ctx.storage, [args.crt_file, args.key_file], force=args.force)
    if not args.token.strip():  # the names, before the slow key and token work
        split_sans(args.san or [args.subject])
    profile = _profile(ctx, args)
    client = _client(ctx, profile)
    # The key first: a large RSA key takes long enough to age a fresh token.
    key = keys.generate_key(kty, curve, size)

    token = args.token.strip()
    if token:
        if args.san:
            raise InputError("--san cannot be used with --token: the token has them")
        check_token(token, args.subject, now)
    else:
        if not args.provisioner:
            raise InputError(
                "ca certificate needs --token, or --provisioner and --password-file"
            )
        provisioner = find_provisioner(client, args.provisioner, args.kid)
        password = _read_password(ctx, args.password_file)
        token = new_sign_token(
            client, profile, provisioner, password, subject=args.subject, sans=args.san
        )
        ctx.say(_provisioner_line(provisioner))

    issued = sign_certificate(
        client,
        profile,
        subject=args.subject,
        token=token,
        key=key,
        not_before=args.not_before,
        not_after=args.not_after,
    )
    write_files(
        ctx.storage,
        [
            (args.crt_file, issued.chain_pem, False),
            (args.key_file, key.to_pem(), True),
        ],
    )
    ctx.say(f"{TICK} CA: {client.ca_url}")
    ctx.say(f"{TICK} Certificate: {args.crt_file}")
    ctx.say(f"{TICK} Private Key: {args.key_file}")
    return 0


def cmd_renew(ctx: Context, args) -> int:
    plan = renewal.daemon_plan(args)
    if args.daemon:
        # The loop needs signals, sleep and processes: the host runs it
        # (stepwasm_host.daemon), asking the core for the plan and schedule.
        raise InputError(
            "ca renew --daemon runs in the stepwasm command, not through this interface"
        )
    if args.renew_period or args.exec_cmd or args.pid or args.signal:
        raise InputError("--renew-period, --exec, --pid and --signal need --daemon")
    if args.out and args.out != args.crt_file:
        check_outputs(ctx.storage, [args.out], force=args.force)
    expires_in, _ = plan.files.options.seconds()
    if expires_in is not None:
        leaf = _load_chain(ctx, args.crt_file)[0]
        left = certificate_times(leaf)[1] - ctx.clock()
        if left > expires_in:
            ctx.say(
                f"The certificate in {args.crt_file} has {left:.0f} s left, "
                f"more than --expires-in {args.expires_in}: not renewed."
            )
            return 0
    # The options only decided whether to renew: no schedule is made here.
    files = dataclasses.replace(plan.files, options=renewal.RenewalOptions())
    renewal.renew_files(
        ctx.transport, ctx.storage, files, clock=ctx.clock, on_warning=ctx.say
    )
    ctx.say(f"Your certificate has been saved in {plan.files.target}.")
    return 0


def parse_daemon_plan(
    argv: list[str], storage: Storage | None = None
) -> renewal.DaemonPlan:
    """`ca renew CRT KEY --daemon ...` checked into the plan the host runs.

    With `storage`, the files are checked too: a daemon should fail at its
    start, not at its first renewal hours later.
    """
    args = build_parser(io.StringIO()).parse_args(argv)
    if (args.group, getattr(args, "command", "")) != ("ca", "renew") or not args.daemon:
        raise InputError("the daemon runs ca renew CRT KEY --daemon")
    plan = renewal.daemon_plan(args)
    if storage is not None:  # the key and certificate, checked at start
        renewal.load_key_pair(storage, args.crt_file, args.key_file)
    return plan


def cmd_revoke(ctx: Context, args) -> int:
    profile = _profile(ctx, args)
    client = _client(ctx, profile)
    chain = key = None
    serial = args.serial
    token = args.token.strip()
    if args.cert or args.key:
        if not (args.cert and args.key):
            raise InputError("--cert and --key go together")
        chain = _load_chain(ctx, args.cert)
        key = _load_key(ctx, args.key)
        serial = serial or str(chain[0].serial_number)
    if not serial:
        raise InputError("ca revoke needs a SERIAL, or --cert and --key")
    if not serial.isdigit():
        raise InputError(f"serial {serial!r}: expected a decimal number")
    if not token and chain is None:
        if not args.provisioner:
            raise InputError(
                "ca revoke needs --token, --cert and --key, or "
                "--provisioner and --password-file"
            )
        provisioner = find_provisioner(client, args.provisioner, args.kid)
        password = _read_password(ctx, args.password_file)
        token = new_revoke_token(client, profile, provisioner, password, serial=serial)
        ctx.say(_provisioner_line(provisioner))
    revoke_certificate(
        client,
        serial=serial,
        reason_code=args.reason_code,
        reason=args.reason,
        token=token,
        chain=chain,
        key=key,
    )
    ctx.say(f"Certificate with Serial Number {serial} has been revoked.")
    return 0


def cmd_root(ctx: Context, args) -> int:
    profile = _profile(ctx, args)
    client = _client(ctx, profile)
    wanted = normalize_fingerprint(args.fingerprint or profile.fingerprint)
    pem, _ = client.root(wanted)
    der = load_certificates(pem.encode(), source="the CA's root")[0].dump()
    if fingerprint(der) != wanted:
        raise InputError("the CA's root does not have the expected fingerprint")
    data = to_pem("CERTIFICATE", der)
    if args.root_file:
        check_outputs(ctx.storage, [args.root_file], force=args.force)
        write_files(ctx.storage, [(args.root_file, data, False)])
        ctx.say(f"The root certificate has been saved in {args.root_file}.")
    else:
        ctx.out(data.decode("ascii"))
    return 0


def cmd_health(ctx: Context, args) -> int:
    profile = _profile(ctx, args)
    status = _client(ctx, profile).health()
    if status != "ok":
        shown = repr(status[:80]) if status else "no status"
        raise CAError(200, f"its health answer says {shown}, not 'ok'")
    ctx.out(status)
    return 0


def cmd_provisioner_list(ctx: Context, args) -> int:
    profile = _profile(ctx, args)
    provisioners = list_provisioners(_client(ctx, profile))
    ctx.out(json.dumps([p.raw for p in provisioners], indent=3))
    return 0


def cmd_inspect(ctx: Context, args) -> int:
    if args.file.lower().startswith(("https://", "http://")):
        ctx.out(certcli.inspect_url(ctx, args))
        return 0
    if args.roots or args.insecure:
        raise InputError("--roots and --insecure are for https:// addresses only")
    data = certcli.read_input(ctx, args.file)
    fmt = "short" if args.short and args.format == "text" else args.format
    ctx.out(certinfo.inspect(data, source=args.file, format=fmt, bundle=args.bundle))
    return 0


def cmd_fingerprint(ctx: Context, args) -> int:
    data = certcli.read_input(ctx, args.file)
    certs = load_certificates(data, source=args.file)
    algorithm = "sha1" if args.sha1 else "sha256"
    for cert in certs if args.bundle else certs[:1]:
        ctx.out(fingerprint(cert.dump(), algorithm, encoding=args.format))
    return 0


def cmd_version(ctx: Context, args) -> int:
    ctx.out(f"stepwasm {VERSION} (Python {sys.version.split()[0]}, {sys.platform})")
    if args.modules:
        ctx.out("\n".join(sorted(sys.modules)))
    return 0


def run(ctx: Context, argv: list[str]) -> int:
    """`main`, then the output flushed: what `wasi:cli/run` does."""
    code = main(ctx, argv)
    try:
        ctx.stdout.flush()
        ctx.stderr.flush()
    except BrokenPipeError:
        return code or 1
    return code


def main(ctx: Context, argv: list[str]) -> int:
    """Run one command line; return the exit code."""
    ctx = dataclasses.replace(ctx, storage=CleanPaths(ctx.storage))
    parser = build_parser(ctx.stdout)
    try:
        args = parser.parse_args(argv)
        return args.run(ctx, args)
    except _Exit as done:
        return done.code
    except StepwasmError as exc:
        # One line, whatever a server or a file name put in it.
        ctx.say(f"stepwasm: {printable(str(exc))}")
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): nothing to say
        return 1
    except Exception as exc:  # a bug: one line, the traceback only on request
        if ctx.debug:
            traceback.print_exc(file=ctx.stderr)
        ctx.say(f"stepwasm: internal error: {type(exc).__name__}: {exc}")
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        return 70
