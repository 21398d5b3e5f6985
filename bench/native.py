"""The core (component/stepwasm_core) run natively in CPython, for comparison.

The operations mirror the component's `api` export (component/app.py) call for
call, and the ports are the wasmtime host's own `Http` and `Storage`, so the
only difference from the component is where the core's Python runs.
"""

from __future__ import annotations

import time
from pathlib import Path

from stepwasm_core import certinfo, ports
from stepwasm_core.bootstrap import bootstrap
from stepwasm_core.caclient import CAClient
from stepwasm_core.crypto import keys
from stepwasm_core.errors import StorageError, TransportError
from stepwasm_core.issue import (
    find_provisioner,
    new_sign_token,
    renew_certificate,
    sign_certificate,
)
from stepwasm_core.pem import load_certificates
from stepwasm_core.profile import load_profile
from stepwasm_host.http import Http, HttpFailure, HttpRequest
from stepwasm_host.http import TlsConfig as HostTls
from stepwasm_host.storage import Storage, StorageFailure

__all__ = ["NativeCore"]


class _Transport:
    """The core's Transport port over the host's urllib3 `Http`."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def send(self, request: ports.Request) -> ports.Response:
        tls = None
        if request.tls is not None:
            tls = HostTls(
                roots=list(request.tls.roots),
                client_chain=list(request.tls.client_chain),
                client_key=request.tls.client_key,
                verify=request.tls.verify,
            )
        try:
            response = self.http.send(
                HttpRequest(
                    method=request.method,
                    url=request.url,
                    headers=list(request.headers),
                    body=request.body,
                    tls=tls,
                    timeout_ms=request.timeout_ms,
                )
            )
        except HttpFailure as e:
            raise TransportError(
                f"cannot reach {request.url}: {e.kind}: {e.message}",
                method=request.method,
                url=request.url,
                cause=e.kind,
            ) from None
        return ports.Response(
            status=response.status,
            headers=tuple(response.headers),
            body=response.body,
            peer_chain=tuple(response.peer_chain),
        )

    def supports_client_certificates(self) -> bool:
        return self.http.allow_client_certificates


class _Storage:
    """The core's Storage port over the host's confined `Storage`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _call(self, action, path: str):
        try:
            return action()
        except StorageFailure as e:
            raise StorageError(
                e.message or path, missing=e.kind == "not-found"
            ) from None

    def read(self, scope: str, path: str) -> bytes:
        return self._call(lambda: self.storage.read(scope, path), path)

    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None:
        self._call(lambda: self.storage.write(scope, path, data, secret), path)

    def list_files(self, scope: str, prefix: str = "") -> list[str]:
        return self._call(lambda: self.storage.list_files(scope, prefix), prefix)

    def remove(self, scope: str, path: str) -> None:
        self._call(lambda: self.storage.remove(scope, path), path)


class NativeCore:
    """The `api` operations of the component, done by the core in CPython."""

    def __init__(self, steppath: Path, workdir: Path) -> None:
        self.transport = _Transport(Http())
        self.storage = _Storage(Storage(steppath, workdir))
        self.steppath = steppath

    def _client(self):
        profile = load_profile(self.storage)
        return profile, CAClient(self.transport, profile.ca_url, [profile.root_der])

    def bootstrap(self, ca_url: str, fingerprint: str) -> None:
        bootstrap(
            self.transport,
            self.storage,
            ca_url,
            fingerprint,
            force=True,
            root_display=f"{self.steppath}/certs/root_ca.crt",
        )

    def token(self, subject: str, provisioner: str, password: bytes) -> str:
        profile, client = self._client()
        found = find_provisioner(client, provisioner)
        return new_sign_token(
            client, profile, found, password, subject=subject, sans=[subject]
        )

    def certificate(self, subject: str, token: str) -> tuple[bytes, bytes]:
        profile, client = self._client()
        key = keys.generate_key("EC", "P-256", 2048)
        issued = sign_certificate(
            client, profile, subject=subject, token=token, key=key
        )
        return issued.chain_pem, key.to_pem()

    def renew(self, chain: bytes, key: bytes, *, mtls: bool) -> bytes:
        profile, client = self._client()
        certs = load_certificates(chain, source="chain")
        private = keys.load_private_key(key)
        issued = renew_certificate(client, profile, certs, private, mtls=mtls)
        return issued.chain_pem

    def inspect(self, data: bytes) -> str:
        return certinfo.inspect(data, source="input", format="text")


def pbkdf2_seconds(iterations: int = 100_000) -> float:
    """One PBKDF2-HMAC-SHA256 of the core (pure Python), as in a JWE key."""
    from stepwasm_core.crypto.pbkdf2 import pbkdf2_hmac

    started = time.perf_counter()
    pbkdf2_hmac("sha256", b"password", b"PBES2-HS256+A128KW\0salt", iterations, 16)
    return time.perf_counter() - started
