"""Renewing a certificate kept in files, and the renewal daemon's plan.

The daemon's loop belongs to the host (it owns signals, processes and
sleep); everything it decides with lives here, once: which files, which
options, and when to renew (`schedule`). `renew_files` is also what
`ca renew` runs once.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import x509

from .caclient import CAClient
from .crypto import keys
from .errors import InputError, StorageError
from .issue import Issued, common_name, key_matches, renew_certificate
from .pem import load_certificates
from .ports import FILES, Storage, Transport
from .profile import resolve_profile
from .schedule import Schedule, certificate_times, next_renewal
from .userfiles import read_private_key, read_user_file
from .validity import parse_duration

__all__ = [
    "DaemonPlan",
    "RenewFiles",
    "Renewal",
    "RenewalOptions",
    "daemon_plan",
    "renew_files",
    "schedule_chain",
]


@dataclass(frozen=True)
class RenewalOptions:
    """`--expires-in` and `--renew-period` as given (empty: not given)."""

    expires_in: str = ""
    renew_period: str = ""

    def seconds(self) -> tuple[float | None, float | None]:
        """Both durations in seconds, checked; None when not given."""
        values: list[float | None] = []
        for flag, text in (
            ("--expires-in", self.expires_in),
            ("--renew-period", self.renew_period),
        ):
            if not text:
                values.append(None)
                continue
            seconds = parse_duration(text, flag)
            if seconds <= 0:
                raise InputError(f"{flag} {text}: must be a positive duration")
            values.append(seconds)
        if values[0] is not None and values[1] is not None:
            raise InputError("use --expires-in or --renew-period, not both")
        return values[0], values[1]


@dataclass(frozen=True)
class RenewFiles:
    """One renewal of files: read `crt_file` and `key_file`, write `out_file`."""

    crt_file: str
    key_file: str
    out_file: str = ""
    mtls: bool = True
    ca_url: str = ""
    root: str = ""
    options: RenewalOptions = field(default_factory=RenewalOptions)

    @property
    def target(self) -> str:
        return self.out_file or self.crt_file


@dataclass(frozen=True)
class DaemonPlan:
    """`ca renew CRT KEY --daemon ...`, checked: what the host's loop needs."""

    files: RenewFiles
    #: `--exec`, split as a POSIX shell splits words; run without a shell.
    exec_args: tuple[str, ...] = ()
    #: `--pid`, 0 for none.
    pid: int = 0
    #: `--signal`: a name such as SIGHUP, or a number.
    signal: str = "SIGHUP"


@dataclass(frozen=True)
class Renewal:
    """The certificate in place and when to renew it next."""

    chain_pem: bytes
    subject: str
    serial: str
    schedule: Schedule
    clock_skew: float | None = None
    warnings: tuple[str, ...] = ()


def schedule_chain(
    chain_pem: bytes,
    options: RenewalOptions,
    *,
    now: float,
    last_renewal: float | None = None,
    source: str = "certificate",
) -> Renewal:
    """The schedule for the leaf of `chain_pem` under `options`."""
    chain = load_certificates(chain_pem, source=source)
    return _renewal(chain_pem, chain[0], options, now, last_renewal)


def _renewal(chain_pem, leaf, options, now, last_renewal, client=None) -> Renewal:
    expires_in, renew_period = options.seconds()
    not_before, not_after = certificate_times(leaf)
    schedule = next_renewal(
        not_before,
        not_after,
        now=now,
        last_renewal=last_renewal,
        expires_in=expires_in,
        renew_period=renew_period,
    )
    return Renewal(
        chain_pem=chain_pem,
        subject=common_name(leaf),
        serial=str(leaf.serial_number),
        schedule=schedule,
        clock_skew=client.clock_skew if client is not None else None,
        warnings=tuple(client.warnings) if client is not None else (),
    )


def renew_files(
    transport: Transport,
    storage: Storage,
    request: RenewFiles,
    *,
    clock: Callable[[], float] = time.time,
    on_warning: Callable[[str], None] | None = None,
) -> Renewal:
    """Renew the certificate in `crt_file` keeping the key in `key_file`.

    The new chain replaces `out_file` (or `crt_file`) in one atomic write, so
    a reader or a crash sees the old chain or the new one, never a mix.
    """
    request.options.seconds()  # refuse bad options before any request
    chain, key = load_key_pair(storage, request.crt_file, request.key_file)

    profile = resolve_profile(storage, ca_url=request.ca_url, root_file=request.root)
    client = CAClient(
        transport,
        profile.ca_url,
        [profile.root_der],
        clock=clock,
        on_warning=on_warning,
    )
    issued: Issued = renew_certificate(client, profile, chain, key, mtls=request.mtls)

    try:
        storage.write(FILES, request.target, issued.chain_pem, secret=False)
    except StorageError as exc:
        detail = str(exc) if request.target in str(exc) else f"{request.target}: {exc}"
        raise InputError(f"cannot write {detail}") from None
    now = clock()
    return _renewal(issued.chain_pem, issued.leaf, request.options, now, now, client)


def load_key_pair(
    storage: Storage, crt_file: str, key_file: str
) -> tuple[list[x509.Certificate], keys.PrivateKey]:
    """The chain in `crt_file` and the key in `key_file`, which must match."""
    chain = load_certificates(
        read_user_file(storage, crt_file, "certificate"), source=crt_file
    )
    key = read_private_key(storage, key_file, "key")
    if not key_matches(chain[0], key):
        raise InputError(
            f"{key_file}: the key does not match the certificate in {crt_file}"
        )
    return chain, key


def daemon_plan(args) -> DaemonPlan:
    """The plan from the parsed `ca renew` arguments (argparse namespace)."""
    for flag, text in (
        ("--expires-in", args.expires_in),
        ("--renew-period", args.renew_period),
    ):
        if text is not None and not text.strip():
            raise InputError(f"{flag}: empty value")
    options = RenewalOptions(args.expires_in or "", args.renew_period or "")
    options.seconds()
    try:
        exec_args = tuple(shlex.split(args.exec_cmd)) if args.exec_cmd else ()
    except ValueError as exc:
        raise InputError(f"--exec {args.exec_cmd!r}: {str(exc).lower()}") from None
    if args.exec_cmd and not exec_args:
        raise InputError("--exec: empty command")
    if args.pid < 0:
        raise InputError(f"--pid {args.pid}: not a process id")
    signal = (args.signal or "").strip()
    if args.signal and not args.pid:
        raise InputError("--signal needs --pid")
    if not signal:
        signal = "SIGHUP"
    elif not signal.isdigit():
        signal = signal.upper()
        if not signal.startswith("SIG"):
            signal = "SIG" + signal
    if (args.out or args.crt_file) == args.key_file:
        raise InputError(
            f"{args.key_file} is the key file: the certificate cannot go there"
        )
    files = RenewFiles(
        crt_file=args.crt_file,
        key_file=args.key_file,
        out_file=args.out,
        mtls=args.mtls,
        ca_url=args.ca_url,
        root=args.root,
        options=options,
    )
    return DaemonPlan(files=files, exec_args=exec_args, pid=args.pid, signal=signal)
