"""The exception tree of the stepwasm core.

StepwasmError
├── InputError          bad user input: a flag, a file, a PEM block (a ValueError)
├── ConfigError         no profile yet, or an unreadable defaults.json
├── StorageError        the storage port refused or failed
├── TransportError      the http port failed: DNS, connect, TLS, timeout, ...
├── CAError             the CA answered with an error status
├── CryptoError
│   ├── InvalidSignature
│   └── DecryptionError wrong password, corrupt JWE
├── CertificateError    a certificate or CSR that does not parse or fit
│   ├── VerificationError   a chain that does not verify
│   └── ExpiredError        expired, and the CA will not renew it
├── BootstrapError      fingerprint mismatch, untrusted peer chain
└── TokenError          a token that cannot be made or read

Messages are lower-case, context first, then cause, and never carry a
secret (password, private key, whole token).
"""

from __future__ import annotations

__all__ = [
    "BootstrapError",
    "CAError",
    "CertificateError",
    "ConfigError",
    "CryptoError",
    "DecryptionError",
    "ExpiredError",
    "InputError",
    "InvalidSignature",
    "StepwasmError",
    "StorageError",
    "TokenError",
    "TransportError",
    "VerificationError",
]


class StepwasmError(Exception):
    """Root of every error the core raises on purpose."""

    kind = "error"


class InputError(StepwasmError, ValueError):
    kind = "input"


class ConfigError(StepwasmError):
    kind = "config"


class StorageError(StepwasmError):
    kind = "storage"

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        #: True when the file does not exist.
        self.missing = missing


class TransportError(StepwasmError):
    kind = "transport"

    def __init__(
        self, message: str, *, method: str = "", url: str = "", cause: str = ""
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.cause = cause


class CAError(StepwasmError):
    """The CA answered with an error status."""

    kind = "ca"

    def __init__(
        self, status: int, message: str, *, url: str = "", request_id: str = ""
    ) -> None:
        text = f"the CA answered {status}"
        if message:
            text += f": {message}"
        super().__init__(text)
        self.status = status
        self.ca_message = message
        self.url = url
        self.request_id = request_id


class CryptoError(StepwasmError):
    kind = "crypto"


class InvalidSignature(CryptoError):
    pass


class DecryptionError(CryptoError):
    pass


class CertificateError(StepwasmError):
    kind = "certificate"


class VerificationError(CertificateError):
    pass


class ExpiredError(CertificateError):
    """The certificate has expired and the CA refuses to renew it."""

    kind = "expired"


class BootstrapError(StepwasmError):
    kind = "bootstrap"


class TokenError(StepwasmError):
    kind = "token"
