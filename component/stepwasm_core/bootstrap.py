"""Bootstrap: trust a CA's root by its fingerprint."""

from __future__ import annotations

from .caclient import CAClient
from .errors import (
    BootstrapError,
    CAError,
    CertificateError,
    InputError,
    StorageError,
)
from .fingerprint import fingerprint, normalize_fingerprint
from .pem import load_certificates, to_pem
from .ports import PROFILE, Storage, Transport
from .profile import ROOT_PATH, Profile, save_profile
from .verify import verify_chain

__all__ = ["bootstrap"]


def bootstrap(
    transport: Transport,
    storage: Storage,
    ca_url: str,
    expected_fingerprint: str,
    *,
    force: bool = False,
    root_display: str = ROOT_PATH,
) -> Profile:
    """Fetch `/root/{fp}` unverified, check it, and save the profile.

    The root must hash to the fingerprint, and the chain the server showed in
    the TLS handshake must verify up to it. Nothing is saved otherwise.
    """
    expected = normalize_fingerprint(expected_fingerprint)
    client = CAClient(transport, ca_url, [])

    try:
        root_pem, response = client.root(expected, verify=False)
    except CAError as exc:
        if exc.status != 404:
            raise
        raise BootstrapError(
            f"the CA has no root with fingerprint {expected} (it answered 404)"
        ) from None
    try:
        root = load_certificates(root_pem.encode("utf-8"), source="the CA's root")[0]
    except (CertificateError, InputError) as exc:
        raise BootstrapError(f"the CA sent a bad root certificate: {exc}") from None
    root_der = root.dump()
    actual = fingerprint(root_der)
    if actual != expected:
        raise BootstrapError(
            f"fingerprint mismatch: the CA's root has fingerprint {actual}, "
            f"expected {expected}"
        )

    # Through the runtime's HTTP client (wasi:http) the chain is not shown; the
    # runtime checked it against its own trust store, which step's bootstrap
    # does not do at all, and the fingerprint still pins the root.
    if not response.runtime_tls:
        _check_peer_chain(response.peer_chain, root, client.host)
    profile = Profile(
        ca_url=client.ca_url,
        fingerprint=actual,
        root_pem=to_pem("CERTIFICATE", root_der),
        root_der=root_der,
    )

    if not force:
        _refuse_other_root(storage, profile.root_pem)
    save_profile(storage, profile, root_display)
    return profile


def _check_peer_chain(peer_chain: tuple[bytes, ...], root, host: str) -> None:
    if not peer_chain:
        raise BootstrapError(
            "the host did not report the CA's TLS certificate chain; "
            "cannot check that the CA holds this root"
        )
    try:
        certs = [
            load_certificates(der, source="the CA's TLS chain")[0] for der in peer_chain
        ]
        verify_chain(certs[0], certs[1:], [root], host=host, usage="server")
    except (CertificateError, InputError) as exc:
        raise BootstrapError(
            f"the CA's TLS certificate does not chain to the root: {exc}"
        ) from None


def _refuse_other_root(storage: Storage, root_pem: bytes) -> None:
    try:
        current = storage.read(PROFILE, ROOT_PATH)
    except StorageError as exc:
        if exc.missing:
            return
        raise
    if current.strip() != root_pem.strip():
        raise BootstrapError(
            f"{ROOT_PATH} already holds another root; use --force to replace it"
        )
