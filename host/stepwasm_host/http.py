"""The `http` port: one request out, one response back, under a host policy.

TLS trust is the component's choice per request: exactly the DER roots it sends,
no verification at all (bootstrap only; the component then checks `peer_chain`
itself), or the system roots. Redirects are never followed, responses are capped
in size, and only `https` URLs are allowed unless the host says otherwise.
"""

from __future__ import annotations

import base64
import http.client
import logging
import os
import re
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3
from urllib3 import exceptions as u3
from urllib3.connection import HTTPConnection, HTTPSConnection

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "Http",
    "HttpFailure",
    "HttpRequest",
    "HttpResponse",
    "TlsConfig",
]

log = logging.getLogger(__name__)

#: The response body size above which `send` answers `too-large`.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Seconds allowed for a whole request when it asks for `timeout-ms` 0.
DEFAULT_TIMEOUT = 30.0

_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class TlsConfig:
    """What to trust and which client certificate to present."""

    roots: Sequence[bytes] = ()
    client_chain: Sequence[bytes] = ()
    client_key: bytes | None = None
    verify: bool = True


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    tls: TlsConfig | None = None
    timeout_ms: int = 0


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: The certificates the server presented, leaf first, DER.
    peer_chain: list[bytes] = field(default_factory=list)


class HttpFailure(Exception):
    """A request failed; `kind` is the WIT error case."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.message = message


Origin = tuple[str, str, int]


class Http:
    """Sends the component's requests with urllib3, one connection each."""

    def __init__(
        self,
        *,
        allowed_origins: Iterable[str] | None = None,
        allow_http: bool = False,
        allow_client_certificates: bool = True,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        default_timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = "stepwasm",
    ) -> None:
        self.allowed_origins = (
            None
            if allowed_origins is None
            else frozenset(_parse_origin(o) for o in allowed_origins)
        )
        self.allow_http = allow_http
        self.allow_client_certificates = allow_client_certificates
        self.max_response_bytes = max_response_bytes
        self.default_timeout = default_timeout
        self.user_agent = user_agent
        self._system_context: ssl.SSLContext | None = None

    def send(self, request: HttpRequest) -> HttpResponse:
        """Make one request; raise `HttpFailure` for every failure."""
        scheme, host, port, target = self._check(request)
        timeout = request.timeout_ms / 1000 or self.default_timeout

        # The query is left out of the log: it is the component's business.
        shown = f"{request.method} {_show_origin((scheme, host, port))}"
        shown += target.split("?", 1)[0]

        try:
            response = self._exchange(request, scheme, host, port, target, timeout)
        except Exception as e:
            failure = _failure(e, host, port)
            log.debug("%s failed: %s", shown, failure)
            raise failure from e

        log.info("%s -> %d", shown, response.status)
        return response

    def _check(self, request: HttpRequest) -> tuple[str, str, int, str]:
        """Apply the host policy; return scheme, host, port and request target."""
        try:
            parts = urlsplit(request.url)
            port = parts.port
        except ValueError as e:
            raise HttpFailure("denied", f"invalid url: {e}") from e
        scheme = parts.scheme.lower()
        if scheme != "https" and not (scheme == "http" and self.allow_http):
            raise HttpFailure("denied", f"{request.url}: only https urls are allowed")
        if not parts.hostname:
            raise HttpFailure("denied", f"{request.url}: no host in url")
        if parts.username is not None or parts.password is not None:
            raise HttpFailure("denied", "credentials in urls are not allowed")
        port = port or _DEFAULT_PORTS[scheme]
        origin = (scheme, parts.hostname, port)
        if self.allowed_origins is not None and origin not in self.allowed_origins:
            raise HttpFailure("denied", f"{_show_origin(origin)}: origin not allowed")
        tls = request.tls
        if tls and (tls.client_chain or tls.client_key is not None):
            if not self.allow_client_certificates:
                raise HttpFailure("denied", "client certificates are not allowed")
            if not tls.client_chain or tls.client_key is None:
                raise HttpFailure("denied", "a client certificate needs chain and key")

        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return scheme, parts.hostname, port, target

    def _exchange(
        self,
        request: HttpRequest,
        scheme: str,
        host: str,
        port: int,
        target: str,
        timeout: float,
    ) -> HttpResponse:
        """Connect, send, read the response within the size and time limits."""
        conn: HTTPConnection
        if scheme == "https":
            context = self._context(request.tls)
            conn = HTTPSConnection(host, port, timeout=timeout, ssl_context=context)
        else:
            conn = HTTPConnection(host, port, timeout=timeout)

        watchdog = _Watchdog(timeout)
        try:
            conn.connect()
            watchdog.watch(conn.sock)
            chain = _peer_chain(conn.sock) if scheme == "https" else []
            conn.request(
                request.method,
                target,
                body=bytes(request.body) or None,
                headers=self._headers(request.headers),
                preload_content=False,
                decode_content=False,
            )
            response = conn.getresponse()
            body = self._read_body(response)
            headers = list(response.headers.items())
        except Exception as e:
            if watchdog.fired:
                raise HttpFailure("timeout") from e
            raise
        finally:
            watchdog.cancel()
            conn.close()
        if watchdog.fired:
            raise HttpFailure("timeout")
        return HttpResponse(response.status, headers, body, chain)

    def _headers(self, pairs: Sequence[tuple[str, str]]) -> urllib3.HTTPHeaderDict:
        headers = urllib3.HTTPHeaderDict()
        for name, value in pairs:
            headers.add(name, value)
        if "user-agent" not in headers:
            headers["User-Agent"] = self.user_agent
        return headers

    def _read_body(self, response: urllib3.BaseHTTPResponse) -> bytes:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_response_bytes:
            raise HttpFailure("too-large")
        chunks = []
        size = 0
        while chunk := response.read(_CHUNK, decode_content=False):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise HttpFailure("too-large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _context(self, tls: TlsConfig | None) -> ssl.SSLContext:
        """An SSL context for the request's trust and client certificate."""
        if tls is None or (tls.verify and not tls.roots):
            if tls is None or not tls.client_chain:
                return self._system()
            context = ssl.create_default_context()
        elif not tls.verify:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            try:
                context.load_verify_locations(cadata=b"".join(tls.roots))
            except ssl.SSLError as e:
                raise HttpFailure("tls", f"invalid root certificate: {_reason(e)}")
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if tls is not None and tls.client_chain and tls.client_key is not None:
            _load_client_certificate(context, tls.client_chain, tls.client_key)
        return context

    def _system(self) -> ssl.SSLContext:
        """The system-roots context, made once (loading the roots is slow)."""
        if self._system_context is None:
            context = ssl.create_default_context()
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            self._system_context = context
        return self._system_context


class _Watchdog:
    """Cuts a connection when the request's whole time is up.

    Socket timeouts bound each read, not the request: a server that sends a
    byte at a time would otherwise hold the component for as long as it likes.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        """The connected socket (http.client drops its own reference early)."""
        with self._lock:
            self._sock = sock
            if self.fired:
                self._cut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._cut()

    def _cut(self) -> None:
        if self._sock is not None:
            try:
                # The plain socket's shutdown: the SSL object stays untouched
                # while the request thread may be inside it.
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _load_client_certificate(
    context: ssl.SSLContext, chain: Sequence[bytes], key: bytes
) -> None:
    """Load a DER chain and PKCS#8 key through files in a private directory."""
    # ssl can only load a client certificate from files: they live in a 0700
    # directory and are deleted as soon as OpenSSL has read them.
    with tempfile.TemporaryDirectory(prefix="stepwasm-tls-") as directory:
        chain_path = os.path.join(directory, "chain.pem")
        key_path = os.path.join(directory, "key.pem")
        pem = "".join(ssl.DER_cert_to_PEM_cert(bytes(der)) for der in chain)
        _write_private(chain_path, pem.encode("ascii"))
        _write_private(key_path, _pkcs8_pem(bytes(key)))
        try:
            context.load_cert_chain(chain_path, key_path)
        except ssl.SSLError as e:
            raise HttpFailure("tls", f"client certificate: {_reason(e)}") from e


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with open(fd, "wb") as f:
        f.write(data)


def _pkcs8_pem(der: bytes) -> bytes:
    """PEM for a PKCS#8 key (RFC 7468 section 10)."""
    text = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    body = "\n".join(
        ["-----BEGIN PRIVATE KEY-----", *lines, "-----END PRIVATE KEY-----"]
    )
    return (body + "\n").encode("ascii")


def _peer_chain(sock: object) -> list[bytes]:
    """The certificates the server sent, leaf first, DER, unverified."""
    public = getattr(sock, "get_unverified_chain", None)
    if public is not None:  # Python 3.13+
        return [bytes(der) for der in public() or []]
    sslobj = getattr(sock, "_sslobj", None)
    private = getattr(sslobj, "get_unverified_chain", None)
    if private is not None:  # Python 3.10 to 3.12
        import _ssl

        return [cert.public_bytes(_ssl.ENCODING_DER) for cert in private() or []]
    leaf = sock.getpeercert(binary_form=True)  # type: ignore[attr-defined]
    return [leaf] if leaf else []


def _parse_origin(text: str) -> Origin:
    """`https://host[:port]` as (scheme, host, port)."""
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{text}: an origin is scheme://host[:port]")
    return scheme, parts.hostname, parts.port or _DEFAULT_PORTS[scheme]


def _show_origin(origin: Origin) -> str:
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}"


def _reason(error: ssl.SSLError) -> str:
    """An OpenSSL error in words: `verify_message`, else the reason code."""
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return f"certificate verify failed: {error.verify_message}"
    if isinstance(error, ssl.SSLEOFError):
        return "the server closed the connection during tls"
    if error.reason:
        return error.reason.lower().replace("_", " ")
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(error))


def _failure(error: BaseException, host: str, port: int) -> HttpFailure:
    """Map an exception from urllib3, ssl or the socket to a WIT error case."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(error, HttpFailure):
        return error
    if isinstance(error, u3.NameResolutionError):
        return HttpFailure("dns", f"{host}: {_os_reason(error.__cause__)}")
    # NewConnectionError subclasses ConnectTimeoutError: test it first.
    if isinstance(error, u3.NewConnectionError):
        return HttpFailure("connect", f"{where}: {_os_reason(error.__cause__)}")
    if isinstance(error, (u3.ConnectTimeoutError, u3.ReadTimeoutError)):
        return HttpFailure("timeout")
    if isinstance(error, (socket.timeout, TimeoutError)):
        return HttpFailure("timeout")
    if isinstance(error, ssl.SSLError):
        return HttpFailure("tls", _reason(error))
    if isinstance(error, u3.SSLError) and isinstance(error.__cause__, ssl.SSLError):
        return HttpFailure("tls", _reason(error.__cause__))
    if isinstance(error, ssl.CertificateError):
        return HttpFailure("tls", str(error))
    if isinstance(error, (u3.ProtocolError, http.client.HTTPException, ValueError)):
        cause = error.__cause__ or error.__context__
        if isinstance(cause, (socket.timeout, TimeoutError)):
            return HttpFailure("timeout")
        return HttpFailure("protocol", str(error) or type(error).__name__)
    if isinstance(error, u3.HTTPError):
        return HttpFailure("protocol", str(error))
    if isinstance(error, ConnectionError):
        return HttpFailure("protocol", f"{where}: {_os_reason(error)}")
    if isinstance(error, OSError):
        return HttpFailure("connect", f"{where}: {_os_reason(error)}")
    raise error


def _os_reason(error: BaseException | None) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error).lower() if error else "unknown error"
