"""`stepwasm web`: serve the browser page and a gateway to one CA, on loopback.

The page (host/web/dist, built by build.sh) runs the component in the browser;
its `http` import sends the component's requests for the CA to `/ca/...` here.
The gateway forwards them to the configured CA only, over TLS verified against
the CA's root, and returns the certificate chain the CA presented in the
`X-Stepwasm-Peer-Chain` header (base64 DER, leaf first, comma-separated), so
the component can check it at bootstrap as it does under the Python host.

It is no open proxy: it listens on a loopback address, forwards to one origin,
answers only requests whose `Host` is its own address and whose `Origin`, when
sent, is its own origin, and requires the `X-Stepwasm-Gateway` header on `/ca/`
so that another site's page cannot drive it without a CORS preflight (which it
never grants).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .http import Http, HttpFailure, HttpRequest, TlsConfig

__all__ = ["Gateway", "GatewayConfig", "main", "resolve_root", "web_root"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 8780
#: The largest request body the gateway forwards (a CSR or a token is small).
MAX_REQUEST_BYTES = 256 * 1024
#: Request headers passed on to the CA; everything else stays here.
FORWARDED_HEADERS = ("content-type", "accept", "authorization")
#: Response headers passed back to the page.
RETURNED_HEADERS = ("content-type", "x-request-id", "location")

#: The page's policy: scripts, workers, wasm and requests from this origin only.
#: xterm.js adds <style> elements for its theme, hence 'unsafe-inline' for styles.
CONTENT_SECURITY_POLICY = "; ".join(  # noqa: FLY002 (one directive a line)
    [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

_PEM_CERT = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s+(.+?)\s+-----END CERTIFICATE-----", re.DOTALL
)


# How long, and how much, a closing connection is read before it is closed.
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 1 << 20


class GatewayError(Exception):
    """The gateway cannot start: a bad option, root or CA."""


@dataclass(frozen=True)
class GatewayConfig:
    ca_url: str
    root_der: bytes
    web_root: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.root_der).hexdigest()


def web_root() -> Path:
    """The built page: $STEPWASM_WEB_DIR, else host/web/dist of this checkout."""
    configured = os.environ.get("STEPWASM_WEB_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "web" / "dist"


def _ca_origin(ca_url: str) -> str:
    parts = urlsplit(ca_url)
    if parts.scheme != "https" or not parts.hostname:
        raise GatewayError(f"--ca-url {ca_url}: expected https://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.username:
        raise GatewayError(f"--ca-url {ca_url}: give the CA's origin only")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"https://{host}" + (f":{parts.port}" if parts.port else "")


def _der_certificates(data: bytes) -> list[bytes]:
    """The certificates in PEM text, or the one DER certificate given."""
    blocks = _PEM_CERT.findall(data)
    if blocks:
        return [base64.b64decode(b"".join(block.split())) for block in blocks]
    return [data] if data[:1] == b"\x30" else []


def resolve_root(
    ca_url: str, *, fingerprint: str | None = None, root_file: str | None = None
) -> bytes:
    """The CA's root, DER: read from `root_file`, or fetched and checked.

    With a fingerprint, the root is fetched from `/root/{fingerprint}` without
    TLS verification, its SHA-256 compared with the fingerprint, and then a
    request verified against that root must succeed for the CA's host name, as
    the component's bootstrap checks.
    """
    http = Http(allowed_origins=[ca_url])
    if root_file is not None:
        try:
            data = Path(root_file).read_bytes()
        except OSError as e:
            raise GatewayError(f"--root {root_file}: {e.strerror or e}") from e
        certs = _der_certificates(data)
        if not certs:
            raise GatewayError(f"--root {root_file}: no certificate in it")
        root = certs[0]
    else:
        assert fingerprint is not None
        wanted = fingerprint.replace(":", "").strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", wanted):
            raise GatewayError("--fingerprint: expected 64 hex digits (SHA-256)")
        try:
            response = http.send(
                HttpRequest(
                    "GET", f"{ca_url}/root/{wanted}", tls=TlsConfig(verify=False)
                )
            )
        except HttpFailure as e:
            raise GatewayError(f"cannot fetch the root from {ca_url}: {e}") from e
        if response.status == 404:
            raise GatewayError(
                f"the CA has no root with fingerprint {wanted} (it answered 404)"
            )
        if response.status != 200:
            raise GatewayError(
                f"cannot fetch the root from {ca_url}: HTTP {response.status}"
            )
        try:
            pem = json.loads(response.body)["ca"].encode("ascii")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise GatewayError(f"{ca_url}/root: not a root answer") from e
        certs = _der_certificates(pem)
        if not certs or hashlib.sha256(certs[0]).hexdigest() != wanted:
            raise GatewayError(f"{ca_url}: the root does not match the fingerprint")
        root = certs[0]

    try:
        http.send(HttpRequest("GET", f"{ca_url}/health", tls=TlsConfig(roots=[root])))
    except HttpFailure as e:
        raise GatewayError(f"{ca_url} does not verify against the root: {e}") from e
    return root


class Gateway:
    """The loopback HTTP server: the page, its assets and `/ca/` forwarding."""

    def __init__(self, config: GatewayConfig, http: Http | None = None) -> None:
        if config.host not in ("127.0.0.1", "::1", "localhost"):
            raise GatewayError(f"{config.host}: the gateway listens on loopback only")
        manifest_path = config.web_root / "manifest.json"
        try:
            self.manifest = json.loads(manifest_path.read_text())["files"]
        except (OSError, ValueError, KeyError) as e:
            raise GatewayError(
                f"{manifest_path}: the page is not built (run ./build.sh)"
            ) from e
        self.config = config
        self.http = http or Http(allowed_origins=[config.ca_url])
        self.tls = TlsConfig(roots=[config.root_der])
        server_class = _IPv6Server if ":" in config.host else _Server
        self.server = server_class((config.host, config.port), _Handler)
        self.server.gateway = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        host = f"[{config.host}]" if ":" in config.host else config.host
        names = {host, "localhost"} if config.host != "::1" else {host}
        self.hosts = frozenset(f"{name}:{self.port}" for name in names)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)
        self.url = f"http://{host}:{self.port}/"
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def start(self) -> None:
        """Serve in a background thread (tests)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def forward(self, method: str, path: str, headers, body: bytes):
        """Send one request to the CA; answer (status, headers, body)."""
        url = self.config.ca_url + path
        parts = urlsplit(url)
        if _ca_origin(f"{parts.scheme}://{parts.netloc}") != self.config.ca_url:
            return _refusal(HTTPStatus.FORBIDDEN, "only the configured CA is reachable")
        pairs = [
            (name, value)
            for name, value in headers.items()
            if name.lower() in FORWARDED_HEADERS
        ]
        request = HttpRequest(method, url, pairs, body, tls=self.tls)
        try:
            response = self.http.send(request)
        except HttpFailure as e:
            # The page's http import turns this header into the WIT error case.
            detail = e.kind + ":" + _header_safe(e.message)
            return 502, [("X-Stepwasm-Error", detail)], str(e).encode()
        returned = [
            (name, value)
            for name, value in response.headers
            if name.lower() in RETURNED_HEADERS
        ]
        chain = ",".join(base64.b64encode(der).decode() for der in response.peer_chain)
        returned.append(("X-Stepwasm-Peer-Chain", chain))
        return response.status, returned, response.body


def _header_safe(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:500]


def _refusal(status: HTTPStatus, message: str):
    return (
        int(status),
        [("Content-Type", "text/plain; charset=utf-8")],
        (f"stepwasm web: {message}\n".encode()),
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def shutdown_request(self, request) -> None:
        """Close after reading what the client still sends (a bounded amount):
        closing with unread input resets the connection, and the client would
        lose the answer, such as the 414 for an overlong request line."""
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(_LINGER_SECONDS)
            left = _LINGER_BYTES
            while left > 0 and (chunk := request.recv(min(left, 65536))):
                left -= len(chunk)
        except OSError:
            pass
        self.close_request(request)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server_version = "stepwasm-web"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def gateway(self) -> Gateway:
        return self.server.gateway  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        # No CORS preflight is ever granted.
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self) -> None:
        status, headers, body = self._answer()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _answer(self):
        gateway = self.gateway
        # Two of these could be read one way here and another way behind us.
        for name in ("Host", "Origin", "Sec-Fetch-Site", "X-Stepwasm-Gateway"):
            if len(self.headers.get_all(name, ())) > 1:
                return _refusal(HTTPStatus.BAD_REQUEST, f"more than one {name}")
        host = self.headers.get("Host", "")
        if host.lower() not in gateway.hosts:
            return _refusal(HTTPStatus.MISDIRECTED_REQUEST, "unknown Host")
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in gateway.origins:
            return _refusal(HTTPStatus.FORBIDDEN, "foreign Origin")
        if self.headers.get("Sec-Fetch-Site", "same-origin") not in (
            "same-origin",
            "none",
        ):
            return _refusal(HTTPStatus.FORBIDDEN, "cross-site request")
        if not self.path.startswith("/"):
            return _refusal(HTTPStatus.BAD_REQUEST, "only origin-form request targets")

        if self.path.startswith("/ca/"):
            return self._forward()
        if self.command not in ("GET", "HEAD"):
            return _refusal(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")
        path = self.path.split("?", 1)[0]
        if path == "/config.json":
            body = json.dumps(
                {
                    "caUrl": gateway.config.ca_url,
                    "fingerprint": gateway.config.fingerprint,
                }
            ).encode()
            return (
                200,
                [
                    ("Content-Type", "application/json"),
                    ("Cache-Control", "no-store"),
                ],
                body,
            )
        name = "index.html" if path == "/" else path.removeprefix("/")
        if name not in gateway.manifest:
            return _refusal(HTTPStatus.NOT_FOUND, "not found")
        return self._asset(name)

    def _asset(self, name: str):
        entry = self.gateway.manifest[name]
        accepted = {
            part.split(";")[0].strip().lower()
            for part in self.headers.get("Accept-Encoding", "").split(",")
        }
        suffix, encoding = "", None
        if "br" in accepted:
            suffix, encoding = ".br", "br"
        elif "gzip" in accepted:
            suffix, encoding = ".gz", "gzip"
        body = (self.gateway.config.web_root / (name + suffix)).read_bytes()
        headers = [
            ("Content-Type", entry["type"]),
            ("Vary", "Accept-Encoding"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("X-Frame-Options", "DENY"),
            ("Cache-Control", "no-cache"),
        ]
        if encoding:
            headers.append(("Content-Encoding", encoding))
        return 200, headers, body

    def _forward(self):
        if self.command not in ("GET", "POST"):
            return _refusal(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")
        if self.headers.get("X-Stepwasm-Gateway") != "1":
            return _refusal(HTTPStatus.FORBIDDEN, "not a request of the page")
        path = self.path.removeprefix("/ca")
        plain = path.split("?", 1)[0]
        if (
            "\\" in path
            or "%" in plain
            or any(part in (".", "..") for part in plain.split("/"))
            or plain.startswith("//")
        ):
            return _refusal(HTTPStatus.BAD_REQUEST, "invalid path")
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_REQUEST_BYTES:
            return _refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
        body = self.rfile.read(int(length)) if int(length) else b""
        status, headers, answer = self.gateway.forward(
            self.command, path, self.headers, body
        )
        headers.append(("Cache-Control", "no-store"))
        return status, headers, answer

    def log_message(self, format: str, *args) -> None:
        # Paths only, never a query or a header: tokens travel in headers.
        # A request refused before it was parsed (such as 414) has no path.
        path = getattr(self, "path", "")
        log.debug("%s %s", self.command or "-", path.split("?", 1)[0][:200])

    def log_request(self, code="-", size="-") -> None:
        path = getattr(self, "path", "")
        if path.startswith("/ca/"):
            log.info("%s %s -> %s", self.command, path.split("?", 1)[0][:200], code)


def main(argv: Sequence[str]) -> int:
    """`stepwasm web --ca-url URL (--fingerprint FP | --root FILE) [--port N]`."""
    parser = argparse.ArgumentParser(
        prog="stepwasm web",
        description="Serve the stepwasm page and a gateway to one CA on loopback.",
    )
    parser.add_argument("--ca-url", required=True, help="the CA, https://host[:port]")
    trust = parser.add_mutually_exclusive_group(required=True)
    trust.add_argument("--fingerprint", help="the root's SHA-256 fingerprint")
    trust.add_argument("--root", help="the root certificate file (PEM or DER)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        choices=["127.0.0.1", "::1"],
        help="loopback address to listen on",
    )
    args = parser.parse_args(list(argv))

    try:
        ca_url = _ca_origin(args.ca_url)
        root = resolve_root(ca_url, fingerprint=args.fingerprint, root_file=args.root)
        gateway = Gateway(
            GatewayConfig(ca_url, root, web_root(), host=args.host, port=args.port)
        )
    except (GatewayError, OSError) as e:
        print(f"stepwasm web: {e}", file=sys.stderr)
        return 1
    # One line per request forwarded to the CA from here on (no query, no header).
    logging.basicConfig(level=logging.INFO, format="stepwasm web: %(message)s")
    print(
        f"stepwasm web: serving {gateway.url} for {ca_url} "
        f"(root {hashlib.sha256(root).hexdigest()[:16]}…); Ctrl-C stops it",
        flush=True,
    )
    try:
        gateway.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.server.server_close()
    return 0
