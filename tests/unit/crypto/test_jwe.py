"""Compact JWE: Wycheproof, RFC 7520, RFC 7517 appendix C, and jwcrypto."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from jwcrypto import jwa as jwcrypto_jwa
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk
from stepwasm_core.crypto import aeskw, jose, keys, pbkdf2
from stepwasm_core.errors import CryptoError, DecryptionError, InputError

from .wycheproof import cases, check_count, need

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parent / "vectors"
JWE_FILE = "json_web_encryption_test.json"
PASSWORD = "correct horse battery staple"


def _lenient_header(token: str) -> dict:
    try:
        segment = token.split(".")[0]
        header = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        )
    except ValueError:
        return {}
    return header if isinstance(header, dict) else {}


def _unsupported(header: dict) -> str | None:
    """What in this header the core lacks, or None when it should decrypt."""
    alg, enc = header.get("alg"), header.get("enc")
    if isinstance(alg, str) and alg not in jose.JWE_ALGORITHMS:
        return f"JWE algorithm {alg}"
    if (
        isinstance(alg, str)
        and isinstance(enc, str)
        and enc not in jose.JWE_ENCRYPTIONS
    ):
        return f"JWE encryption {enc}"
    if isinstance(alg, str) and isinstance(enc, str) and "zip" in header:
        return f"JWE compression {header['zip']}"
    return None


def test_wycheproof_file_holds_every_test() -> None:
    check_count(JWE_FILE)


@pytest.mark.parametrize("case", cases(JWE_FILE))
def test_jwe_wycheproof(case) -> None:
    case = need(case)
    token, jwk = case.test["jwe"], case.group["private"]
    lacking = _unsupported(_lenient_header(token))
    if lacking:
        with pytest.raises(CryptoError) as caught:
            jose.decrypt_compact_jwk(token, jwk)
        if str(caught.value) == f"unsupported {lacking}":
            pytest.skip(f"unsupported {lacking} (clean error checked)")
        # A token broken in its structure is refused before its alg is read.
        assert case.result == "invalid", case.why()
        assert isinstance(caught.value, DecryptionError), case.why()
        assert str(caught.value).startswith("malformed JWE"), case.why()
        return

    if case.result == "valid":
        plaintext = jose.decrypt_compact_jwk(token, jwk)
        assert plaintext == case.hex("pt"), case.why()
    else:
        assert case.result == "invalid", case.why()
        with pytest.raises((CryptoError, InputError)):
            jose.decrypt_compact_jwk(token, jwk)


def _cookbook(name: str) -> dict:
    return json.loads((VECTORS / "rfc7520" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name",
    [
        "5_6.direct_encryption_using_aes-gcm.json",
        "5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json",
    ],
    ids=["5.6-dir-A128GCM", "5.8-A128KW-A128GCM"],
)
def test_rfc7520_decrypts(name: str) -> None:
    vector = _cookbook(name)
    jwk, compact = vector["input"]["key"], vector["output"]["compact"]
    expected = vector["input"]["plaintext"].encode("utf-8")
    assert jose.decrypt_compact_jwk(compact, jwk) == expected
    assert (
        jose.decrypt_compact_with_key(compact, jose.b64url_decode(jwk["k"])) == expected
    )
    with pytest.raises(CryptoError, match="needs a key, not a password"):
        jose.decrypt_compact(compact, b"password")


def test_rfc7520_pbes2_key_unwrap() -> None:
    """RFC 7520 5.3: PBES2-HS512+A256KW; its A128CBC-HS256 content is not ours."""
    vector = _cookbook(
        "5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json"
    )
    protected = vector["encrypting_content"]["protected"]
    password = vector["input"]["pwd"].encode("utf-8")
    salt = protected["alg"].encode() + b"\x00" + jose.b64url_decode(protected["p2s"])
    kek = pbkdf2.pbkdf2_hmac("sha512", password, salt, protected["p2c"], 32)
    wrapped = jose.b64url_decode(vector["encrypting_key"]["encrypted_key"])
    cek = jose.b64url_decode(vector["generated"]["cek"])
    assert aeskw.unwrap(kek, wrapped) == cek
    assert aeskw.wrap(kek, cek) == wrapped
    with pytest.raises(CryptoError, match="unsupported JWE encryption A128CBC-HS256"):
        jose.decrypt_compact(vector["output"]["compact"], password)


def test_rfc7517_appendix_c_pbes2() -> None:
    vector = json.loads(
        (VECTORS / "rfc7517_appendix_c.json").read_text(encoding="utf-8")
    )
    header = vector["protected"]
    assert jose.b64url_decode(header["p2s"]) == bytes(vector["salt_input"])
    salt = header["alg"].encode() + b"\x00" + bytes(vector["salt_input"])
    password = vector["password"].encode("utf-8")
    kek = pbkdf2.pbkdf2_hmac("sha256", password, salt, header["p2c"], 16)
    assert kek == bytes(vector["derived_key"])
    wrapped = bytes(vector["encrypted_key"])
    assert jose.b64url_encode(wrapped) == vector["encrypted_key_b64u"]
    assert aeskw.unwrap(kek, wrapped) == bytes(vector["cek"])
    assert aeskw.wrap(kek, bytes(vector["cek"])) == wrapped

    # The header as a token: refused cleanly for its content cipher.
    token = ".".join(
        [jose.b64url_encode(json.dumps(header).encode()), vector["encrypted_key_b64u"]]
        + ["AAAAAAAAAAAAAAAAAAAAAA"] * 3
    )
    with pytest.raises(CryptoError, match="unsupported JWE encryption A128CBC-HS256"):
        jose.decrypt_compact(token, password)


@pytest.fixture
def allow_step_iterations(monkeypatch):
    """jwcrypto refuses p2c above 16384 unless its limit is raised."""
    monkeypatch.setattr(jwcrypto_jwa, "default_max_pbkdf2_iterations", 1_000_000)


def _jwcrypto_encrypt(plaintext: bytes, alg: str, enc: str, p2c: int) -> str:
    protected = {"alg": alg, "enc": enc, "p2c": p2c, "cty": "jwk+json"}
    token = jwcrypto_jwe.JWE(plaintext, protected=protected)
    token.add_recipient(jwcrypto_jwk.JWK.from_password(PASSWORD))
    return token.serialize(compact=True)


def test_step_ca_encrypted_key_from_jwcrypto(allow_step_iterations) -> None:
    """A provisioner key as step-ca stores it: PBES2-HS256+A128KW, A256GCM, 100000."""
    key = keys.generate_key()
    payload = json.dumps(key.to_jwk()).encode()
    token = _jwcrypto_encrypt(payload, "PBES2-HS256+A128KW", "A256GCM", 100_000)
    plaintext = jose.decrypt_compact(token, PASSWORD.encode())
    assert plaintext == payload
    loaded = keys.private_key_from_jwk(json.loads(plaintext))
    assert loaded.to_der() == key.to_der()


@pytest.mark.parametrize(
    ("alg", "enc"),
    [
        ("PBES2-HS256+A128KW", "A128GCM"),
        ("PBES2-HS384+A192KW", "A192GCM"),
        ("PBES2-HS512+A256KW", "A256GCM"),
        ("PBES2-HS512+A256KW", "A128GCM"),
    ],
)
def test_pbes2_both_ways_with_jwcrypto(
    allow_step_iterations, alg: str, enc: str
) -> None:
    theirs = _jwcrypto_encrypt(b"their secret", alg, enc, 2000)
    assert jose.decrypt_compact(theirs, PASSWORD) == b"their secret"

    ours = jose.encrypt_compact(
        b"our secret", PASSWORD, alg=alg, enc=enc, p2c=2000, header={"cty": "jwk+json"}
    )
    token = jwcrypto_jwe.JWE()
    token.deserialize(ours, jwcrypto_jwk.JWK.from_password(PASSWORD))
    assert token.payload == b"our secret"
    header = json.loads(jose.b64url_decode(ours.split(".")[0]))
    assert {k: header[k] for k in ("alg", "enc", "p2c", "cty")} == {
        "alg": alg,
        "enc": enc,
        "p2c": 2000,
        "cty": "jwk+json",
    }
    assert len(jose.b64url_decode(header["p2s"])) == 16


def test_wrong_password_says_so_without_the_password() -> None:
    token = jose.encrypt_compact(b"secret", PASSWORD, p2c=1000)
    with pytest.raises(DecryptionError) as caught:
        jose.decrypt_compact(token, b"hunter2-not-the-password")
    assert str(caught.value) == "wrong password or corrupt key"
    assert "hunter2" not in repr(caught.value)
    assert PASSWORD not in repr(caught.value)


def _with_header(token: str, **changes) -> str:
    parts = token.split(".")
    header = json.loads(jose.b64url_decode(parts[0]))
    for name, value in changes.items():
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    parts[0] = jose.b64url_encode(json.dumps(header).encode())
    return ".".join(parts)


@pytest.fixture(scope="module")
def pbes2_token() -> str:
    return jose.encrypt_compact(b"payload", PASSWORD, p2c=1000)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"p2c": 1_000_001}, CryptoError, "p2c 1000001 is outside the accepted range"),
        ({"p2c": 999}, CryptoError, "p2c 999 is outside the accepted range"),
        ({"p2c": "1000"}, DecryptionError, "p2c must be an integer"),
        ({"p2c": True}, DecryptionError, "p2c must be an integer"),
        ({"p2s": "AAAA"}, DecryptionError, "p2s must have 8 bytes or more"),
        ({"p2s": None}, DecryptionError, "p2s is not base64url"),
        ({"alg": "RSA-OAEP"}, CryptoError, "unsupported JWE algorithm RSA-OAEP"),
        ({"alg": "dir"}, CryptoError, "JWE algorithm dir needs a key, not a password"),
        (
            {"enc": "A128CBC-HS256"},
            CryptoError,
            "unsupported JWE encryption A128CBC-HS256",
        ),
        ({"zip": "DEF"}, CryptoError, "unsupported JWE compression DEF"),
        ({"crit": ["exp"]}, CryptoError, "critical extensions"),
        ({"alg": None}, DecryptionError, "needs alg and enc"),
        ({"cty": "changed"}, DecryptionError, "content does not authenticate"),
    ],
    ids=[
        "p2c-too-high",
        "p2c-too-low",
        "p2c-string",
        "p2c-bool",
        "short-salt",
        "no-salt",
        "rsa-oaep",
        "dir-with-password",
        "cbc-hs",
        "zip",
        "crit",
        "no-alg",
        "header-changed",
    ],
)
def test_decrypt_compact_refusals(pbes2_token, changes, error, message) -> None:
    with pytest.raises(error, match=message):
        jose.decrypt_compact(_with_header(pbes2_token, **changes), PASSWORD)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("a.b.c.d", "expected 5 parts, found 4"),
        ("e30.a.b.c.d.e", "expected 5 parts, found 6"),
        ("!!.a.b.c.d", "outside the alphabet"),
        ("W10.a.b.c.d", "not a JSON object"),
        (None, "not a string"),
    ],
    ids=["four-parts", "six-parts", "bad-base64", "array-header", "not-a-string"],
)
def test_malformed_tokens(token, message) -> None:
    with pytest.raises(DecryptionError, match=message):
        jose.decrypt_compact(token, PASSWORD)


def test_encrypt_compact_refuses_bad_settings() -> None:
    with pytest.raises(InputError, match="p2c must be between 1000 and 1000000"):
        jose.encrypt_compact(b"x", PASSWORD, p2c=10)
    with pytest.raises(InputError, match="may not override alg, p2c"):
        jose.encrypt_compact(b"x", PASSWORD, header={"alg": "dir", "p2c": 5})
    with pytest.raises(
        CryptoError, match="unsupported JWE algorithm A128KW for a password"
    ):
        jose.encrypt_compact(b"x", PASSWORD, alg="A128KW")


def _mutations(token: str) -> list[str]:
    """Truncations, dropped and flipped characters, and swapped dots."""
    out = [token[:i] for i in range(0, len(token), max(1, len(token) // 40))]
    step = max(1, len(token) // 60)
    for i in range(0, len(token), step):
        out.append(token[:i] + token[i + 1 :])
        flipped = "A" if token[i] != "A" else "B"
        out.append(token[:i] + flipped + token[i + 1 :])
    out += [token.replace(".", "..", 1), token + ".", "." + token, token.upper()]
    return out


def test_mangled_tokens_only_raise_our_errors(pbes2_token) -> None:
    """Whatever is done to a token, the only exceptions are the core's own."""
    key = keys.generate_key()
    jws = jose.sign_compact({"kid": "k"}, {"sub": "x"}, key)
    jwk = key.public_key().to_jwk()
    for mangled in _mutations(pbes2_token):
        try:
            jose.decrypt_compact(mangled, PASSWORD)
        except (CryptoError, InputError):
            pass
    for mangled in _mutations(jws):
        for verify in (
            lambda t: jose.verify_compact(t, key.public_key()),
            lambda t: jose.verify_compact_jwk(t, jwk),
        ):
            try:
                verify(mangled)
            except (CryptoError, InputError):
                pass


@pytest.mark.parametrize("p2c", [999, 1_000_001])
def test_p2c_out_of_range_is_not_read_as_a_wrong_password(pbes2_token, p2c) -> None:
    with pytest.raises(CryptoError) as caught:
        jose.decrypt_compact(_with_header(pbes2_token, p2c=p2c), PASSWORD)
    assert not isinstance(caught.value, DecryptionError)
