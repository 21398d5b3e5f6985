"""The exceptions an embedder of the component sees.

StepwasmError
├── InputError          a bad argument, file or PEM block (also ValueError)
├── ConfigError         no profile yet, or unreadable settings
├── StorageError        the storage port refused or failed
├── TransportError      DNS, connect, TLS, timeout, ...
├── CAError             the CA answered with an error status (`status`)
├── CryptoError
├── CertificateError    a certificate that does not parse, fit or verify
│   └── CertificateExpired  expired, and the CA refuses to renew it
├── BootstrapError      fingerprint mismatch, untrusted peer chain
├── TokenError          a token that cannot be made or read
├── InternalError       a bug inside the component
├── ComponentError      the component cannot be found, compiled or linked
│   └── ComponentNotFound
└── ComponentTrap       the component trapped (it is reloaded on the next call)

The first ten and CertificateExpired mirror the `error-kind` enum of
`stepwasm:client/api`.
"""

from __future__ import annotations

__all__ = [
    "BootstrapError",
    "CAError",
    "CertificateError",
    "CertificateExpired",
    "ComponentError",
    "ComponentNotFound",
    "ComponentTrap",
    "ConfigError",
    "CryptoError",
    "InputError",
    "InternalError",
    "StepwasmError",
    "StorageError",
    "TokenError",
    "TransportError",
    "error_from_kind",
]


class StepwasmError(Exception):
    """Root of every error this package raises on purpose."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(StepwasmError, ValueError):
    kind = "input"


class ConfigError(StepwasmError):
    kind = "config"


class StorageError(StepwasmError):
    kind = "storage"


class TransportError(StepwasmError):
    kind = "transport"


class CAError(StepwasmError):
    """The CA answered with an error status."""

    kind = "ca"

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class CryptoError(StepwasmError):
    kind = "crypto"


class CertificateError(StepwasmError):
    kind = "certificate"


class CertificateExpired(CertificateError):
    """The certificate has expired and the CA refuses to renew it."""

    kind = "expired"


class BootstrapError(StepwasmError):
    kind = "bootstrap"


class TokenError(StepwasmError):
    kind = "token"


class InternalError(StepwasmError):
    kind = "internal"


class ComponentError(StepwasmError):
    """The component cannot be found, compiled or linked."""

    kind = "component"


class ComponentNotFound(ComponentError):
    """No component file where one was expected."""


class ComponentTrap(StepwasmError):
    """The component trapped; its instance is discarded."""

    kind = "trap"


_BY_KIND: dict[str, type[StepwasmError]] = {
    cls.kind: cls
    for cls in (
        InputError,
        ConfigError,
        StorageError,
        TransportError,
        CryptoError,
        CertificateError,
        CertificateExpired,
        BootstrapError,
        TokenError,
        InternalError,
    )
}


def error_from_kind(kind: str, message: str, status: int = 0) -> StepwasmError:
    """The exception for an api `error` record (unknown kinds are internal)."""
    if kind == "ca":
        return CAError(message, status)
    cls = _BY_KIND.get(kind)
    if cls is None:
        return InternalError(f"{message} (unknown error kind {kind!r})")
    return cls(message)
