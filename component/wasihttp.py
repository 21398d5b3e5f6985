"""The core's Transport port over `wasi:http/outgoing-handler`: the runtime's
own HTTP client, for runtimes that lend no sockets (dist/stepwasm-cli-http.wasm).

The runtime does TLS here with its own trust store: the core's roots cannot be
applied, the peer chain is not shown (`Response.runtime_tls`), and no client
certificate can be presented. `FallbackTransport` says so when it switches.

Resources are dropped explicitly, children before parents, as wasi:http
requires; leaving that to the garbage collector traps.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from stepwasm_core.errors import TransportError
from stepwasm_core.ports import Request, Response
from stepwasm_core.tlstransport import (
    DEFAULT_TIMEOUT,
    MAX_RESPONSE_BYTES,
    RequestFailure,
)
from wit_world.imports import outgoing_handler, streams
from wit_world.imports import wasi_http_types as http

__all__ = ["WasiHttpTransport"]

_METHODS = {
    "GET": http.Method_Get,
    "HEAD": http.Method_Head,
    "POST": http.Method_Post,
    "PUT": http.Method_Put,
    "DELETE": http.Method_Delete,
}
# wasi:http's streams take at most this much per blocking write.
_WRITE_CHUNK = 4096
_READ_CHUNK = 65536
_NS_PER_S = 1_000_000_000
_PRIVATE_CA_HINT = (
    " (it trusts only the runtime's roots: a private CA needs sockets, "
    "e.g. wasmtime run -S inherit-network)"
)


class WasiHttpTransport:
    """One request at a time through the runtime's HTTP client."""

    def __init__(
        self,
        *,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_timeout: float | None = None,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.max_timeout = max_timeout

    def supports_client_certificates(self) -> bool:
        return False

    def send(self, request: Request) -> Response:
        try:
            return self._send(request)
        except RequestFailure as exc:
            raise TransportError(
                f"cannot reach {request.url}: {exc.detail}",
                method=request.method,
                url=request.url,
                cause=exc.kind,
            ) from None

    def _send(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        if parts.scheme != "https" or not parts.netloc:
            raise RequestFailure("denied", f"only https URLs, not {request.url!r}")
        method = _METHODS.get(request.method)
        if method is None:
            raise RequestFailure("protocol", f"unsupported method {request.method}")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

        outgoing = http.OutgoingRequest(_fields(request))
        outgoing.set_method(method())
        outgoing.set_scheme(http.Scheme_Https())
        outgoing.set_authority(parts.netloc)
        outgoing.set_path_with_query(target)
        body = outgoing.body()
        options = self._options(request)
        try:
            future = outgoing_handler.handle(outgoing, options)
        except Err as exc:
            _drop(body)
            raise _error(exc.value) from None
        _write_body(body, request.body)
        with future:
            return self._receive(future)

    def _options(self, request: Request) -> http.RequestOptions | None:
        seconds = request.timeout_ms / 1000 if request.timeout_ms else DEFAULT_TIMEOUT
        if self.max_timeout is not None:
            seconds = min(seconds, self.max_timeout)
        options = http.RequestOptions()
        nanoseconds = int(seconds * _NS_PER_S)
        for setter in (
            options.set_connect_timeout,
            options.set_first_byte_timeout,
            options.set_between_bytes_timeout,
        ):
            try:
                setter(nanoseconds)
            except Err:
                pass  # this runtime keeps its own timeouts
        return options

    def _receive(self, future: http.FutureIncomingResponse) -> Response:
        with future.subscribe() as ready:
            ready.block()
        outcome = future.get()
        if outcome is None or isinstance(outcome, Err):
            raise RequestFailure("protocol", "the runtime gave no response")
        result = outcome.value
        if isinstance(result, Err):
            raise _error(result.value)
        assert isinstance(result, Ok)
        with result.value as response:
            status = response.status()
            with response.headers() as fields:
                headers = tuple(
                    (name, value.decode("latin-1")) for name, value in fields.entries()
                )
            body = self._read_body(response)
        return Response(status=status, headers=headers, body=body, runtime_tls=True)

    def _read_body(self, response: http.IncomingResponse) -> bytes:
        incoming = response.consume()
        chunks: list[bytes] = []
        size = 0
        try:
            with incoming.stream() as stream:
                while True:
                    try:
                        chunk = stream.blocking_read(_READ_CHUNK)
                    except Err as exc:
                        if isinstance(exc.value, streams.StreamError_Closed):
                            break
                        raise _stream_failure(exc.value, "reading the answer") from None
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise RequestFailure("toolarge", "the answer is too large")
                    chunks.append(chunk)
        finally:
            _drop(http.IncomingBody.finish(incoming))
        return b"".join(chunks)


def _fields(request: Request) -> http.Fields:
    entries = [(name, value.encode("latin-1")) for name, value in request.headers]
    if request.body:
        entries.append(("content-length", str(len(request.body)).encode()))
    try:
        return http.Fields.from_list(entries)
    except Err as exc:
        name = type(exc.value).__name__.removeprefix("HeaderError_")
        raise RequestFailure(
            "protocol", f"the runtime refused a header ({name})"
        ) from None


def _write_body(body: http.OutgoingBody, data: bytes) -> None:
    try:
        with body.write() as stream:
            for start in range(0, len(data), _WRITE_CHUNK):
                try:
                    stream.blocking_write_and_flush(data[start : start + _WRITE_CHUNK])
                except Err as exc:
                    raise _stream_failure(exc.value, "sending the request") from None
    finally:
        http.OutgoingBody.finish(body, None)


def _drop(resource) -> None:
    if resource is not None:
        resource.__exit__(None, None, None)


def _stream_failure(error, doing: str) -> RequestFailure:
    if isinstance(error, streams.StreamError_LastOperationFailed):
        with error.value as io_error:
            code = http.http_error_code(io_error)
            if code is not None:
                return _error(code)
            return RequestFailure("protocol", f"{doing}: {io_error.to_debug_string()}")
    return RequestFailure("protocol", f"{doing}: the connection closed")


def _error(code) -> RequestFailure:
    """One clear line for a wasi:http error-code."""
    name = type(code).__name__.removeprefix("ErrorCode_")
    value = getattr(code, "value", None)
    if name in ("TlsProtocolError", "TlsCertificateError", "TlsAlertReceived"):
        detail = getattr(value, "alert_message", None) or ""
        return RequestFailure(
            "tls",
            "the runtime's HTTP client could not verify the server's certificate"
            + (f" ({detail})" if detail else "")
            + _PRIVATE_CA_HINT,
        )
    if name == "InternalError":
        text = f"the runtime's HTTP client failed: {value or 'internal error'}"
        if "certificate" in text.lower():
            return RequestFailure("tls", text + _PRIVATE_CA_HINT)
        return RequestFailure("internal", text)
    if name in ("ConnectionTimeout", "ConnectionReadTimeout", "HttpResponseTimeout"):
        return RequestFailure("timeout", "timed out")
    if name in ("DnsError", "DnsTimeout", "DestinationNotFound"):
        return RequestFailure("dns", "the runtime could not look up the host")
    if name == "ConnectionRefused":
        return RequestFailure("connect", "connection refused")
    if name == "HttpRequestDenied":
        return RequestFailure("denied", "the runtime does not allow this request")
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return RequestFailure("protocol", f"the runtime's HTTP client failed: {words}")
