"""The wasmtime-py host of the stepwasm component: API, CLI and the two ports."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import (
    Client,
    DaemonPlan,
    Issued,
    KeySpec,
    Profile,
    Renewal,
    RenewFiles,
    RunResult,
)
from .errors import (
    BootstrapError,
    CAError,
    CertificateError,
    CertificateExpired,
    ComponentError,
    ComponentNotFound,
    ComponentTrap,
    ConfigError,
    CryptoError,
    InputError,
    InternalError,
    StepwasmError,
    StorageError,
    TokenError,
    TransportError,
)
from .http import Http, HttpFailure, HttpRequest, HttpResponse, TlsConfig
from .rotation import Renewer, RotatingSSLContext, Rotation
from .runtime import Ports, Runtime, Session
from .storage import Storage, StorageFailure

__all__ = [
    "BootstrapError",
    "CAError",
    "CertificateError",
    "CertificateExpired",
    "Client",
    "ComponentError",
    "ComponentNotFound",
    "ComponentTrap",
    "ConfigError",
    "CryptoError",
    "DaemonPlan",
    "Http",
    "HttpFailure",
    "HttpRequest",
    "HttpResponse",
    "InputError",
    "InternalError",
    "Issued",
    "KeySpec",
    "Ports",
    "Profile",
    "RenewFiles",
    "Renewal",
    "Renewer",
    "RotatingSSLContext",
    "Rotation",
    "RunResult",
    "Runtime",
    "Session",
    "StepwasmError",
    "Storage",
    "StorageError",
    "StorageFailure",
    "TlsConfig",
    "TokenError",
    "TransportError",
    "__version__",
]
