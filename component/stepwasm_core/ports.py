"""The two ports through which the core reaches the outside world.

In the component they are bound to the WIT imports `http` and `storage`; in
unit tests to fakes. Nothing else in the core touches the network or files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "FILES",
    "PROFILE",
    "Request",
    "Response",
    "Storage",
    "TlsConfig",
    "Transport",
]

#: Storage scope of the step profile ($STEPPATH): certs/, config/.
PROFILE = "profile"
#: Storage scope of the files named on the command line.
FILES = "files"


@dataclass(frozen=True)
class TlsConfig:
    """How the host must set up TLS for one request."""

    roots: tuple[bytes, ...] = ()
    client_chain: tuple[bytes, ...] = ()
    client_key: bytes | None = None
    verify: bool = True


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    tls: TlsConfig | None = None
    timeout_ms: int = 30_000


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    peer_chain: tuple[bytes, ...] = field(default=())
    #: True when the runtime did TLS with its own trust store (wasi:http): the
    #: core's roots were not applied and `peer_chain` is unknown.
    runtime_tls: bool = False

    def header(self, name: str) -> str | None:
        """The first header called `name`, case-insensitively."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class Transport(Protocol):
    """One request in, one response out; raises TransportError."""

    def send(self, request: Request) -> Response: ...

    def supports_client_certificates(self) -> bool: ...


class Storage(Protocol):
    """Files by scope and relative path; raises StorageError.

    `read` raises `FileNotFoundError`-like `StorageError` with `missing=True`
    when the file does not exist.
    """

    def read(self, scope: str, path: str) -> bytes: ...

    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None: ...

    def list_files(self, scope: str, prefix: str = "") -> list[str]: ...

    def remove(self, scope: str, path: str) -> None: ...
