"""The wasmtime-py host of the stepwasm component: API, CLI and the two ports."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Client, Issued, KeySpec, Profile, RunResult
from .errors import (
    BootstrapError,
    CAError,
    CertificateError,
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
from .runtime import Ports, Runtime, Session
from .storage import Storage, StorageFailure

__all__ = [
    "BootstrapError",
    "CAError",
    "CertificateError",
    "Client",
    "ComponentError",
    "ComponentNotFound",
    "ComponentTrap",
    "ConfigError",
    "CryptoError",
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
