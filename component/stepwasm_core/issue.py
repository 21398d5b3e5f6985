"""Flows that obtain certificates: sign with a token, renew, revoke."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from asn1crypto import x509

from .caclient import CAClient
from .crypto import keys
from .csr import build_csr
from .errors import CAError, CertificateError, ExpiredError, InputError, TokenError
from .pem import load_certificates, to_pem
from .ports import TlsConfig
from .profile import Profile
from .provisioner import (
    decrypt_provisioner_key,
    find_jwk_provisioner,
    list_provisioners,
)
from .token import make_provisioner_token, make_renew_token, read_claims
from .validity import format_time, parse_time_or_duration
from .verify import verify_chain
from .wire import Provisioner, RevokeRequest, SignRequest, SignResponse

__all__ = [
    "Issued",
    "common_name",
    "key_matches",
    "new_revoke_token",
    "new_sign_token",
    "renew_certificate",
    "revoke_certificate",
    "sign_certificate",
]


@dataclass(frozen=True)
class Issued:
    """A certificate the CA issued, with the chain the client checked."""

    chain: list[x509.Certificate]
    key: keys.PrivateKey

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def chain_pem(self) -> bytes:
        return b"".join(to_pem("CERTIFICATE", c.dump()) for c in self.chain)

    @property
    def serial(self) -> str:
        return str(self.leaf.serial_number)

    @property
    def subject(self) -> str:
        return common_name(self.leaf)

    @property
    def not_before(self) -> float:
        return self.leaf["tbs_certificate"]["validity"]["not_before"].native.timestamp()

    @property
    def not_after(self) -> float:
        return self.leaf["tbs_certificate"]["validity"]["not_after"].native.timestamp()


def common_name(cert: x509.Certificate) -> str:
    """The subject's CN, else its first SAN, else ''."""
    names = cert.subject.native
    cn = names.get("common_name") if isinstance(names, dict) else None
    if isinstance(cn, list):
        cn = cn[0] if cn else None
    if cn:
        return str(cn)
    sans = cert.subject_alt_name_value
    if sans is not None:
        for name in sans.native:
            return str(name)
    return ""


def key_matches(cert: x509.Certificate, key: keys.PrivateKey) -> bool:
    spki = cert["tbs_certificate"]["subject_public_key_info"].dump()
    return spki == key.public_key().spki_der()


def _checked(response: SignResponse, key: keys.PrivateKey, profile: Profile) -> Issued:
    """The CA's answer as certificates, checked against our key and root."""
    pems = "".join(
        pem if pem.endswith("\n") else pem + "\n" for pem in response.chain_pems
    )
    chain = load_certificates(pems.encode("utf-8"), source="the CA's answer")
    if not key_matches(chain[0], key):
        raise CertificateError("the CA returned a certificate for another key")
    root = load_certificates(profile.root_der, source="the root")[0]
    # Drop the root if the CA sent it along: the file holds leaf + intermediates.
    chain = [c for c in chain if c.dump() != profile.root_der]
    # A certificate asked to start later (--not-before) is checked as of its
    # start: it is not valid yet, which is what was asked for.
    not_before = chain[0]["tbs_certificate"]["validity"]["not_before"].native
    at = max(datetime.datetime.now(datetime.UTC), not_before)
    try:
        verify_chain(
            chain[0], chain[1:], [root], at=at, usage=None, leaf_underscores=True
        )
    except CertificateError as exc:
        raise CertificateError(
            f"the CA returned a certificate that does not verify: {exc}"
        ) from None
    return Issued(chain=chain, key=key)


def find_provisioner(client: CAClient, name: str, kid: str = "") -> Provisioner:
    return find_jwk_provisioner(list_provisioners(client), name, kid)


def new_sign_token(
    client: CAClient,
    profile: Profile,
    provisioner: Provisioner,
    password: bytes,
    *,
    subject: str,
    sans: list[str],
    not_before: str = "",
    not_after: str = "",
) -> str:
    """A sign token; its validity (RFC 3339 or durations) counts from when it
    is signed, after the slow key decryption."""
    return _new_token(
        client,
        profile,
        provisioner,
        password,
        "/1.0/sign",
        subject=subject,
        sans=sans,
        not_before=not_before,
        not_after=not_after,
    )


def new_revoke_token(
    client: CAClient,
    profile: Profile,
    provisioner: Provisioner,
    password: bytes,
    *,
    serial: str,
) -> str:
    return _new_token(
        client, profile, provisioner, password, "/1.0/revoke", subject=serial
    )


def _new_token(
    client: CAClient,
    profile: Profile,
    provisioner: Provisioner,
    password: bytes,
    path: str,
    *,
    subject: str,
    sans: list[str] | None = None,
    not_before: str = "",
    not_after: str = "",
) -> str:
    key = decrypt_provisioner_key(provisioner, password)
    now = time.time()
    return make_provisioner_token(
        key,
        kid=provisioner.kid,
        issuer=provisioner.name,
        audience=client.url(path),
        subject=subject,
        sans=sans,
        root_fingerprint=profile.fingerprint,
        not_before=_moment(not_before, now, "--not-before"),
        not_after=_moment(not_after, now, "--not-after"),
        now=now,
    )


def _moment(text: str, now: float, flag: str) -> int | None:
    return parse_time_or_duration(text, now, flag) if text else None


def check_token(token: str, subject: str, now: float) -> list[str]:
    """The SANs a sign token asks for; refuse one that cannot work."""
    claims = read_claims(token)
    if subject and claims.subject and claims.subject != subject:
        raise TokenError(
            f"the token's subject {claims.subject!r} differs from {subject!r}"
        )
    if claims.expires is not None and claims.expires < now - 60:
        raise TokenError("the token has expired; make a new one")
    return claims.sans or [subject or claims.subject]


def sign_certificate(
    client: CAClient,
    profile: Profile,
    *,
    subject: str,
    token: str,
    key: keys.PrivateKey,
    not_before: str = "",
    not_after: str = "",
) -> Issued:
    """Build a CSR for `key` and have the CA sign it with `token`."""
    sans = check_token(token, subject, time.time())
    csr_der = build_csr(key, subject, sans)
    request = SignRequest(
        csr_pem=to_pem("CERTIFICATE REQUEST", csr_der).decode("ascii"),
        ott=token,
        not_before=not_before,
        not_after=not_after,
    )
    return _checked(client.sign(request), key, profile)


def is_expired(cert: x509.Certificate, now: float) -> bool:
    return cert["tbs_certificate"]["validity"]["not_after"].native.timestamp() <= now


def renew_certificate(
    client: CAClient,
    profile: Profile,
    chain: list[x509.Certificate],
    key: keys.PrivateKey,
    *,
    mtls: bool = True,
) -> Issued:
    """Renew `chain[0]` keeping `key`: over mTLS, or with a renew token.

    An expired certificate cannot be shown in a TLS handshake, so it always
    takes the token path; when the CA refuses it, ExpiredError says what the
    CA's administrator can allow.
    """
    if not key_matches(chain[0], key):
        raise InputError("the private key does not match the certificate")
    _check_issued_under(chain, profile)
    expired = is_expired(chain[0], time.time())
    use_mtls = mtls and client.transport.supports_client_certificates() and not expired
    ders = tuple(c.dump() for c in chain)
    if use_mtls:
        tls = TlsConfig(
            roots=client.roots, client_chain=ders, client_key=key.to_pkcs8_der()
        )
        response = client.renew(tls=tls)
    else:
        token = make_renew_token(
            key,
            list(ders),
            subject=common_name(chain[0]),
            audience=client.url("/1.0/renew"),
        )
        try:
            response = client.renew(headers=(("Authorization", "Bearer " + token),))
        except CAError as exc:
            if expired and exc.status in (401, 403):
                raise _expired_error(chain[0], exc) from None
            raise
    return _checked(response, key, profile)


def _check_issued_under(chain: list[x509.Certificate], profile: Profile) -> None:
    """Refuse, before asking, a bundle that does not chain to the profile's
    root (a certificate of another CA), checked as of the leaf's start so
    that an expired one can still be told apart. A lone leaf is left to the
    CA, which holds the intermediates."""
    rest = [c for c in chain[1:] if c.dump() != profile.root_der]
    if not rest:
        return
    root = load_certificates(profile.root_der, source="the root")[0]
    start = chain[0]["tbs_certificate"]["validity"]["not_before"].native
    try:
        verify_chain(
            chain[0], rest, [root], at=start, usage=None, leaf_underscores=True
        )
    except (CertificateError, InputError) as exc:
        raise InputError(
            f"the certificate does not chain to the bootstrapped root, so this "
            f"CA cannot renew it: {exc}"
        ) from None


def _expired_error(cert: x509.Certificate, exc: CAError) -> ExpiredError:
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native.timestamp()
    return ExpiredError(
        f"the certificate expired at {format_time(not_after)} and the CA refused "
        f"to renew it (HTTP {exc.status}); if it should, its administrator "
        'can allow renewal after expiry with "allowRenewalAfterExpiry": true in the '
        "provisioner's claims; otherwise get a new certificate with ca certificate"
    )


def revoke_certificate(
    client: CAClient,
    *,
    serial: str,
    reason_code: int = 0,
    reason: str = "",
    token: str = "",
    chain: list[x509.Certificate] | None = None,
    key: keys.PrivateKey | None = None,
) -> None:
    """Revoke by serial with a token, or by presenting the certificate (mTLS)."""
    if not 0 <= reason_code <= 10 or reason_code == 7:
        raise InputError(f"--reasonCode {reason_code}: must be 0 to 10 (7 is unused)")
    tls = None
    if not token:
        if chain is None or key is None:
            raise InputError("revoke needs a token or the certificate and its key")
        if not key_matches(chain[0], key):
            raise InputError("the private key does not match the certificate")
        tls = TlsConfig(
            roots=client.roots,
            client_chain=tuple(c.dump() for c in chain),
            client_key=key.to_pkcs8_der(),
        )
    request = RevokeRequest(
        serial=serial, reason_code=reason_code, reason=reason, ott=token
    )
    client.revoke(request, tls=tls)
