"""The one layer that talks to step-ca: send, check the status, decode."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from .errors import CAError, InputError, TransportError
from .ports import Request, Response, TlsConfig, Transport
from .wire import (
    ProvisionerPage,
    RevokeRequest,
    SignRequest,
    SignResponse,
    parse_json,
)

__all__ = ["MAX_CLOCK_SKEW", "CAClient", "clock_skew_warning", "normalize_ca_url"]

logger = logging.getLogger(__name__)

_USER_AGENT = "stepwasm/0.1"

#: Tokens have one minute of leeway; warn well before a skew breaks them.
MAX_CLOCK_SKEW = 30.0


def normalize_ca_url(ca_url: str) -> str:
    """`ca.example:9000/` -> `https://ca.example:9000`; refuse what is not https."""
    url = ca_url.strip()
    if not url:
        raise InputError("--ca-url is empty")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if "@" in parts.netloc:  # said without the URL: it may hold a password
        raise InputError(
            "--ca-url: a user name or password in the URL is not for step-ca; "
            "leave it out"
        )
    if parts.scheme != "https":
        raise InputError(f"--ca-url {ca_url!r}: the CA must be reached over https")
    if not parts.hostname:
        raise InputError(f"--ca-url {ca_url!r}: no host name")
    if parts.query or parts.fragment:
        raise InputError(f"--ca-url {ca_url!r}: no query or fragment allowed")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def clock_skew_warning(skew: float) -> str:
    """The line to show when the CA's clock and ours differ by `skew` seconds."""
    side = "ahead of" if skew > 0 else "behind"
    return (
        f"warning: the CA's clock is {abs(skew):.0f} s {side} this machine's; "
        "tokens allow one minute of skew: check the time sync on both"
    )


def _server_time(response: Response) -> float | None:
    """The CA's `Date` header as Unix seconds, if it has a valid one."""
    value = response.header("Date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def _error_message(body: bytes) -> tuple[str, str]:
    """The CA's own message and request id from an error body, leniently."""
    try:
        obj = parse_json(body)
    except (UnicodeDecodeError, ValueError):
        text = body.decode("utf-8", "replace").strip().splitlines()
        return (text[0][:200] if text else ""), ""
    if not isinstance(obj, dict):
        return "", ""
    message = obj.get("message") or obj.get("detail") or obj.get("error") or ""
    return str(message), str(obj.get("requestId") or "")


class CAClient:
    """Requests to one CA, trusting exactly `roots` (DER)."""

    def __init__(
        self,
        transport: Transport,
        ca_url: str,
        roots: list[bytes],
        *,
        timeout_ms: int = 30_000,
        clock: Callable[[], float] = time.time,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self.transport = transport
        self.ca_url = normalize_ca_url(ca_url)
        self.roots = tuple(roots)
        self.timeout_ms = timeout_ms
        self.clock = clock
        #: Called once with a warning line when the clocks differ too much.
        self.on_warning = on_warning
        #: The CA's clock minus ours (seconds) at the last answer with a Date.
        self.clock_skew: float | None = None
        self.warnings: list[str] = []

    @property
    def host(self) -> str:
        return urlsplit(self.ca_url).hostname or ""

    def url(self, path: str) -> str:
        return self.ca_url + path

    def send(
        self,
        method: str,
        path: str,
        *,
        body: object | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        tls: TlsConfig | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Response:
        """Send one request; raise CAError for a status not in `expect`."""
        url = self.url(path)
        all_headers = (("User-Agent", _USER_AGENT), ("Accept", "application/json"))
        data = b""
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers += (("Content-Type", "application/json"),)
        request = Request(
            method=method,
            url=url,
            headers=all_headers + headers,
            body=data,
            tls=tls or TlsConfig(roots=self.roots),
            timeout_ms=self.timeout_ms,
        )

        try:
            response = self.transport.send(request)
        except TransportError as exc:
            exc.method, exc.url = method, url
            raise
        logger.info("%s %s %d", method, url, response.status)
        self._check_clock(response)

        if response.status not in expect:
            message, request_id = _error_message(response.body)
            raise CAError(response.status, message, url=url, request_id=request_id)
        return response

    def _check_clock(self, response: Response) -> None:
        """Compare the CA's Date header with our clock; warn once if far off."""
        server = _server_time(response)
        if server is None:
            return
        self.clock_skew = server - self.clock()
        if abs(self.clock_skew) > MAX_CLOCK_SKEW and not self.warnings:
            line = clock_skew_warning(self.clock_skew)
            self.warnings.append(line)
            # DEBUG only: the caller shows the line (no handler is set up in
            # the component, and WARNING would reach stderr a second time).
            logger.debug("%s", line)
            if self.on_warning is not None:
                self.on_warning(line)

    def json(self, response: Response) -> object:
        try:
            return parse_json(response.body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise CAError(
                response.status, f"the answer is not JSON ({exc})", url=self.ca_url
            ) from None

    def health(self) -> str:
        obj = self.json(self.send("GET", "/health"))
        status = obj.get("status") if isinstance(obj, dict) else None
        return str(status or "")

    def root(self, fingerprint: str, *, verify: bool = True) -> tuple[str, Response]:
        """`GET /root/{fingerprint}`: the root PEM and the raw response."""
        tls = TlsConfig(roots=self.roots, verify=verify)
        response = self.send("GET", "/root/" + quote(fingerprint), tls=tls)
        obj = self.json(response)
        pem = obj.get("ca") if isinstance(obj, dict) else None
        if not isinstance(pem, str) or not pem:
            raise CAError(response.status, "the answer has no root certificate")
        return pem, response

    def roots_pems(self) -> list[str]:
        obj = self.json(self.send("GET", "/roots"))
        crts = obj.get("crts") if isinstance(obj, dict) else None
        return [str(c) for c in crts] if isinstance(crts, list) else []

    def provisioner_page(self, cursor: str = "", limit: int = 100) -> ProvisionerPage:
        path = f"/provisioners?limit={limit}"
        if cursor:
            path += "&cursor=" + quote(cursor)
        return ProvisionerPage.from_json(self.json(self.send("GET", path)))

    def sign(self, request: SignRequest) -> SignResponse:
        response = self.send("POST", "/1.0/sign", body=request.to_json())
        return SignResponse.from_json(self.json(response))

    def renew(
        self,
        *,
        tls: TlsConfig | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> SignResponse:
        response = self.send("POST", "/1.0/renew", tls=tls, headers=headers)
        return SignResponse.from_json(self.json(response))

    def revoke(self, request: RevokeRequest, *, tls: TlsConfig | None = None) -> None:
        self.send("POST", "/1.0/revoke", body=request.to_json(), tls=tls)
