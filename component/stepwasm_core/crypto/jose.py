"""Compact JWS (RFC 7515) and JWE (RFC 7516) with the algorithms of RFC 7518.

JWS: ES256/384/512, EdDSA, RS256/384/512 and PS256/384/512 with key
objects, HS256/384/512 with a shared secret. JWE: key management with
PBES2-HS256+A128KW, PBES2-HS384+A192KW, PBES2-HS512+A256KW (a password),
``dir``, A128KW/A192KW/A256KW and A128GCMKW/A192GCMKW/A256GCMKW (a key);
content encryption A128GCM, A192GCM, A256GCM. Anything else raises
``CryptoError`` ("unsupported JWE algorithm ...", "unsupported JWS
algorithm ...").

step-ca keeps a provisioner's private key as a JWE: PBES2-HS256+A128KW,
A256GCM, p2c 100000, cty jwk+json, the JWK JSON as payload.

Errors: a JWS that does not verify raises ``InvalidSignature``; a JWE that
does not decrypt raises ``DecryptionError`` (a wrong password reads "wrong
password or corrupt key"). Messages never include keys, passwords or tokens.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import CryptoError, DecryptionError, InputError, InvalidSignature
from . import aesgcm, aeskw, base64url
from ._hashes import HASHES, hmac_digest
from ._rsa import has_roca_fingerprint
from .keys import PrivateKey, PublicKey, RSAPublicKey, public_key_from_jwk
from .pbkdf2 import pbkdf2_hmac

__all__ = [
    "JWE_ALGORITHMS",
    "JWE_ENCRYPTIONS",
    "JWS_ALGORITHMS",
    "PBES2_MAX_ITERATIONS",
    "PBES2_MIN_ITERATIONS",
    "WRONG_PASSWORD",
    "b64url_decode",
    "b64url_encode",
    "decrypt_compact",
    "decrypt_compact_jwk",
    "decrypt_compact_with_key",
    "encrypt_compact",
    "sign_compact",
    "verify_compact",
    "verify_compact_jwk",
]

b64url_encode = base64url.encode
b64url_decode = base64url.decode

_HMAC_JWS = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
_ASYMMETRIC_JWS = {
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
    "Ed25519": "OKP",
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
}
JWS_ALGORITHMS = frozenset(_HMAC_JWS) | frozenset(_ASYMMETRIC_JWS)
# "ES521" is a frequent misspelling of ES512 in JWK "alg" members (Wycheproof's
# copies of the RFC 7520 keys carry it) and is read as ES512.
_JWK_ALG_ALIASES = {"ES521": "ES512"}

_PBES2 = {
    "PBES2-HS256+A128KW": ("sha256", 16),
    "PBES2-HS384+A192KW": ("sha384", 24),
    "PBES2-HS512+A256KW": ("sha512", 32),
}
_AES_KW = {"A128KW": 16, "A192KW": 24, "A256KW": 32}
_AES_GCM_KW = {"A128GCMKW": 16, "A192GCMKW": 24, "A256GCMKW": 32}
_CONTENT = {"A128GCM": 16, "A192GCM": 24, "A256GCM": 32}
JWE_ALGORITHMS = (
    frozenset(_PBES2) | frozenset(_AES_KW) | frozenset(_AES_GCM_KW) | {"dir"}
)
JWE_ENCRYPTIONS = frozenset(_CONTENT)

PBES2_MIN_ITERATIONS = 1000
PBES2_MAX_ITERATIONS = 1_000_000
PBES2_DEFAULT_ITERATIONS = 100_000
_PBES2_MIN_SALT = 8  # RFC 7518 section 4.8.1.1
_GCM_IV_SIZE = 12
WRONG_PASSWORD = "wrong password or corrupt key"


# -- shared parsing ------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name}")
        result[name] = value
    return result


class _MalformedError(ValueError):
    """A protected header that is not a JSON object."""


def _decode_header(segment: str) -> dict[str, Any]:
    """Decode a protected header; ``ValueError`` with a reason if it is bad."""
    raw = base64url.decode(segment)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("header is not UTF-8") from None
    try:
        header = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError:
        raise ValueError("header is not JSON") from None
    if not isinstance(header, dict):
        raise _MalformedError("header is not a JSON object")
    return header


def _split(token: Any, parts: int, kind: str, error: type[Exception]) -> list[str]:
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise error(f"malformed {kind}: not ascii") from None
    if not isinstance(token, str):
        raise error(f"malformed {kind}: not a string")
    segments = token.split(".")
    if len(segments) != parts:
        raise error(f"malformed {kind}: expected {parts} parts, found {len(segments)}")
    return segments


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- JWS -----------------------------------------------------------------------


def sign_compact(
    header: dict[str, Any], payload: bytes | dict[str, Any], key: PrivateKey | bytes
) -> str:
    """Sign ``payload`` (bytes, or a dict sent as compact JSON) as a compact JWS.

    With a ``PrivateKey`` the header's ``alg`` defaults to ``key.jws_alg`` and
    must equal it; with ``bytes`` (an HMAC secret) ``alg`` must be HS256,
    HS384 or HS512.
    """
    header = dict(header)
    if isinstance(key, PrivateKey):
        if "alg" not in header:
            header = {"alg": key.jws_alg, **header}
        alg = header["alg"]
        if alg != key.jws_alg:
            raise CryptoError(f"a {key.kty} key signs {key.jws_alg}, not {alg}")
        sign = key.sign_jws
    elif isinstance(key, (bytes, bytearray)):
        alg = header.get("alg")
        if alg not in _HMAC_JWS:
            raise CryptoError("an HMAC secret signs HS256, HS384 or HS512")
        secret = bytes(key)
        _check_hmac_secret(alg, secret, CryptoError)

        def sign(data: bytes) -> bytes:
            return hmac_digest(_HMAC_JWS[alg], secret, data)

    else:
        raise TypeError("key must be a PrivateKey or an HMAC secret (bytes)")

    if isinstance(payload, dict):
        payload = _json_bytes(payload)
    signing_input = b64url_encode(_json_bytes(header)) + "." + b64url_encode(payload)
    signature = sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


def verify_compact(
    token: str,
    key: PublicKey | PrivateKey | bytes,
    *,
    algorithms: Iterable[str] | None = None,
) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS; return its header and payload.

    ``key`` is a public key (a private key stands for its public half) or an
    HMAC secret. ``algorithms``, if given, lists the acceptable ``alg``
    values. ``alg`` "none" is always refused, as is a ``crit`` header.
    """
    header, signing_input, payload, signature = _parse_jws(token)
    alg = header["alg"]
    if algorithms is not None and alg not in set(algorithms):
        raise InvalidSignature(f"JWS algorithm {alg} is not accepted here")

    if isinstance(key, PrivateKey):
        key = key.public_key()
    if isinstance(key, (bytes, bytearray)):
        if alg not in _HMAC_JWS:
            raise InvalidSignature(f"JWS algorithm {alg} cannot use an HMAC secret")
        secret = bytes(key)
        _check_hmac_secret(alg, secret, InvalidSignature)
        expected = hmac_digest(_HMAC_JWS[alg], secret, signing_input)
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignature("JWS signature does not verify")
    elif isinstance(key, PublicKey):
        if alg in _HMAC_JWS:
            raise InvalidSignature(f"JWS algorithm {alg} cannot use a public key")
        key.verify_jws(alg, signing_input, signature)
    else:
        raise TypeError("key must be a PublicKey, a PrivateKey or an HMAC secret")
    return header, payload


def _parse_jws(token: Any) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    h64, p64, s64 = _split(token, 3, "JWS", InvalidSignature)
    try:
        header = _decode_header(h64)
        payload = base64url.decode(p64)
        signature = base64url.decode(s64)
    except ValueError as exc:
        raise InvalidSignature(f"malformed JWS: {exc}") from None
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise InvalidSignature("malformed JWS: the header has no alg")
    if alg.lower() == "none":
        raise InvalidSignature("unsecured JWS (alg none) is refused")
    if alg not in JWS_ALGORITHMS:
        raise CryptoError(f"unsupported JWS algorithm {alg}")
    if "crit" in header:
        # RFC 7515 section 4.1.11: no extension is understood here.
        raise InvalidSignature("JWS header has critical extensions")
    if not signature:
        raise InvalidSignature("JWS has no signature")
    return header, (h64 + "." + p64).encode("ascii"), payload, signature


def _check_hmac_secret(alg: str, secret: bytes, error: type[Exception]) -> None:
    # RFC 7518 section 3.2: a key at least as long as the hash output.
    size = HASHES[_HMAC_JWS[alg]]().digest_size
    if len(secret) < size:
        raise error(f"{alg} needs a secret of {size} bytes or more")


def verify_compact_jwk(
    token: str,
    jwk: dict[str, Any],
    *,
    algorithms: Iterable[str] | None = None,
) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS with a JWK or a JWK set (``{"keys": [...]}``).

    From a set, the key is chosen by the header's ``kid`` (or is the only
    key). A set that repeats a ``kid`` or mixes secret and public keys is
    refused. The key's ``use`` and ``key_ops`` must allow verification and
    its ``alg``, when present, must be the token's (RFC 8725 section 3.1:
    one key, one algorithm). Weak RSA keys (ROCA) are refused.
    """
    header = _parse_jws(token)[0]
    chosen = _select_jwk(jwk, header)
    key = _jws_key_from_jwk(chosen, header["alg"])
    return verify_compact(token, key, algorithms=algorithms)


def _select_jwk(jwk: Any, header: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(jwk, dict):
        raise InvalidSignature("verification key must be a JWK or a JWK set")
    if "keys" not in jwk:
        return jwk
    keys = jwk["keys"]
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise InvalidSignature("JWK set must hold a list of JWK objects")
    kids = [k.get("kid") for k in keys if "kid" in k]
    if len(kids) != len(set(map(repr, kids))):
        raise InvalidSignature("JWK set has two keys with the same kid")
    secret = [k.get("kty") == "oct" for k in keys]
    if any(secret) and not all(secret):
        raise InvalidSignature("JWK set mixes secret and public keys")
    if "kid" in header:
        matches = [k for k in keys if k.get("kid") == header["kid"]]
    else:
        matches = keys if len(keys) == 1 else []
    if len(matches) != 1:
        raise InvalidSignature("no single key in the JWK set matches the JWS")
    return matches[0]


def _jws_key_from_jwk(jwk: dict[str, Any], alg: str) -> PublicKey | bytes:
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise InvalidSignature(f"JWK use {use!r} is not for signatures")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise InvalidSignature("JWK key_ops does not allow verify")

    if jwk.get("kty") == "oct":
        try:
            key: PublicKey | bytes = base64url.decode(jwk.get("k"))
        except (TypeError, ValueError):
            raise InvalidSignature("JWK member k is not base64url") from None
    else:
        try:
            key = public_key_from_jwk(jwk)
        except InputError as exc:
            raise InvalidSignature(f"verification key is unusable: {exc}") from None
        if isinstance(key, RSAPublicKey) and has_roca_fingerprint(key.n):
            raise InvalidSignature("RSA key has the ROCA weakness (CVE-2017-15361)")

    label = jwk.get("alg")
    if label is not None and (
        not isinstance(label, str) or _JWK_ALG_ALIASES.get(label, label) != alg
    ):
        raise InvalidSignature(f"JWK alg {label!r} does not allow {alg}")
    return key


# -- JWE -----------------------------------------------------------------------


@dataclass
class _JWE:
    protected: str
    header: dict[str, Any]
    encrypted_key: bytes
    iv: bytes
    ciphertext: bytes
    tag: bytes

    @property
    def alg(self) -> str:
        return self.header["alg"]

    @property
    def enc(self) -> str:
        return self.header["enc"]


def _parse_jwe(token: Any) -> _JWE:
    segments = _split(token, 5, "JWE", DecryptionError)
    try:
        header = _decode_header(segments[0])
    except ValueError as exc:
        raise DecryptionError(f"malformed JWE: {exc}") from None
    alg, enc = header.get("alg"), header.get("enc")
    if not isinstance(alg, str) or not isinstance(enc, str):
        raise DecryptionError("malformed JWE: the header needs alg and enc")
    if alg not in JWE_ALGORITHMS:
        raise CryptoError(f"unsupported JWE algorithm {alg}")
    if enc not in JWE_ENCRYPTIONS:
        raise CryptoError(f"unsupported JWE encryption {enc}")
    if "zip" in header:
        raise CryptoError(f"unsupported JWE compression {header['zip']}")
    if "crit" in header:
        raise CryptoError("unsupported JWE: the header has critical extensions")
    try:
        parts = [base64url.decode(s) for s in segments[1:]]
    except ValueError as exc:
        raise DecryptionError(f"malformed JWE: {exc}") from None
    return _JWE(segments[0], header, *parts)


def _decrypt_content(jwe: _JWE, cek: bytes) -> bytes:
    if len(cek) != _CONTENT[jwe.enc]:
        raise DecryptionError(f"JWE content key does not fit {jwe.enc}")
    if len(jwe.iv) != _GCM_IV_SIZE:
        raise DecryptionError(f"JWE iv must have {_GCM_IV_SIZE} bytes")
    if len(jwe.tag) != aesgcm.TAG_SIZE:
        raise DecryptionError(f"JWE tag must have {aesgcm.TAG_SIZE} bytes")
    aad = jwe.protected.encode("ascii")
    try:
        return aesgcm.decrypt(cek, jwe.iv, jwe.ciphertext, aad, jwe.tag)
    except DecryptionError:
        raise DecryptionError(
            "corrupt JWE: the content does not authenticate"
        ) from None


def _pbes2_kek(header: dict[str, Any], alg: str, password: bytes) -> bytes:
    hash_name, size = _PBES2[alg]
    p2c = header.get("p2c")
    if not isinstance(p2c, int) or isinstance(p2c, bool):
        raise DecryptionError("malformed JWE: p2c must be an integer")
    if not PBES2_MIN_ITERATIONS <= p2c <= PBES2_MAX_ITERATIONS:
        # A policy refusal, not a decryption failure: CryptoError, so that a
        # caller that reads DecryptionError as "wrong password" does not.
        raise CryptoError(
            f"JWE p2c {p2c} is outside the accepted range "
            f"{PBES2_MIN_ITERATIONS}-{PBES2_MAX_ITERATIONS}"
        )
    try:
        p2s = base64url.decode(header.get("p2s"))
    except (TypeError, ValueError):
        raise DecryptionError("malformed JWE: p2s is not base64url") from None
    if len(p2s) < _PBES2_MIN_SALT:
        raise DecryptionError(f"JWE p2s must have {_PBES2_MIN_SALT} bytes or more")
    # RFC 7518 section 4.8.1.1: salt = UTF8(alg) || 0x00 || p2s
    salt = alg.encode("utf-8") + b"\x00" + p2s
    return pbkdf2_hmac(hash_name, password, salt, p2c, size)


def _password_bytes(password: bytes | str) -> bytes:
    if isinstance(password, str):
        return password.encode("utf-8")
    if isinstance(password, (bytes, bytearray)):
        return bytes(password)
    raise TypeError("password must be bytes or str")


def decrypt_compact(token: str, password: bytes | str) -> bytes:
    """Decrypt a password-protected (PBES2) compact JWE; return the plaintext."""
    password = _password_bytes(password)
    jwe = _parse_jwe(token)
    if jwe.alg not in _PBES2:
        raise CryptoError(f"JWE algorithm {jwe.alg} needs a key, not a password")
    kek = _pbes2_kek(jwe.header, jwe.alg, password)
    try:
        cek = aeskw.unwrap(kek, jwe.encrypted_key)
    except DecryptionError:
        raise DecryptionError(WRONG_PASSWORD) from None
    return _decrypt_content(jwe, cek)


def decrypt_compact_with_key(token: str, key: bytes) -> bytes:
    """Decrypt a compact JWE made with ``dir``, AES key wrap or AES-GCM key wrap."""
    jwe = _parse_jwe(token)
    return _decrypt_with_key(jwe, bytes(key))


def _decrypt_with_key(jwe: _JWE, key: bytes) -> bytes:
    alg = jwe.alg
    if alg in _PBES2:
        raise CryptoError(f"JWE algorithm {alg} needs a password, not a key")
    if alg == "dir":
        if jwe.encrypted_key:
            raise DecryptionError("malformed JWE: dir must have an empty encrypted key")
        return _decrypt_content(jwe, key)

    size = _AES_KW.get(alg) or _AES_GCM_KW[alg]
    if len(key) != size:
        raise DecryptionError(f"JWE algorithm {alg} needs a key of {size} bytes")
    if alg in _AES_KW:
        cek = aeskw.unwrap(key, jwe.encrypted_key)
    else:
        try:
            iv = base64url.decode(jwe.header.get("iv"))
            tag = base64url.decode(jwe.header.get("tag"))
        except (TypeError, ValueError):
            raise DecryptionError(f"malformed JWE: {alg} needs iv and tag") from None
        if len(iv) != _GCM_IV_SIZE or len(tag) != aesgcm.TAG_SIZE:
            raise DecryptionError(f"malformed JWE: {alg} iv or tag has the wrong size")
        cek = aesgcm.decrypt(key, iv, jwe.encrypted_key, b"", tag)
    return _decrypt_content(jwe, cek)


def decrypt_compact_jwk(token: str, jwk: dict[str, Any]) -> bytes:
    """Decrypt a compact JWE with a symmetric JWK (``kty`` "oct").

    The JWK's ``use``, ``key_ops`` and ``alg`` (the header's ``alg``, or its
    ``enc`` for ``dir``) must allow this decryption.
    """
    jwe = _parse_jwe(token)
    if not isinstance(jwk, dict):
        raise DecryptionError("decryption key must be a JWK object")
    if jwk.get("kty") != "oct":
        raise DecryptionError(f"JWE algorithm {jwe.alg} needs a symmetric (oct) key")
    use = jwk.get("use")
    if use is not None and use != "enc":
        raise DecryptionError(f"JWK use {use!r} is not for encryption")
    ops = jwk.get("key_ops")
    if ops is not None and not (
        isinstance(ops, list) and ("decrypt" in ops or "unwrapKey" in ops)
    ):
        raise DecryptionError("JWK key_ops does not allow decryption")
    wanted = jwe.enc if jwe.alg == "dir" else jwe.alg
    if "alg" in jwk and jwk["alg"] != wanted:
        raise DecryptionError(f"JWK alg {jwk['alg']!r} does not fit this JWE")
    try:
        key = base64url.decode(jwk.get("k"))
    except (TypeError, ValueError):
        raise DecryptionError("JWK member k is not base64url") from None
    return _decrypt_with_key(jwe, key)


def encrypt_compact(
    plaintext: bytes,
    password: bytes | str,
    *,
    alg: str = "PBES2-HS256+A128KW",
    enc: str = "A256GCM",
    p2c: int = PBES2_DEFAULT_ITERATIONS,
    header: dict[str, Any] | None = None,
) -> str:
    """Encrypt ``plaintext`` under a password as a compact JWE (PBES2).

    ``header`` adds members such as ``{"cty": "jwk+json"}``; it may not set
    ``alg``, ``enc``, ``p2s`` or ``p2c``.
    """
    if alg not in _PBES2:
        raise CryptoError(f"unsupported JWE algorithm {alg} for a password")
    if enc not in _CONTENT:
        raise CryptoError(f"unsupported JWE encryption {enc}")
    if not isinstance(p2c, int) or not (
        PBES2_MIN_ITERATIONS <= p2c <= PBES2_MAX_ITERATIONS
    ):
        raise InputError(
            f"p2c must be between {PBES2_MIN_ITERATIONS} and {PBES2_MAX_ITERATIONS}"
        )
    extra = dict(header or {})
    clash = {"alg", "enc", "p2s", "p2c"} & set(extra)
    if clash:
        raise InputError(f"JWE header may not override {', '.join(sorted(clash))}")
    fields = {"alg": alg, "enc": enc, "p2c": p2c, "p2s": b64url_encode(os.urandom(16))}
    fields.update(extra)
    kek = _pbes2_kek(fields, alg, _password_bytes(password))

    cek = os.urandom(_CONTENT[enc])
    iv = os.urandom(_GCM_IV_SIZE)
    protected = b64url_encode(_json_bytes(fields))
    ciphertext, tag = aesgcm.encrypt(
        cek, iv, bytes(plaintext), protected.encode("ascii")
    )
    parts = (aeskw.wrap(kek, cek), iv, ciphertext, tag)
    return ".".join([protected, *(b64url_encode(p) for p in parts)])
