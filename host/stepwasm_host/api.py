"""The embedding API: typed calls into `stepwasm:client/api`.

    client = Client(steppath="/srv/step")
    profile = client.bootstrap("https://ca.internal:9000", fingerprint)
    issued = client.certificate("web.internal", provisioner="admin", password=pw)

WIT records come back as frozen dataclasses; an `error` record becomes the
matching `StepwasmError` subclass; a trap becomes `ComponentTrap`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from wasmtime import component as wc

from .errors import InputError, error_from_kind
from .http import Http
from .runtime import API, Ports, Runtime, Session
from .storage import Storage

__all__ = [
    "Client",
    "DaemonPlan",
    "Issued",
    "KeySpec",
    "Profile",
    "RenewFiles",
    "Renewal",
    "RunResult",
]

log = logging.getLogger(__name__)
_component_log = logging.getLogger("stepwasm_host.component")

#: Read by the core (`stepwasm_core.provisioner.KEY_CACHE_ENV`).
PROVISIONER_KEY_TTL_ENV = "STEPWASM_PROVISIONER_KEY_TTL"

Secret = bytes | str


@dataclass(frozen=True)
class Profile:
    """The saved CA: its URL, root fingerprint and root certificate (PEM)."""

    ca_url: str
    fingerprint: str
    root: bytes


@dataclass(frozen=True)
class KeySpec:
    """The key to generate: `kty` "EC", "OKP" or "RSA"."""

    kty: str = "EC"
    curve: str = "P-256"
    size: int = 0


@dataclass(frozen=True)
class Issued:
    """A certificate chain (PEM, leaf first) and its key (PEM, may be empty)."""

    chain: bytes
    key: bytes
    serial: str
    subject: str
    not_before: str
    not_after: str


@dataclass(frozen=True)
class Renewal:
    """A certificate in place and when the core says to renew it (UTC)."""

    chain: bytes
    subject: str
    serial: str
    not_before: datetime
    not_after: datetime
    renew_at: datetime
    #: The CA's clock minus ours in seconds, when a request measured it.
    clock_skew: float | None = None
    #: Lines for the user, such as a clock skew warning.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenewFiles:
    """Renew `crt_file` keeping `key_file`; the chain goes to `out_file`."""

    crt_file: str
    key_file: str
    out_file: str = ""
    mtls: bool = True
    ca_url: str = ""
    root: str = ""
    #: Renew when less than this is left, e.g. "10m" ("" for the default).
    expires_in: str = ""
    #: Renew this long after issuance, e.g. "8h" ("" for the default).
    renew_period: str = ""

    @property
    def target(self) -> str:
        """The file the renewed chain is written to."""
        return self.out_file or self.crt_file


@dataclass(frozen=True)
class DaemonPlan:
    """`ca renew CRT KEY --daemon ...` as the core checked it."""

    files: RenewFiles
    exec_args: tuple[str, ...] = ()
    pid: int = 0
    signal: str = "SIGHUP"


@dataclass(frozen=True)
class RunResult:
    """A command line's exit code and captured output."""

    exit_code: int
    stdout: str
    stderr: str


class Client:
    """Runs the component's api against a step profile and a work directory.

    One instance of the component is kept and reused between calls; after a
    trap it is replaced on the next call. Calls are serialized by a lock.

    `provisioner_key_ttl` (seconds, default 0: off) lets the component keep
    a provisioner key it decrypted in its memory for that long, so that later
    tokens from the same provisioner and password skip the PBKDF2; it is never
    written anywhere and goes with the instance.
    """

    def __init__(
        self,
        steppath: str | os.PathLike[str] | None = None,
        workdir: str | os.PathLike[str] | None = None,
        component: str | os.PathLike[str] | None = None,
        allowed_origins: Iterable[str] | None = None,
        *,
        allow_http: bool = False,
        runtime: Runtime | None = None,
        provisioner_key_ttl: float = 0,
    ) -> None:
        if not provisioner_key_ttl >= 0:
            raise ValueError("provisioner_key_ttl must be 0 or more seconds")
        self.provisioner_key_ttl = float(provisioner_key_ttl)
        self.storage = Storage(steppath, workdir)
        self.http = Http(allowed_origins=allowed_origins, allow_http=allow_http)
        self.runtime = runtime or Runtime.shared(component)
        self._session: Session | None = None
        self._lock = threading.RLock()

    def bootstrap(
        self, ca_url: str, fingerprint: str, *, force: bool = False
    ) -> Profile:
        """Fetch the CA's root, check its fingerprint, save the profile."""
        return _profile(self._call("bootstrap", ca_url, fingerprint, force))

    def read_profile(self) -> Profile:
        """The profile saved by `bootstrap`."""
        return _profile(self._call("read-profile"))

    def token(
        self,
        subject: str,
        *,
        provisioner: str = "",
        password: Secret = b"",
        sans: Sequence[str] = (),
        not_before: str = "",
        not_after: str = "",
    ) -> str:
        """A one-time token for `subject` signed by a JWK provisioner."""
        request = _record(
            subject=subject,
            provisioner=provisioner,
            password=_bytes(password),
            sans=_strings("sans", sans),
            not_before=not_before,
            not_after=not_after,
        )
        return str(self._call("token", request))

    def certificate(
        self,
        subject: str,
        *,
        sans: Sequence[str] = (),
        token: str = "",
        provisioner: str = "",
        password: Secret = b"",
        key: KeySpec | None = None,
        not_before: str = "",
        not_after: str = "",
    ) -> Issued:
        """A new key and certificate, with `token` or one made here."""
        key = key or KeySpec()
        request = _record(
            subject=subject,
            sans=_strings("sans", sans),
            token=token,
            provisioner=provisioner,
            password=_bytes(password),
            key=_record(
                kty=key.kty, curve=key.curve, size=_unsigned("key.size", key.size, 32)
            ),
            not_before=not_before,
            not_after=not_after,
        )
        return _issued(self._call("certificate", request))

    def renew(self, chain: bytes, key: bytes, *, mtls: bool = True) -> Issued:
        """Renew a certificate (PEM chain, leaf first) keeping its key (PEM)."""
        return _issued(self._call("renew", bytes(chain), bytes(key), mtls))

    def revoke(
        self,
        chain: bytes = b"",
        key: bytes = b"",
        *,
        reason_code: int = 0,
        reason: str = "",
    ) -> None:
        """Revoke a certificate with its chain and key."""
        code = _unsigned("reason_code", reason_code, 8)
        self._call("revoke", bytes(chain), bytes(key), code, reason)

    def inspect(
        self, data: bytes, format: str = "text", *, bundle: bool = False
    ) -> str:
        """Describe a certificate or CSR: "text", "short", "json" or "pem"."""
        return str(self._call("inspect", bytes(data), format, bundle))

    def next_renewal(
        self,
        chain: bytes,
        *,
        expires_in: str = "",
        renew_period: str = "",
        last_renewal: datetime | None = None,
    ) -> Renewal:
        """When to renew `chain` (PEM, leaf first), by the core's schedule."""
        options = _record(expires_in=expires_in, renew_period=renew_period)
        last = last_renewal.timestamp() if last_renewal is not None else None
        return _renewal(self._call("next-renewal", bytes(chain), options, last))

    def renew_files(self, request: RenewFiles) -> Renewal:
        """Renew a certificate file in the work directory, atomically."""
        return _renewal(self._call("renew-files", _renew_files_record(request)))

    def plan_daemon(self, args: Sequence[str]) -> DaemonPlan:
        """Check `ca renew CRT KEY --daemon ...` (no leading "stepwasm")."""
        value = self._call("plan-daemon", _strings("args", args))
        files = value.files
        options = files.options
        return DaemonPlan(
            files=RenewFiles(
                crt_file=getattr(files, "crt-file"),
                key_file=getattr(files, "key-file"),
                out_file=getattr(files, "out-file"),
                mtls=files.mtls,
                ca_url=getattr(files, "ca-url"),
                root=files.root,
                expires_in=getattr(options, "expires-in"),
                renew_period=getattr(options, "renew-period"),
            ),
            exec_args=tuple(value.exec),
            pid=value.pid,
            signal=value.signal,
        )

    def run(self, args: Sequence[str]) -> RunResult:
        """Run a command line with its output captured."""
        value = self._session_call("run", _strings("args", args))
        return RunResult(
            exit_code=getattr(value, "exit-code"),
            stdout=value.stdout,
            stderr=value.stderr,
        )

    def close(self) -> None:
        """Drop the component instance; the next call makes a new one."""
        with self._lock:
            self._session = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, name: str, *args: Any) -> Any:
        """Call an api function returning `result<T, error>`."""
        ok, payload = self._session_call(name, *args)
        if ok:
            return payload
        raise error_from_kind(payload.kind, payload.message, payload.status)

    def _env(self) -> list[tuple[str, str]]:
        env = [("STEPPATH", str(self.storage.profile_root))]
        if self.provisioner_key_ttl:
            env.append((PROVISIONER_KEY_TTL_ENV, repr(self.provisioner_key_ttl)))
        return env

    def _session_call(self, name: str, *args: Any) -> Any:
        with self._lock:
            if self._session is None or self._session.broken:
                ports = Ports(self.storage, self.http)
                self._session = self.runtime.session(
                    ports,
                    env=self._env(),
                    output=_log_output,
                )
            try:
                return self._session.call(API, name, *args)
            except (TypeError, OverflowError, UnicodeEncodeError) as exc:
                # Raised while the arguments are lowered into WIT values.
                raise InputError(f"{name}: an argument does not fit: {exc}") from None


def _strings(what: str, value: Any) -> list[str]:
    """A list of strings; one string (which would iterate by character) is refused."""
    if isinstance(value, (str, bytes)):
        raise InputError(f"{what}: expected a list of strings, not one string")
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise InputError(f"{what}: expected only strings")
    return items


def _unsigned(what: str, value: Any, bits: int) -> int:
    """A WIT u8/u32, refused rather than wrapped when out of range."""
    top = 2**bits - 1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise InputError(f"{what}: expected a whole number from 0 to {top}")
    return value


def _record(**fields: Any) -> wc.Record:
    """A WIT record; snake_case names become the WIT's kebab-case."""
    record = wc.Record()
    for name, value in fields.items():
        setattr(record, name.replace("_", "-"), value)
    return record


def _profile(value: Any) -> Profile:
    return Profile(
        ca_url=getattr(value, "ca-url"),
        fingerprint=value.fingerprint,
        root=value.root,
    )


def _issued(value: Any) -> Issued:
    return Issued(
        chain=value.chain,
        key=value.key,
        serial=value.serial,
        subject=value.subject,
        not_before=getattr(value, "not-before"),
        not_after=getattr(value, "not-after"),
    )


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _renewal(value: Any) -> Renewal:
    skew = getattr(value, "clock-skew")
    return Renewal(
        chain=bytes(value.chain),
        subject=value.subject,
        serial=value.serial,
        not_before=_time(getattr(value, "not-before")),
        not_after=_time(getattr(value, "not-after")),
        renew_at=_time(getattr(value, "renew-at")),
        clock_skew=float(skew) if skew is not None else None,
        warnings=tuple(value.warnings),
    )


def _renew_files_record(request: RenewFiles) -> wc.Record:
    return _record(
        crt_file=request.crt_file,
        key_file=request.key_file,
        out_file=request.out_file,
        mtls=request.mtls,
        ca_url=request.ca_url,
        root=request.root,
        options=_record(
            expires_in=request.expires_in, renew_period=request.renew_period
        ),
    )


def _bytes(secret: Secret) -> bytes:
    return secret.encode() if isinstance(secret, str) else bytes(secret)


def _log_output(data: bytes) -> None:
    """The component's own stdout and stderr, at DEBUG."""
    _component_log.debug("%s", data.decode("utf-8", "replace").rstrip("\n"))
