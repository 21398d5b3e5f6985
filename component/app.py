"""The component's entry module: glue between the WIT world and the core.

WIT records in, core objects out; core exceptions back out as WIT errors.
Every module the core needs is imported here at the top level, so that
componentize-py bundles it.
"""

from __future__ import annotations

# Imported for the bundle: modules that the standard library imports lazily
# (idna host names; argparse's help wants gettext's locale, shutil, textwrap).
import encodings.idna  # noqa: F401
import io
import locale  # noqa: F401
import os
import shutil  # noqa: F401
import sys
import textwrap  # noqa: F401
import time

from componentize_py_types import Err
from stepwasm_core import certinfo, cli, errors, ports
from stepwasm_core.bootstrap import bootstrap
from stepwasm_core.caclient import CAClient
from stepwasm_core.crypto import keys
from stepwasm_core.issue import (
    Issued,
    find_provisioner,
    new_sign_token,
    renew_certificate,
    revoke_certificate,
    sign_certificate,
)
from stepwasm_core.keyspec import new_key
from stepwasm_core.pem import load_certificates
from stepwasm_core.profile import Profile, load_profile
from stepwasm_core.renewal import (
    DaemonPlan,
    Renewal,
    RenewalOptions,
    RenewFiles,
    renew_files,
    schedule_chain,
)
from stepwasm_core.validity import format_time
from wit_world import exports
from wit_world.exports import api
from wit_world.imports import http, storage

_SCOPES = {ports.PROFILE: storage.Scope.PROFILE, ports.FILES: storage.Scope.FILES}


class WitTransport:
    """The core's Transport port over the `http` import."""

    def send(self, request: ports.Request) -> ports.Response:
        tls = None
        if request.tls is not None:
            tls = http.TlsConfig(
                roots=list(request.tls.roots),
                client_chain=list(request.tls.client_chain),
                client_key=request.tls.client_key,
                verify=request.tls.verify,
            )
        wit_request = http.Request(
            method=request.method,
            url=request.url,
            headers=list(request.headers),
            body=request.body,
            tls=tls,
            timeout_ms=request.timeout_ms,
        )
        try:
            response = http.send(wit_request)
        except Err as exc:
            raise _transport_error(request, exc.value) from None
        return ports.Response(
            status=response.status,
            headers=tuple(response.headers),
            body=bytes(response.body),
            peer_chain=tuple(bytes(c) for c in response.peer_chain),
        )

    def supports_client_certificates(self) -> bool:
        return http.supports_client_certificates()


def _transport_error(request: ports.Request, error) -> errors.TransportError:
    kind = type(error).__name__.removeprefix("Error_").lower()
    detail = getattr(error, "value", None)
    reasons = {
        "timeout": "timed out",
        "toolarge": "the answer is too large",
    }
    cause = reasons.get(kind) or f"{kind}: {detail}"
    if kind == "denied":
        cause = f"refused by the host: {detail}"
    message = f"cannot reach {request.url}: {cause}"
    return errors.TransportError(
        message, method=request.method, url=request.url, cause=kind
    )


class WitStorage:
    """The core's Storage port over the `storage` import."""

    def read(self, scope: str, path: str) -> bytes:
        try:
            return bytes(storage.read(_SCOPES[scope], path))
        except Err as exc:
            raise _storage_error(path, exc.value) from None

    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None:
        try:
            storage.write(_SCOPES[scope], path, data, secret)
        except Err as exc:
            raise _storage_error(path, exc.value) from None

    def list_files(self, scope: str, prefix: str = "") -> list[str]:
        try:
            return list(storage.list_files(_SCOPES[scope], prefix))
        except Err as exc:
            raise _storage_error(prefix, exc.value) from None

    def remove(self, scope: str, path: str) -> None:
        try:
            storage.remove(_SCOPES[scope], path)
        except Err as exc:
            raise _storage_error(path, exc.value) from None


def _storage_error(path: str, error) -> errors.StorageError:
    missing = isinstance(error, storage.Error_NotFound)
    detail = getattr(error, "value", "") or path
    return errors.StorageError(str(detail), missing=missing)


def _context(stdout, stderr) -> cli.Context:
    return cli.Context(
        transport=WitTransport(),
        storage=WitStorage(),
        stdout=stdout,
        stderr=stderr,
        steppath=os.environ.get("STEPPATH", "$STEPPATH"),
        read_stdin=lambda limit: sys.stdin.buffer.read(limit),
        debug=bool(os.environ.get("STEPWASM_DEBUG")),
    )


class Run(exports.Run):
    """`wasi:cli/run`: the step-like command line."""

    def run(self) -> None:
        code = cli.run(_context(sys.stdout, sys.stderr), sys.argv[1:])
        if code != 0:
            raise Err(None)


# -- api ---------------------------------------------------------------------

_KINDS = {
    "input": api.ErrorKind.INPUT,
    "config": api.ErrorKind.CONFIG,
    "storage": api.ErrorKind.STORAGE,
    "transport": api.ErrorKind.TRANSPORT,
    "ca": api.ErrorKind.CA,
    "crypto": api.ErrorKind.CRYPTO,
    "certificate": api.ErrorKind.CERTIFICATE,
    "bootstrap": api.ErrorKind.BOOTSTRAP,
    "token": api.ErrorKind.TOKEN,
    "expired": api.ErrorKind.EXPIRED,
}


def _api_error(exc: Exception) -> Err:
    if isinstance(exc, errors.StepwasmError):
        kind = _KINDS.get(exc.kind, api.ErrorKind.INTERNAL)
        status = getattr(exc, "status", 0) if isinstance(exc, errors.CAError) else 0
        return Err(api.Error(kind=kind, message=str(exc), status=status))
    message = f"internal error: {type(exc).__name__}: {exc}"
    return Err(api.Error(kind=api.ErrorKind.INTERNAL, message=message, status=0))


def _guarded(method):
    def call(self, *args):
        try:
            return method(self, *args)
        except Err:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure crosses as one error
            raise _api_error(exc) from None

    call.__name__ = method.__name__
    return call


def _wit_profile(profile: Profile) -> api.Profile:
    return api.Profile(
        ca_url=profile.ca_url, fingerprint=profile.fingerprint, root=profile.root_pem
    )


def _wit_issued(issued: Issued, key_pem: bytes) -> api.Issued:
    return api.Issued(
        chain=issued.chain_pem,
        key=key_pem,
        serial=issued.serial,
        subject=issued.subject,
        not_before=format_time(issued.not_before),
        not_after=format_time(issued.not_after),
    )


def _client(profile: Profile) -> CAClient:
    return CAClient(WitTransport(), profile.ca_url, [profile.root_der])


def _options(options: api.RenewalOptions) -> RenewalOptions:
    return RenewalOptions(options.expires_in, options.renew_period)


def _wit_renewal(renewal: Renewal) -> api.Renewal:
    return api.Renewal(
        chain=renewal.chain_pem,
        subject=renewal.subject,
        serial=renewal.serial,
        not_before=renewal.schedule.not_before,
        not_after=renewal.schedule.not_after,
        renew_at=renewal.schedule.renew_at,
        clock_skew=renewal.clock_skew,
        warnings=list(renewal.warnings),
    )


def _wit_renew_files(files: RenewFiles) -> api.RenewFilesRequest:
    return api.RenewFilesRequest(
        crt_file=files.crt_file,
        key_file=files.key_file,
        out_file=files.out_file,
        mtls=files.mtls,
        ca_url=files.ca_url,
        root=files.root,
        options=api.RenewalOptions(
            expires_in=files.options.expires_in,
            renew_period=files.options.renew_period,
        ),
    )


def _wit_daemon_plan(plan: DaemonPlan) -> api.DaemonPlan:
    return api.DaemonPlan(
        files=_wit_renew_files(plan.files),
        exec=list(plan.exec_args),
        pid=plan.pid,
        signal=plan.signal,
    )


class Api(exports.Api):
    """Typed functions for embedders; each maps onto the same core flows."""

    @_guarded
    def bootstrap(self, ca_url: str, fingerprint: str, force: bool) -> api.Profile:
        steppath = os.environ.get("STEPPATH", "$STEPPATH")
        profile = bootstrap(
            WitTransport(),
            WitStorage(),
            ca_url,
            fingerprint,
            force=force,
            root_display=f"{steppath}/certs/root_ca.crt",
        )
        return _wit_profile(profile)

    @_guarded
    def read_profile(self) -> api.Profile:
        return _wit_profile(load_profile(WitStorage()))

    @_guarded
    def token(self, req: api.TokenRequest) -> str:
        profile = load_profile(WitStorage())
        client = _client(profile)
        provisioner = find_provisioner(client, req.provisioner)
        return new_sign_token(
            client,
            profile,
            provisioner,
            bytes(req.password),
            subject=req.subject,
            sans=list(req.sans),
            not_before=req.not_before,
            not_after=req.not_after,
        )

    @_guarded
    def certificate(self, req: api.CertificateRequest) -> api.Issued:
        profile = load_profile(WitStorage())
        client = _client(profile)
        token = req.token
        if not token:
            provisioner = find_provisioner(client, req.provisioner)
            token = new_sign_token(
                client,
                profile,
                provisioner,
                bytes(req.password),
                subject=req.subject,
                sans=list(req.sans),
            )
        key = new_key(req.key.kty or "EC", req.key.curve, req.key.size or 2048)
        issued = sign_certificate(
            client,
            profile,
            subject=req.subject,
            token=token,
            key=key,
            not_before=req.not_before,
            not_after=req.not_after,
        )
        return _wit_issued(issued, key.to_pem())

    @_guarded
    def renew(self, chain: bytes, key: bytes, mtls: bool) -> api.Issued:
        profile = load_profile(WitStorage())
        certs = load_certificates(bytes(chain), source="chain")
        private = keys.load_private_key(bytes(key))
        issued = renew_certificate(_client(profile), profile, certs, private, mtls=mtls)
        return _wit_issued(issued, b"")

    @_guarded
    def revoke(self, chain: bytes, key: bytes, reason_code: int, reason: str) -> None:
        profile = load_profile(WitStorage())
        certs = load_certificates(bytes(chain), source="chain")
        private = keys.load_private_key(bytes(key))
        revoke_certificate(
            _client(profile),
            serial=str(certs[0].serial_number),
            reason_code=reason_code,
            reason=reason,
            chain=certs,
            key=private,
        )

    @_guarded
    def inspect(self, data: bytes, format: str, bundle: bool) -> str:
        return certinfo.inspect(
            bytes(data), source="input", format=format, bundle=bundle
        )

    @_guarded
    def next_renewal(
        self, chain: bytes, options: api.RenewalOptions, last_renewal: float | None
    ) -> api.Renewal:
        renewal = schedule_chain(
            bytes(chain), _options(options), now=time.time(), last_renewal=last_renewal
        )
        return _wit_renewal(renewal)

    @_guarded
    def renew_files(self, req: api.RenewFilesRequest) -> api.Renewal:
        files = RenewFiles(
            crt_file=req.crt_file,
            key_file=req.key_file,
            out_file=req.out_file,
            mtls=req.mtls,
            ca_url=req.ca_url,
            root=req.root,
            options=_options(req.options),
        )
        return _wit_renewal(renew_files(WitTransport(), WitStorage(), files))

    @_guarded
    def plan_daemon(self, args: list[str]) -> api.DaemonPlan:
        return _wit_daemon_plan(cli.parse_daemon_plan(list(args), WitStorage()))

    def run(self, args: list[str]) -> api.RunResult:
        stdout, stderr = io.StringIO(), io.StringIO()
        ctx = _context(stdout, stderr)
        ctx.read_stdin = None
        code = cli.main(ctx, list(args))
        return api.RunResult(
            exit_code=min(code, 255), stdout=stdout.getvalue(), stderr=stderr.getvalue()
        )
