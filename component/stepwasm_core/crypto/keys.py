"""Key pairs: generation, encodings (PEM, DER, JWK) and signatures.

Three kinds of keys, named as in JOSE: ``EC`` (P-256, P-384, P-521, with
python-ecdsa), ``OKP`` (Ed25519, with python-ecdsa) and ``RSA`` (with the
``rsa`` package). ASN.1 goes through asn1crypto.

Private keys are written the way step writes them: SEC 1 ``EC PRIVATE KEY``,
PKCS #1 ``RSA PRIVATE KEY`` and PKCS #8 ``PRIVATE KEY`` for Ed25519.

Errors: keys that do not load raise ``InputError``; signatures that do not
verify raise ``InvalidSignature``; algorithms the core lacks raise
``CryptoError``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import ecdsa
import rsa
from asn1crypto import algos, core
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from ecdsa.errors import MalformedPointError
from ecdsa.keys import BadSignatureError

from ..errors import CryptoError, InputError, InvalidSignature
from . import base64url
from ._der import decode_ecdsa_signature, encode_ecdsa_signature
from ._hashes import HASHES, digest
from ._rsa import check_public_numbers, pkcs1v15_sign, pkcs1v15_verify, pss_verify

__all__ = [
    "CURVES",
    "ECPrivateKey",
    "ECPublicKey",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "PrivateKey",
    "PublicKey",
    "RSAPrivateKey",
    "RSAPublicKey",
    "equal_public_keys",
    "generate_key",
    "jwk_thumbprint",
    "load_private_key",
    "load_public_key",
    "private_key_from_jwk",
    "public_key_from_jwk",
    "verify_signature",
]

MIN_RSA_BITS = 2048
# X.509 verification accepts older, smaller RSA keys; JWS never does (RFC 7518
# section 3.3 asks for 2048 bits or more).
MIN_RSA_VERIFY_BITS = 1024
MAX_RSA_BITS = 16384


@dataclass(frozen=True)
class _Curve:
    name: str  # JOSE name
    ecdsa_curve: Any
    asn1_name: str
    hash_name: str
    size: int  # bytes per coordinate and per scalar
    jws_alg: str
    x509_alg: str


CURVES: dict[str, _Curve] = {
    c.name: c
    for c in (
        _Curve(
            "P-256", ecdsa.NIST256p, "secp256r1", "sha256", 32, "ES256", "sha256_ecdsa"
        ),
        _Curve(
            "P-384", ecdsa.NIST384p, "secp384r1", "sha384", 48, "ES384", "sha384_ecdsa"
        ),
        _Curve(
            "P-521", ecdsa.NIST521p, "secp521r1", "sha512", 66, "ES512", "sha512_ecdsa"
        ),
    )
}
_CURVES_BY_ASN1 = {c.asn1_name: c for c in CURVES.values()}

_ECDSA_X509 = {
    "sha1_ecdsa": "sha1",
    "sha224_ecdsa": "sha224",
    "sha256_ecdsa": "sha256",
    "sha384_ecdsa": "sha384",
    "sha512_ecdsa": "sha512",
}
_RSA_X509 = {
    "sha1_rsa": "sha1",
    "sha224_rsa": "sha224",
    "sha256_rsa": "sha256",
    "sha384_rsa": "sha384",
    "sha512_rsa": "sha512",
}
_RSA_JWS = {
    "RS256": ("pkcs1", "sha256"),
    "RS384": ("pkcs1", "sha384"),
    "RS512": ("pkcs1", "sha512"),
    "PS256": ("pss", "sha256"),
    "PS384": ("pss", "sha384"),
    "PS512": ("pss", "sha512"),
}
_RSA_SIGN_HASHES = ("sha224", "sha256", "sha384", "sha512")
_ED25519_SIZE = 32


# -- public keys ---------------------------------------------------------------


class PublicKey:
    """A public key: ``kty`` is "EC", "OKP" or "RSA"; ``curve`` is None for RSA."""

    kty: str = ""
    curve: str | None = None

    @property
    def size(self) -> int:
        """The key size in bits."""
        raise NotImplementedError

    def spki_der(self) -> bytes:
        """The canonical SubjectPublicKeyInfo DER (EC points uncompressed)."""
        raise NotImplementedError

    def to_pem(self) -> bytes:
        """PEM ``PUBLIC KEY``."""
        return asn1_pem.armor("PUBLIC KEY", self.spki_der())

    def to_jwk(self) -> dict[str, str]:
        """The public JWK members (RFC 7518 section 6, RFC 8037)."""
        raise NotImplementedError

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (base64url SHA-256)."""
        return jwk_thumbprint(self.to_jwk())

    def verify_jws(self, alg: str, data: bytes, signature: bytes) -> None:
        """Verify a JWS signature (JOSE encoding) made with ``alg``."""
        raise NotImplementedError

    def verify(
        self, algorithm: algos.SignedDigestAlgorithm, data: bytes, signature: bytes
    ) -> None:
        """Verify an X.509 signature (certificate, CSR, CRL, OCSP)."""
        name = _algorithm_name(algorithm)
        params = algorithm["parameters"]
        if name != "rsassa_pss" and not isinstance(params, (core.Void, core.Null)):
            raise InvalidSignature(
                f"signature algorithm {name} has unexpected parameters"
            )
        self._verify_x509(name, algorithm, bytes(data), bytes(signature))

    def _verify_x509(
        self,
        name: str,
        algorithm: algos.SignedDigestAlgorithm,
        data: bytes,
        signature: bytes,
    ) -> None:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return self.spki_der() == other.spki_der()

    def __hash__(self) -> int:
        return hash(self.spki_der())

    def __repr__(self) -> str:
        label = self.curve or f"{self.size} bits"
        return f"<{type(self).__name__} {label} {self.thumbprint()}>"


class ECPublicKey(PublicKey):
    """An ECDSA public key on P-256, P-384 or P-521."""

    kty = "EC"

    def __init__(self, curve: str, verifying_key: ecdsa.VerifyingKey) -> None:
        self._curve = CURVES[curve]
        self.curve = curve
        self._vk = verifying_key

    @property
    def size(self) -> int:
        return self._curve.ecdsa_curve.order.bit_length()

    def point(self) -> bytes:
        """The uncompressed point, 04 || x || y."""
        return bytes(self._vk.to_string("uncompressed"))

    def spki_der(self) -> bytes:
        return asn1_keys.PublicKeyInfo(
            {
                "algorithm": {
                    "algorithm": "ec",
                    "parameters": ("named", self._curve.asn1_name),
                },
                "public_key": self.point(),
            }
        ).dump()

    def to_jwk(self) -> dict[str, str]:
        point = self.point()
        size = self._curve.size
        return {
            "kty": "EC",
            "crv": self.curve or "",
            "x": base64url.encode(point[1 : 1 + size]),
            "y": base64url.encode(point[1 + size :]),
        }

    def verify_jws(self, alg: str, data: bytes, signature: bytes) -> None:
        if alg != self._curve.jws_alg:
            raise InvalidSignature(f"algorithm {alg} does not fit a {self.curve} key")
        size = self._curve.size
        if len(signature) != 2 * size:
            raise InvalidSignature(f"{alg} signature must have {2 * size} bytes")
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        self._verify_rs(self._curve.hash_name, bytes(data), r, s)

    def _verify_x509(
        self,
        name: str,
        algorithm: algos.SignedDigestAlgorithm,
        data: bytes,
        signature: bytes,
    ) -> None:
        hash_name = _ECDSA_X509.get(name)
        if hash_name is None:
            _refuse_x509(name, algorithm, "an EC key")
        try:
            r, s = decode_ecdsa_signature(signature)
        except ValueError as exc:
            raise InvalidSignature(f"ecdsa signature is not DER: {exc}") from None
        self._verify_rs(hash_name, data, r, s)

    def _verify_rs(self, hash_name: str, data: bytes, r: int, s: int) -> None:
        order = self._curve.ecdsa_curve.order
        if not (0 < r < order and 0 < s < order):
            raise InvalidSignature("ecdsa signature values are out of range")
        try:
            self._vk.verify_digest(
                (r, s), digest(hash_name, data), sigdecode=_pass_rs, allow_truncate=True
            )
        except BadSignatureError:
            raise InvalidSignature("ecdsa signature does not verify") from None
        except TypeError:
            # python-ecdsa fails this way when u1*G + u2*Q is the point at
            # infinity (it takes x of a point that has none): not a valid
            # signature either.
            raise InvalidSignature("ecdsa signature does not verify") from None


class Ed25519PublicKey(PublicKey):
    """An Ed25519 public key (RFC 8032, RFC 8037)."""

    kty = "OKP"
    curve = "Ed25519"

    def __init__(self, verifying_key: ecdsa.VerifyingKey) -> None:
        self._vk = verifying_key

    @property
    def size(self) -> int:
        return 8 * _ED25519_SIZE

    def raw(self) -> bytes:
        """The 32-byte public key."""
        return bytes(self._vk.to_string())

    def spki_der(self) -> bytes:
        return asn1_keys.PublicKeyInfo(
            {"algorithm": {"algorithm": "ed25519"}, "public_key": self.raw()}
        ).dump()

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": base64url.encode(self.raw())}

    def verify_jws(self, alg: str, data: bytes, signature: bytes) -> None:
        # "Ed25519" is the fully specified name of RFC 9864.
        if alg not in ("EdDSA", "Ed25519"):
            raise InvalidSignature(f"algorithm {alg} does not fit an Ed25519 key")
        self._verify_raw(bytes(data), bytes(signature))

    def _verify_x509(
        self,
        name: str,
        algorithm: algos.SignedDigestAlgorithm,
        data: bytes,
        signature: bytes,
    ) -> None:
        if name != "ed25519":
            _refuse_x509(name, algorithm, "an Ed25519 key")
        if not isinstance(algorithm["parameters"], core.Void):
            raise InvalidSignature(
                "ed25519 signature algorithm must have no parameters"
            )
        self._verify_raw(data, signature)

    def _verify_raw(self, data: bytes, signature: bytes) -> None:
        if len(signature) != 2 * _ED25519_SIZE:
            raise InvalidSignature("ed25519 signature must have 64 bytes")
        try:
            self._vk.verify(signature, data)
        except (BadSignatureError, MalformedPointError, ValueError):
            raise InvalidSignature("ed25519 signature does not verify") from None


class RSAPublicKey(PublicKey):
    """An RSA public key."""

    kty = "RSA"

    def __init__(self, n: int, e: int) -> None:
        self.n = n
        self.e = e

    @property
    def size(self) -> int:
        return self.n.bit_length()

    def spki_der(self) -> bytes:
        return asn1_keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "rsa"},
                "public_key": asn1_keys.RSAPublicKey(
                    {"modulus": self.n, "public_exponent": self.e}
                ),
            }
        ).dump()

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "RSA", "n": _b64_int(self.n), "e": _b64_int(self.e)}

    def verify_jws(self, alg: str, data: bytes, signature: bytes) -> None:
        scheme = _RSA_JWS.get(alg)
        if scheme is None:
            raise InvalidSignature(f"algorithm {alg} does not fit an RSA key")
        if self.size < MIN_RSA_BITS:
            raise InvalidSignature(
                f"{alg} needs an RSA key of {MIN_RSA_BITS} bits or more"
            )
        padding, hash_name = scheme
        if padding == "pkcs1":
            pkcs1v15_verify(self.n, self.e, hash_name, bytes(data), bytes(signature))
        else:
            # RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash.
            salt = HASHES[hash_name]().digest_size
            pss_verify(
                self.n,
                self.e,
                hash_name,
                hash_name,
                salt,
                bytes(data),
                bytes(signature),
            )

    def _verify_x509(
        self,
        name: str,
        algorithm: algos.SignedDigestAlgorithm,
        data: bytes,
        signature: bytes,
    ) -> None:
        if self.size < MIN_RSA_VERIFY_BITS:
            raise InvalidSignature(f"rsa key of {self.size} bits is too small")
        if name in _RSA_X509:
            pkcs1v15_verify(self.n, self.e, _RSA_X509[name], data, signature)
        elif name == "rsassa_pss":
            hash_name, mgf_hash, salt = _pss_parameters(algorithm["parameters"])
            pss_verify(self.n, self.e, hash_name, mgf_hash, salt, data, signature)
        else:
            _refuse_x509(name, algorithm, "an RSA key")


# -- private keys --------------------------------------------------------------


class PrivateKey:
    """A private key; ``public_key()`` gives its half that may be shared."""

    kty: str = ""
    curve: str | None = None
    jws_alg: str = ""
    _pem_label = "PRIVATE KEY"

    @property
    def size(self) -> int:
        """The key size in bits."""
        return self.public_key().size

    def public_key(self) -> PublicKey:
        raise NotImplementedError

    def to_der(self) -> bytes:
        """DER in step's encoding for this kind of key (SEC 1, PKCS #1, PKCS #8)."""
        raise NotImplementedError

    def to_pkcs8_der(self) -> bytes:
        """PKCS #8 ``PrivateKeyInfo`` DER, unencrypted."""
        raise NotImplementedError

    def to_pem(self) -> bytes:
        """PEM in step's encoding (``EC``/``RSA PRIVATE KEY``, ``PRIVATE KEY``)."""
        return asn1_pem.armor(self._pem_label, self.to_der())

    def to_jwk(self) -> dict[str, str]:
        """The private JWK (public members plus the private ones)."""
        raise NotImplementedError

    def sign(self, data: bytes, hash_name: str | None = None) -> bytes:
        """Sign with the key's native encoding: DER ECDSA, raw Ed25519, PKCS #1 v1.5.

        ``hash_name`` defaults to the curve's hash (EC) or sha256 (RSA) and is
        not used for Ed25519.
        """
        raise NotImplementedError

    def sign_jws(self, data: bytes) -> bytes:
        """Sign for a JWS with ``jws_alg`` (ECDSA as fixed-width r || s)."""
        raise NotImplementedError

    def sign_x509(self, data: bytes) -> tuple[algos.SignedDigestAlgorithm, bytes]:
        """Sign a TBS structure; return the AlgorithmIdentifier and the signature."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.public_key()!r}>"


class ECPrivateKey(PrivateKey):
    """An ECDSA private key (signatures are deterministic, RFC 6979)."""

    kty = "EC"
    _pem_label = "EC PRIVATE KEY"

    def __init__(self, curve: str, d: int) -> None:
        self._curve = CURVES[curve]
        self.curve = curve
        self.jws_alg = self._curve.jws_alg
        hashfunc = HASHES[self._curve.hash_name]
        self._sk = ecdsa.SigningKey.from_secret_exponent(
            d, curve=self._curve.ecdsa_curve, hashfunc=hashfunc
        )
        self._public = ECPublicKey(curve, self._sk.get_verifying_key())

    @property
    def d(self) -> int:
        """The private scalar."""
        return self._sk.privkey.secret_multiplier

    def public_key(self) -> ECPublicKey:
        return self._public

    def _sec1(self, with_parameters: bool) -> asn1_keys.ECPrivateKey:
        fields: dict[str, Any] = {"version": "ecPrivkeyVer1", "private_key": self.d}
        if with_parameters:
            fields["parameters"] = ("named", self._curve.asn1_name)
        fields["public_key"] = self._public.point()
        key = asn1_keys.ECPrivateKey(fields)
        key.set_key_size(self._curve.size)
        return key

    def to_der(self) -> bytes:
        return self._sec1(with_parameters=True).dump()

    def to_pkcs8_der(self) -> bytes:
        return asn1_keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": {
                    "algorithm": "ec",
                    "parameters": ("named", self._curve.asn1_name),
                },
                "private_key": self._sec1(with_parameters=False),
            }
        ).dump()

    def to_jwk(self) -> dict[str, str]:
        jwk = self._public.to_jwk()
        jwk["d"] = base64url.encode(self.d.to_bytes(self._curve.size, "big"))
        return jwk

    def _sign_rs(self, data: bytes, hash_name: str) -> tuple[int, int]:
        hashfunc = HASHES[hash_name]
        return self._sk.sign_digest_deterministic(
            hashfunc(bytes(data)).digest(),
            hashfunc=hashfunc,
            sigencode=_keep_rs,
            allow_truncate=True,
        )

    def sign(self, data: bytes, hash_name: str | None = None) -> bytes:
        hash_name = _check_hash(hash_name or self._curve.hash_name)
        return encode_ecdsa_signature(*self._sign_rs(data, hash_name))

    def sign_jws(self, data: bytes) -> bytes:
        r, s = self._sign_rs(data, self._curve.hash_name)
        size = self._curve.size
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def sign_x509(self, data: bytes) -> tuple[algos.SignedDigestAlgorithm, bytes]:
        algorithm = algos.SignedDigestAlgorithm({"algorithm": self._curve.x509_alg})
        return algorithm, self.sign(data)


class Ed25519PrivateKey(PrivateKey):
    """An Ed25519 private key, kept as its 32-byte seed."""

    kty = "OKP"
    curve = "Ed25519"
    jws_alg = "EdDSA"

    def __init__(self, seed: bytes) -> None:
        if len(seed) != _ED25519_SIZE:
            raise InputError("an Ed25519 private key has 32 bytes")
        self._seed = bytes(seed)
        self._sk = ecdsa.SigningKey.from_string(self._seed, curve=ecdsa.Ed25519)
        self._public = Ed25519PublicKey(self._sk.get_verifying_key())

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def seed(self) -> bytes:
        """The 32-byte private key (RFC 8032 section 5.1.5)."""
        return self._seed

    def to_der(self) -> bytes:
        return self.to_pkcs8_der()

    def to_pkcs8_der(self) -> bytes:
        return asn1_keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": {"algorithm": "ed25519"},
                "private_key": core.OctetString(self._seed),
            }
        ).dump()

    def to_jwk(self) -> dict[str, str]:
        jwk = self._public.to_jwk()
        jwk["d"] = base64url.encode(self._seed)
        return jwk

    def sign(self, data: bytes, hash_name: str | None = None) -> bytes:
        return bytes(self._sk.sign(bytes(data)))

    def sign_jws(self, data: bytes) -> bytes:
        return self.sign(data)

    def sign_x509(self, data: bytes) -> tuple[algos.SignedDigestAlgorithm, bytes]:
        return algos.SignedDigestAlgorithm({"algorithm": "ed25519"}), self.sign(data)


class RSAPrivateKey(PrivateKey):
    """An RSA private key with two primes; signs with PKCS #1 v1.5."""

    kty = "RSA"
    jws_alg = "RS256"
    _pem_label = "RSA PRIVATE KEY"

    def __init__(self, n: int, e: int, d: int, p: int, q: int) -> None:
        self._key = rsa.PrivateKey(n, e, d, p, q)
        self._public = RSAPublicKey(n, e)

    def public_key(self) -> RSAPublicKey:
        return self._public

    def _numbers(self) -> dict[str, int]:
        k = self._key
        return {
            "n": k.n,
            "e": k.e,
            "d": k.d,
            "p": k.p,
            "q": k.q,
            "dp": k.exp1,
            "dq": k.exp2,
            "qi": k.coef,
        }

    def _pkcs1(self) -> asn1_keys.RSAPrivateKey:
        v = self._numbers()
        return asn1_keys.RSAPrivateKey(
            {
                "version": "two-prime",
                "modulus": v["n"],
                "public_exponent": v["e"],
                "private_exponent": v["d"],
                "prime1": v["p"],
                "prime2": v["q"],
                "exponent1": v["dp"],
                "exponent2": v["dq"],
                "coefficient": v["qi"],
            }
        )

    def to_der(self) -> bytes:
        return self._pkcs1().dump()

    def to_pkcs8_der(self) -> bytes:
        return asn1_keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": {"algorithm": "rsa"},
                "private_key": self._pkcs1(),
            }
        ).dump()

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "RSA", **{k: _b64_int(v) for k, v in self._numbers().items()}}

    def sign(self, data: bytes, hash_name: str | None = None) -> bytes:
        hash_name = _check_hash(hash_name or "sha256")
        if hash_name not in _RSA_SIGN_HASHES:
            raise CryptoError(f"refusing to make an RSA signature with {hash_name}")
        return pkcs1v15_sign(self._key, hash_name, bytes(data))

    def sign_jws(self, data: bytes) -> bytes:
        return self.sign(data, "sha256")

    def sign_x509(self, data: bytes) -> tuple[algos.SignedDigestAlgorithm, bytes]:
        algorithm = algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_rsa", "parameters": core.Null()}
        )
        return algorithm, self.sign(data, "sha256")


# -- generation ----------------------------------------------------------------


def generate_key(kty: str = "EC", curve: str = "P-256", size: int = 2048) -> PrivateKey:
    """Generate a key: EC on ``curve``, OKP Ed25519, or RSA of ``size`` bits."""
    kty = kty.upper()
    if kty == "EC":
        info = CURVES.get(curve)
        if info is None:
            raise InputError(f"unsupported curve {curve}: use P-256, P-384 or P-521")
        d = secrets.randbelow(info.ecdsa_curve.order - 1) + 1
        return ECPrivateKey(curve, d)
    if kty == "OKP":
        if curve not in ("Ed25519", "P-256"):  # P-256 is only the default argument
            raise InputError(f"unsupported OKP curve {curve}: use Ed25519")
        return Ed25519PrivateKey(secrets.token_bytes(_ED25519_SIZE))
    if kty == "RSA":
        if not isinstance(size, int) or not MIN_RSA_BITS <= size <= MAX_RSA_BITS:
            raise InputError(
                f"rsa key size must be between {MIN_RSA_BITS} and {MAX_RSA_BITS} bits"
            )
        if size % 8:
            raise InputError("rsa key size must be a multiple of 8 bits")
        _, key = rsa.newkeys(size, accurate=True, exponent=65537)
        return RSAPrivateKey(key.n, key.e, key.d, key.p, key.q)
    raise InputError(f"unsupported key type {kty}: use EC, OKP or RSA")


# -- loading -------------------------------------------------------------------


def load_private_key(data: bytes | str) -> PrivateKey:
    """Load an unencrypted private key from PEM or DER.

    PEM labels ``EC PRIVATE KEY`` (SEC 1), ``RSA PRIVATE KEY`` (PKCS #1) and
    ``PRIVATE KEY`` (PKCS #8) are read; an ``EC PARAMETERS`` block before the
    key is skipped. DER is tried as PKCS #8, SEC 1 and PKCS #1.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    data = bytes(data)
    if asn1_pem.detect(data):
        return _load_private_pem(data)
    return _load_private_der(data)


def _load_private_pem(data: bytes) -> PrivateKey:
    try:
        blocks = list(asn1_pem.unarmor(data, multiple=True))
    except (ValueError, TypeError) as exc:
        raise InputError(f"private key PEM does not parse: {exc}") from None
    seen = []
    for label, headers, der in blocks:
        seen.append(label)
        if label == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in headers.get(
            "Proc-Type", ""
        ):
            raise InputError("encrypted private keys are not supported yet")
        if label == "EC PRIVATE KEY":
            return _from_sec1(
                _parse(asn1_keys.ECPrivateKey, der, "SEC 1 EC private key")
            )
        if label == "RSA PRIVATE KEY":
            return _from_pkcs1(
                _parse(asn1_keys.RSAPrivateKey, der, "PKCS #1 RSA private key")
            )
        if label == "PRIVATE KEY":
            return _from_pkcs8(
                _parse(asn1_keys.PrivateKeyInfo, der, "PKCS #8 private key")
            )
        if label == "OPENSSH PRIVATE KEY":
            raise InputError("OpenSSH private keys are not supported: convert to PEM")
    found = ", ".join(seen) or "nothing"
    raise InputError(f"no private key in the PEM data (found {found})")


def _load_private_der(data: bytes) -> PrivateKey:
    attempts: list[tuple[Any, Callable[[Any], PrivateKey], str]] = [
        (asn1_keys.PrivateKeyInfo, _from_pkcs8, "PKCS #8"),
        (asn1_keys.ECPrivateKey, _from_sec1, "SEC 1"),
        (asn1_keys.RSAPrivateKey, _from_pkcs1, "PKCS #1"),
    ]
    for spec, build, label in attempts:
        try:
            parsed = _parse(spec, data, label)
        except InputError:
            continue
        return build(parsed)
    try:
        _parse(asn1_keys.EncryptedPrivateKeyInfo, data, "encrypted PKCS #8")
    except InputError:
        pass
    else:
        raise InputError("encrypted private keys are not supported yet")
    raise InputError("private key is neither PEM nor DER (PKCS #8, SEC 1 or PKCS #1)")


def _parse(spec: Any, der: bytes, what: str, *, secret: bool = True) -> Any:
    """Load ``der`` as ``spec`` and force a full parse; ``InputError`` if bad.

    The parser's own message is only passed on for data that is not secret:
    it may quote the values it choked on.
    """
    try:
        value = spec.load(der, strict=True)
        value.native  # noqa: B018 - parsing is lazy; touch every field now
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many kinds on bad DER
        reason = "malformed DER" if secret else _short(exc)
        raise InputError(f"{what} does not parse: {reason}") from None
    return value


def _from_pkcs8(info: asn1_keys.PrivateKeyInfo) -> PrivateKey:
    if info["version"].native not in (0, 1):
        raise InputError("PKCS #8 private key has an unknown version")
    algorithm = info["private_key_algorithm"]["algorithm"].native
    inner = info["private_key"].parsed
    if algorithm == "rsa":
        return _from_pkcs1(inner)
    if algorithm == "ec":
        params = info["private_key_algorithm"]["parameters"]
        curve = _named_curve(params)
        if (
            inner["parameters"].native is not None
            and _named_curve(inner["parameters"]) != curve
        ):
            raise InputError("PKCS #8 EC private key names two different curves")
        return _ec_private(curve, inner)
    if algorithm == "ed25519":
        return Ed25519PrivateKey(inner.native)
    raise InputError(f"unsupported private key algorithm {algorithm}")


def _from_sec1(key: asn1_keys.ECPrivateKey) -> PrivateKey:
    if key["parameters"].native is None:
        raise InputError("SEC 1 EC private key does not name its curve")
    return _ec_private(_named_curve(key["parameters"]), key)


def _ec_private(curve: _Curve, key: asn1_keys.ECPrivateKey) -> ECPrivateKey:
    if key["version"].native != "ecPrivkeyVer1":
        raise InputError("EC private key has an unknown version")
    d = key["private_key"].native
    if not 0 < d < curve.ecdsa_curve.order:
        raise InputError("EC private key is out of range")
    private = ECPrivateKey(curve.name, d)
    stored = key["public_key"].native
    if stored is not None and _ec_point(curve, stored) != private.public_key():
        raise InputError("EC private key does not match its stored public key")
    return private


def _from_pkcs1(key: asn1_keys.RSAPrivateKey) -> PrivateKey:
    if key["version"].native != "two-prime":
        raise InputError("multi-prime RSA keys are not supported")
    v = key.native
    return _rsa_private(
        v["modulus"],
        v["public_exponent"],
        v["private_exponent"],
        v["prime1"],
        v["prime2"],
        (v["exponent1"], v["exponent2"], v["coefficient"]),
    )


def _rsa_private(
    n: int, e: int, d: int, p: int, q: int, crt: tuple[int, int, int] | None
) -> RSAPrivateKey:
    try:
        check_public_numbers(n, e)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if n.bit_length() < MIN_RSA_VERIFY_BITS:
        raise InputError(f"rsa private key of {n.bit_length()} bits is too small")
    if p < 3 or q < 3 or p * q != n or p == q:
        raise InputError("rsa private key primes do not match the modulus")
    lam = (p - 1) * (q - 1) // _gcd(p - 1, q - 1)
    if not 0 < d < n or (e * d) % lam != 1:
        raise InputError("rsa private exponent does not match the public one")
    key = RSAPrivateKey(n, e, d, p, q)
    if crt is not None and crt != (key._key.exp1, key._key.exp2, key._key.coef):
        raise InputError("rsa private key has inconsistent CRT values")
    return key


def load_public_key(data: bytes | str) -> PublicKey:
    """Load a SubjectPublicKeyInfo, DER or PEM ``PUBLIC KEY``."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    data = bytes(data)
    if asn1_pem.detect(data):
        try:
            label, _, data = asn1_pem.unarmor(data)
        except (ValueError, TypeError) as exc:
            raise InputError(f"public key PEM does not parse: {exc}") from None
        if label != "PUBLIC KEY":
            raise InputError(f"expected a PUBLIC KEY PEM block, not {label}")
    info = _parse(asn1_keys.PublicKeyInfo, data, "public key", secret=False)
    algorithm = info["algorithm"]["algorithm"].native
    if algorithm == "ec":
        return _ec_point(
            _named_curve(info["algorithm"]["parameters"]), info["public_key"].native
        )
    if algorithm == "ed25519":
        if not isinstance(info["algorithm"]["parameters"], core.Void):
            raise InputError("Ed25519 public key must have no algorithm parameters")
        return _ed25519_public(info["public_key"].native)
    if algorithm == "rsa":
        if not isinstance(info["algorithm"]["parameters"], (core.Void, core.Null)):
            raise InputError("RSA public key has unexpected algorithm parameters")
        numbers = info["public_key"].parsed
        return _rsa_public(numbers["modulus"].native, numbers["public_exponent"].native)
    raise InputError(f"unsupported public key algorithm {algorithm}")


def _named_curve(params: Any) -> _Curve:
    if params.name != "named":
        raise InputError("EC keys must use a named curve")
    name = params.chosen.native
    curve = _CURVES_BY_ASN1.get(name)
    if curve is None:
        raise InputError(f"unsupported curve {name}: use P-256, P-384 or P-521")
    return curve


def _ec_point(curve: _Curve, point: bytes) -> ECPublicKey:
    if not point or point[0] not in (2, 3, 4):
        raise InputError(
            f"{curve.name} public key is not a compressed or uncompressed point"
        )
    try:
        vk = ecdsa.VerifyingKey.from_string(
            bytes(point),
            curve=curve.ecdsa_curve,
            hashfunc=HASHES[curve.hash_name],
            validate_point=True,
            valid_encodings=("uncompressed", "compressed"),
        )
    except (MalformedPointError, ValueError, AssertionError):
        raise InputError(
            f"{curve.name} public key is not a point on the curve"
        ) from None
    return ECPublicKey(curve.name, vk)


def _ed25519_public(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != _ED25519_SIZE:
        raise InputError("an Ed25519 public key has 32 bytes")
    try:
        vk = ecdsa.VerifyingKey.from_string(bytes(raw), curve=ecdsa.Ed25519)
    except (MalformedPointError, ValueError, AssertionError):
        raise InputError("Ed25519 public key is not a point on the curve") from None
    return Ed25519PublicKey(vk)


def _rsa_public(n: int, e: int) -> RSAPublicKey:
    try:
        check_public_numbers(n, e)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return RSAPublicKey(n, e)


# -- JWK -----------------------------------------------------------------------


def _jwk_bytes(jwk: dict[str, Any], member: str, size: int | None = None) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str):
        raise InputError(f"JWK member {member} is missing or not a string")
    try:
        raw = base64url.decode(value)
    except ValueError as exc:
        raise InputError(f"JWK member {member} is not base64url: {exc}") from None
    if size is not None and len(raw) != size:
        raise InputError(f"JWK member {member} must have {size} bytes, not {len(raw)}")
    return raw


def _jwk_int(jwk: dict[str, Any], member: str) -> int:
    raw = _jwk_bytes(jwk, member)
    if not raw:
        raise InputError(f"JWK member {member} is empty")
    return int.from_bytes(raw, "big")


def _jwk_curve(jwk: dict[str, Any]) -> _Curve:
    name = jwk.get("crv")
    curve = CURVES.get(name) if isinstance(name, str) else None
    if curve is None:
        raise InputError(f"unsupported EC curve {name}: use P-256, P-384 or P-521")
    return curve


def _jwk_kty(jwk: Any) -> str:
    if not isinstance(jwk, dict):
        raise InputError("a JWK must be a JSON object")
    kty = jwk.get("kty")
    if kty not in ("EC", "OKP", "RSA"):
        raise InputError(f"unsupported JWK key type {kty}")
    if kty == "OKP" and jwk.get("crv") != "Ed25519":
        raise InputError(f"unsupported OKP curve {jwk.get('crv')}: use Ed25519")
    return kty


def public_key_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    """Build a public key from a JWK (private members, if any, are ignored)."""
    kty = _jwk_kty(jwk)
    if kty == "EC":
        curve = _jwk_curve(jwk)
        x = _jwk_bytes(jwk, "x", curve.size)
        y = _jwk_bytes(jwk, "y", curve.size)
        return _ec_point(curve, b"\x04" + x + y)
    if kty == "OKP":
        return _ed25519_public(_jwk_bytes(jwk, "x", _ED25519_SIZE))
    return _rsa_public(_jwk_int(jwk, "n"), _jwk_int(jwk, "e"))


def private_key_from_jwk(jwk: dict[str, Any]) -> PrivateKey:
    """Build a private key from a private JWK and check it against its public half."""
    public = public_key_from_jwk(jwk)
    if public.kty == "EC":
        curve = _jwk_curve(jwk)
        d = int.from_bytes(_jwk_bytes(jwk, "d", curve.size), "big")
        if not 0 < d < curve.ecdsa_curve.order:
            raise InputError("EC JWK private key is out of range")
        private: PrivateKey = ECPrivateKey(curve.name, d)
    elif public.kty == "OKP":
        private = Ed25519PrivateKey(_jwk_bytes(jwk, "d", _ED25519_SIZE))
    else:
        if "oth" in jwk:
            raise InputError("multi-prime RSA keys are not supported")
        for member in ("d", "p", "q"):
            if member not in jwk:
                raise InputError(f"RSA JWK lacks the private member {member}")
        crt = None
        if any(m in jwk for m in ("dp", "dq", "qi")):
            crt = (_jwk_int(jwk, "dp"), _jwk_int(jwk, "dq"), _jwk_int(jwk, "qi"))
        assert isinstance(public, RSAPublicKey)
        private = _rsa_private(
            public.n,
            public.e,
            _jwk_int(jwk, "d"),
            _jwk_int(jwk, "p"),
            _jwk_int(jwk, "q"),
            crt,
        )
    if private.public_key() != public:
        raise InputError("JWK private key does not match its public members")
    return private


# RFC 7638 section 3.2: the required members of each key type.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint: base64url SHA-256 of the required members, sorted."""
    if not isinstance(jwk, dict):
        raise InputError("a JWK must be a JSON object")
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None:
        raise InputError(f"unsupported JWK key type {jwk.get('kty')}")
    subset = {}
    for name in members:
        if not isinstance(jwk.get(name), str):
            raise InputError(f"JWK member {name} is missing or not a string")
        subset[name] = jwk[name]
    canonical = json.dumps(subset, separators=(",", ":"), sort_keys=True)
    return base64url.encode(hashlib.sha256(canonical.encode("utf-8")).digest())


# -- X.509 signatures ----------------------------------------------------------


def verify_signature(
    spki_der: bytes,
    algorithm: algos.SignedDigestAlgorithm,
    data: bytes,
    signature: bytes,
) -> None:
    """Verify an X.509 signature made by the key in ``spki_der``.

    Raises ``InvalidSignature`` when the signature does not verify (also for a
    signer key that does not load) and ``CryptoError`` for an algorithm the
    core does not implement.
    """
    try:
        key = load_public_key(spki_der)
    except InputError as exc:
        raise InvalidSignature(f"signer public key is unusable: {exc}") from None
    key.verify(algorithm, data, signature)


def equal_public_keys(a: Any, b: Any) -> bool:
    """Whether two keys (public or private keys, SPKI DER or PEM) are the same key."""
    return _as_public(a) == _as_public(b)


def _as_public(value: Any) -> PublicKey:
    if isinstance(value, PrivateKey):
        return value.public_key()
    if isinstance(value, PublicKey):
        return value
    return load_public_key(value)


# -- helpers -------------------------------------------------------------------


def _pass_rs(value: Any, order: int) -> Any:
    """A python-ecdsa ``sigdecode`` that takes (r, s) as already decoded."""
    return value


def _keep_rs(r: int, s: int, order: int) -> tuple[int, int]:
    """A python-ecdsa ``sigencode`` that returns (r, s) as they are."""
    return r, s


def _check_hash(name: str) -> str:
    if name not in HASHES:
        raise CryptoError(f"unsupported hash {name}")
    return name


def _b64_int(value: int) -> str:
    return base64url.encode(
        value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    )


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def _algorithm_name(algorithm: algos.SignedDigestAlgorithm) -> str:
    if not isinstance(algorithm, algos.SignedDigestAlgorithm):
        raise TypeError("algorithm must be an asn1crypto SignedDigestAlgorithm")
    return algorithm["algorithm"].native


def _refuse_x509(
    name: str, algorithm: algos.SignedDigestAlgorithm, key: str
) -> NoReturn:
    known = set(_ECDSA_X509) | set(_RSA_X509) | {"rsassa_pss", "ed25519"}
    if name in known:
        raise InvalidSignature(f"signature algorithm {name} does not fit {key}")
    oid = algorithm["algorithm"].dotted
    label = name if name == oid else f"{name} ({oid})"
    raise CryptoError(f"unsupported signature algorithm {label}")


def _pss_parameters(params: Any) -> tuple[str, str, int]:
    """Hash, MGF1 hash and salt length from RSASSA-PSS-params (RFC 4055 3.1)."""
    if not isinstance(params, algos.RSASSAPSSParams):
        raise InvalidSignature("rsassa-pss signature algorithm lacks its parameters")
    try:
        hash_name = params["hash_algorithm"]["algorithm"].native
        mgf = params["mask_gen_algorithm"]
        mgf_name = mgf["algorithm"].native
        mgf_hash = mgf["parameters"]["algorithm"].native
        salt = params["salt_length"].native
        trailer = params["trailer_field"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidSignature(
            f"rsassa-pss parameters do not parse: {_short(exc)}"
        ) from None
    if mgf_name != "mgf1":
        raise CryptoError(f"unsupported rsassa-pss mask generation {mgf_name}")
    for name in (hash_name, mgf_hash):
        if name not in HASHES:
            raise CryptoError(f"unsupported rsassa-pss hash {name}")
    if trailer not in (1, "trailer_field_bc"):
        raise InvalidSignature("rsassa-pss trailer field must be 1")
    if not isinstance(salt, int) or salt < 0:
        raise InvalidSignature("rsassa-pss salt length is invalid")
    return hash_name, mgf_hash, salt
