"""A Transport that speaks over sockets while the runtime lends them, and
falls back to the runtime's own HTTP client (wasi:http) when it does not.

Over sockets the core does TLS itself and trusts exactly the bootstrapped root.
The runtime's HTTP client does TLS with the runtime's trust store, shows no
peer chain and presents no client certificate, so a private CA is reachable
through it only if the runtime already trusts that CA. The switch is said once,
on the `notice` callback, because it weakens what "trusted" means.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import TransportError
from .ports import Request, Response, Transport

__all__ = ["NOTICE", "FallbackTransport"]

NOTICE = (
    "warning: the runtime lends no sockets, so HTTPS goes through its wasi:http "
    "client: the runtime's trust store checks the CA instead of the bootstrapped "
    "root, and no client certificate can be shown"
)


class FallbackTransport:
    """`primary` (sockets, TLS inside) unless the runtime refuses it sockets."""

    def __init__(
        self,
        primary: Transport,
        fallback: Transport,
        network_lent: Callable[[], bool],
        notice: Callable[[str], None],
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self._network_lent = network_lent
        self._notice = notice
        self._current: Transport | None = None

    def supports_client_certificates(self) -> bool:
        return self._pick().supports_client_certificates()

    def send(self, request: Request) -> Response:
        transport = self._pick()
        try:
            return transport.send(request)
        except TransportError as exc:
            # Sockets can be made but this connection was refused by the
            # runtime's policy (an address it does not allow).
            if transport is not self.primary or exc.cause != "no-network":
                raise
        self._switch()
        return self.fallback.send(request)

    def _pick(self) -> Transport:
        if self._current is None:
            if self._network_lent():
                self._current = self.primary
            else:
                self._switch()
        assert self._current is not None
        return self._current

    def _switch(self) -> None:
        self._current = self.fallback
        self._notice(NOTICE)
