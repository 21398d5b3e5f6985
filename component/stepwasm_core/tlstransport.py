"""The Transport port done inside the sandbox: HTTP/1.1 over TLS over sockets.

The standard-WASI build has no host that makes requests for it: it opens a TCP
socket (`wasi:sockets` under the runtime), speaks TLS 1.2/1.3 with tlslite-ng,
pure Python, and checks the server's certificate chain with our own
`verify.verify_chain` against exactly the roots of the request, with the host
name. Nothing is trusted by default: a request that asks for verification
without roots is refused. `verify=False` (bootstrap) skips the check and hands
the chain back in `peer_chain` for the core to check. Client certificates
(mTLS renew, revoke) are presented from the request's PKCS#8 key.

One connection per request (`Connection: close`); redirects are not followed;
the response is capped in size and the whole request in time.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import time
from urllib.parse import urlsplit

# tlslite-ng is imported module by module, explicitly, so that the component
# bundles exactly these (componentize-py follows top-level imports only).
import tlslite.errors as tls_errors
from tlslite.handshakesettings import HandshakeSettings
from tlslite.tlsconnection import TLSConnection
from tlslite.utils import rijndael
from tlslite.utils.python_key import Python_Key
from tlslite.x509 import X509
from tlslite.x509certchain import X509CertChain

from .errors import (
    CertificateError,
    InputError,
    TransportError,
)
from .pem import load_certificates
from .ports import Request, Response
from .verify import verify_chain

__all__ = ["MAX_RESPONSE_BYTES", "RequestFailure", "TlsTransport"]

# tlslite's AES (behind AES-GCM, TLS 1.3's mandatory cipher) wraps its
# constructor in a deprecation check that reads the caller's source line; a
# component ships no source, so the check fails. Use the constructor itself.
if hasattr(rijndael.Rijndael.__init__, "__wrapped__"):
    rijndael.Rijndael.__init__ = rijndael.Rijndael.__init__.__wrapped__

#: Response bodies above this size are refused (cause `toolarge`).
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Status line and headers above this size are refused.
MAX_HEADER_BYTES = 64 * 1024
#: Seconds for a whole request that asks for `timeout_ms` 0.
DEFAULT_TIMEOUT = 30.0

_READ_SIZE = 16 * 1024


class RequestFailure(Exception):
    """A request failed; `kind` names the cause as the WIT http error does."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class TlsTransport:
    """The core's Transport port over sockets, with TLS in the sandbox."""

    def __init__(
        self,
        *,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        default_timeout: float = DEFAULT_TIMEOUT,
        max_timeout: float | None = None,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.default_timeout = default_timeout
        #: An upper bound on every request's time, whatever it asks for.
        self.max_timeout = max_timeout

    def supports_client_certificates(self) -> bool:
        return True

    def network_lent(self) -> bool:
        """Whether the runtime lets the component make a TCP socket at all."""
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        except PermissionError:
            return False
        except OSError:
            return True  # some other trouble: let the request report it
        return True

    def send(self, request: Request) -> Response:
        try:
            return self._send(request)
        except RequestFailure as exc:
            reasons = {
                "timeout": "timed out",
                "toolarge": "the answer is too large",
                "no-network": "the runtime lends no network "
                "(wasmtime: add -S inherit-network)",
            }
            label = "tls" if exc.kind == "no-roots" else exc.kind
            cause = reasons.get(exc.kind) or f"{label}: {exc.detail}"
            raise TransportError(
                f"cannot reach {request.url}: {cause}",
                method=request.method,
                url=request.url,
                cause=exc.kind,
            ) from None

    # -- one request ------------------------------------------------------------

    def _send(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        if parts.scheme != "https":
            raise RequestFailure("denied", f"only https URLs, not {parts.scheme!r}")
        host = parts.hostname
        if not host:
            raise RequestFailure("protocol", "the URL has no host")
        try:
            port = parts.port or 443
        except ValueError:
            raise RequestFailure("protocol", "the URL has a bad port") from None
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query

        tls = request.tls
        verify = tls is None or tls.verify
        roots = tuple(tls.roots) if tls is not None else ()
        if verify and not roots:
            raise RequestFailure(
                "no-roots",
                "no root to trust: this build has no system trust store, "
                "run ca bootstrap or pass --root",
            )

        timeout = request.timeout_ms / 1000 if request.timeout_ms else None
        timeout = timeout or self.default_timeout
        if self.max_timeout is not None:
            timeout = min(timeout, self.max_timeout)
        deadline = time.monotonic() + timeout
        sock = _connect(host, port, deadline)
        try:
            conn = _handshake(sock, host, tls, deadline)
            peer_chain = _peer_chain(conn)
            if verify:
                _check_server(peer_chain, roots, host)
            _set_deadline(sock, deadline)
            conn.write(_encode_request(request, parts.netloc, target))
            reader = _Reader(conn, sock, deadline)
            status, headers, body = _read_response(
                reader, request.method, self.max_response_bytes
            )
        except tls_errors.TLSRemoteAlert as exc:
            raise RequestFailure(
                "tls", f"the server refused the handshake ({exc})"
            ) from None
        except tls_errors.TLSLocalAlert as exc:
            raise RequestFailure("tls", f"handshake failed ({exc})") from None
        except tls_errors.TLSAbruptCloseError:
            raise RequestFailure("tls", "the server closed the connection") from None
        except (tls_errors.TLSError, tls_errors.TLSProtocolException) as exc:
            raise RequestFailure("tls", f"{type(exc).__name__}: {exc}") from None
        except TimeoutError:
            raise RequestFailure("timeout") from None
        except OSError as exc:
            raise RequestFailure("connect", _os_reason(exc)) from None
        finally:
            _close(sock)
        return Response(
            status=status, headers=tuple(headers), body=body, peer_chain=peer_chain
        )


# -- sockets and TLS --------------------------------------------------------------


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _set_deadline(sock: socket.socket, deadline: float) -> None:
    sock.settimeout(_remaining(deadline))


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    address = _ip(host)
    if address is not None:  # no name lookup: runtimes may not lend one
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        infos = [(family, socket.SOCK_STREAM, 0, "", (str(address), port))]
    else:
        infos = _lookup(host, port)
    last = ""
    for family, kind, proto, _name, sockaddr in infos:
        try:
            sock = socket.socket(family, kind, proto)
        except PermissionError:
            raise RequestFailure("no-network") from None
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(sockaddr)
            return sock
        except TimeoutError:
            _close(sock)
            raise RequestFailure("timeout") from None
        except PermissionError:  # the runtime's policy refuses this address
            _close(sock)
            raise RequestFailure("no-network") from None
        except OSError as exc:
            _close(sock)
            last = _os_reason(exc)
    raise RequestFailure("connect", f"{host}:{port}: {last or 'no address'}")


def _lookup(host: str, port: int) -> list:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        reason = _os_reason(exc)
        if exc.errno == socket.EAI_FAIL:  # also what a refused lookup gives
            reason += " (wasmtime looks names up only with -S allow-ip-name-lookup)"
        raise RequestFailure("dns", f"{host}: {reason}") from None
    except OSError as exc:  # a runtime that lends no name lookup
        raise RequestFailure("dns", f"{host}: {_os_reason(exc)}") from None


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _settings() -> HandshakeSettings:
    settings = HandshakeSettings()
    settings.minVersion = (3, 3)  # TLS 1.2
    settings.maxVersion = (3, 4)  # TLS 1.3
    # One key share: each costs a key generation in pure Python.
    settings.keyShares = ["secp256r1"]
    # tlslite answers a TLS 1.3 certificate request with a compressed
    # Certificate message even to servers that never offered compression
    # (Go's, for one), which then abort the handshake: compress nothing.
    settings.certificate_compression_send = []
    settings.certificate_compression_receive = []
    return settings


def _client_credentials(tls) -> tuple[X509CertChain | None, object | None]:
    if tls is None or not tls.client_chain:
        return None, None
    if tls.client_key is None:
        raise RequestFailure("tls", "a client certificate without its key")
    certs = []
    for der in tls.client_chain:
        cert = X509()
        cert.parseBinary(bytearray(der))
        certs.append(cert)
    chain = X509CertChain(certs)
    body = base64.encodebytes(bytes(tls.client_key)).decode("ascii")
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"
    try:
        key = Python_Key.parsePEM(pem)
    except (SyntaxError, ValueError, tls_errors.BaseTLSException) as exc:
        raise RequestFailure("tls", f"cannot use the client key: {exc}") from None
    return chain, key


def _handshake(sock: socket.socket, host: str, tls, deadline: float) -> TLSConnection:
    chain, key = _client_credentials(tls)
    _set_deadline(sock, deadline)
    conn = TLSConnection(sock)
    conn.ignoreAbruptClose = True  # the body's length is known without it
    conn.handshakeClientCert(
        certChain=chain,
        privateKey=key,
        settings=_settings(),
        serverName=None if _ip(host) is not None else host,
    )
    return conn


def _peer_chain(conn: TLSConnection) -> tuple[bytes, ...]:
    chain = conn.session.serverCertChain if conn.session else None
    if chain is None or not chain.x509List:
        raise RequestFailure("tls", "the server showed no certificate")
    return tuple(bytes(cert.bytes) for cert in chain.x509List)


def _check_server(
    peer_chain: tuple[bytes, ...], roots: tuple[bytes, ...], host: str
) -> None:
    """Raise unless the server's chain verifies to `roots` for `host`."""
    try:
        certs = [
            load_certificates(der, source="the server's TLS chain")[0]
            for der in peer_chain
        ]
        anchors = [
            load_certificates(der, source="the trusted root")[0] for der in roots
        ]
        verify_chain(certs[0], certs[1:], anchors, host=host, usage="server")
    except (CertificateError, InputError) as exc:
        raise RequestFailure(
            "tls", f"the server's certificate is not trusted: {exc}"
        ) from None


# -- HTTP/1.1 ---------------------------------------------------------------------


def _encode_request(request: Request, netloc: str, target: str) -> bytes:
    host = netloc.rpartition("@")[2]
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {host}"]
    skip = {"host", "content-length", "connection", "transfer-encoding"}
    for name, value in request.headers:
        if "\r" in name + value or "\n" in name + value:
            raise RequestFailure("protocol", f"header {name!r} holds a line break")
        if name.lower() not in skip:
            lines.append(f"{name}: {value}")
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(request.body)}")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + bytes(request.body)


class _Reader:
    """Buffered reads from the TLS connection, within the deadline."""

    def __init__(
        self, conn: TLSConnection, sock: socket.socket, deadline: float
    ) -> None:
        self.conn = conn
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()
        self.eof = False

    def fill(self) -> bool:
        """Read more; return False at the end of the stream."""
        if self.eof:
            return False
        _set_deadline(self.sock, self.deadline)
        data = self.conn.read(max=_READ_SIZE)
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def line(self, limit: int) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 2]
                return line
            if len(self.buffer) > limit:
                raise RequestFailure("protocol", "a header line is too long")
            if not self.fill():
                raise RequestFailure("protocol", "the connection closed mid-answer")

    def exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            if not self.fill():
                raise RequestFailure("protocol", "the connection closed mid-body")
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def rest(self, limit: int) -> bytes:
        while self.fill():
            if len(self.buffer) > limit:
                raise RequestFailure("toolarge")
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _read_head(reader: _Reader) -> tuple[int, list[tuple[str, str]]]:
    used = 0
    while True:
        line = reader.line(MAX_HEADER_BYTES)
        used += len(line) + 2
        if line:
            break  # RFC 9112 section 2.2: ignore empty lines before the status
        if used > MAX_HEADER_BYTES:
            raise RequestFailure("protocol", "no status line")
    version, _, rest = line.decode("latin-1").partition(" ")
    code = rest.partition(" ")[0]
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise RequestFailure("protocol", "not an HTTP/1.x answer")
    headers: list[tuple[str, str]] = []
    while True:
        line = reader.line(MAX_HEADER_BYTES)
        used += len(line) + 2
        if used > MAX_HEADER_BYTES:
            raise RequestFailure("protocol", "the headers are too large")
        if not line:
            return int(code), headers
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise RequestFailure("protocol", "a malformed header line")
        headers.append((name, value.strip()))


def _header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _read_response(
    reader: _Reader, method: str, limit: int
) -> tuple[int, list[tuple[str, str]], bytes]:
    status, headers = _read_head(reader)
    while 100 <= status < 200:  # interim answers carry no body
        status, headers = _read_head(reader)
    if method == "HEAD" or status in (204, 304):
        return status, headers, b""

    encodings = ",".join(_header(headers, "transfer-encoding")).lower()
    if encodings:
        if [e.strip() for e in encodings.split(",")][-1] != "chunked":
            raise RequestFailure(
                "protocol", f"unsupported transfer encoding {encodings!r}"
            )
        return status, headers, _read_chunked(reader, limit)

    lengths = set(_header(headers, "content-length"))
    if lengths:
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise RequestFailure("protocol", "a bad Content-Length")
        length = int(next(iter(lengths)))
        if length > limit:
            raise RequestFailure("toolarge")
        return status, headers, reader.exactly(length)
    return status, headers, reader.rest(limit)


def _read_chunked(reader: _Reader, limit: int) -> bytes:
    """RFC 9112 section 7.1: chunks, then trailers, which are dropped."""
    body = bytearray()
    while True:
        size_text = reader.line(MAX_HEADER_BYTES).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise RequestFailure("protocol", "a bad chunk size") from None
        if size < 0:
            raise RequestFailure("protocol", "a bad chunk size")
        if size == 0:
            break
        if len(body) + size > limit:
            raise RequestFailure("toolarge")
        body += reader.exactly(size)
        if reader.exactly(2) != b"\r\n":
            raise RequestFailure("protocol", "a chunk without its line end")
    while reader.line(MAX_HEADER_BYTES):
        pass
    return bytes(body)
