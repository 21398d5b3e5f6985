"""Key objects against cryptography as an independent oracle, and their errors."""

from __future__ import annotations

import pytest
from asn1crypto import algos, core
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from jwcrypto import jwk as jwcrypto_jwk
from stepwasm_core.crypto import keys
from stepwasm_core.errors import CryptoError, InputError, InvalidSignature

pytestmark = pytest.mark.unit

DATA = b"to be signed by stepwasm"
EC_HASH = {"P-256": hashes.SHA256, "P-384": hashes.SHA384, "P-521": hashes.SHA512}
EC_CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}
PEM_LABEL = {"EC": b"EC PRIVATE KEY", "OKP": b"PRIVATE KEY", "RSA": b"RSA PRIVATE KEY"}
X509_ALG = {
    "P-256": "sha256_ecdsa",
    "P-384": "sha384_ecdsa",
    "P-521": "sha512_ecdsa",
    "Ed25519": "ed25519",
    None: "sha256_rsa",
}
NO_PASSWORD = ser.NoEncryption()


@pytest.fixture(params=["P-256", "P-384", "P-521", "Ed25519", "RSA"])
def our_key(request, rsa_key) -> keys.PrivateKey:
    if request.param == "RSA":
        return rsa_key
    if request.param == "Ed25519":
        return keys.generate_key("OKP", "Ed25519")
    return keys.generate_key("EC", request.param)


def _theirs(key: keys.PrivateKey):
    return ser.load_der_private_key(key.to_pkcs8_der(), None)


def _their_verify(public, key: keys.PrivateKey, signature: bytes, data: bytes) -> None:
    if key.kty == "EC":
        public.verify(signature, data, ec.ECDSA(EC_HASH[key.curve]()))
    elif key.kty == "OKP":
        public.verify(signature, data)
    else:
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


def test_generated_keys_have_the_asked_shape(our_key) -> None:
    expected_size = {"P-256": 256, "P-384": 384, "P-521": 521, "Ed25519": 256}
    assert our_key.size == expected_size.get(our_key.curve, 2048)
    assert our_key.public_key().kty == our_key.kty
    assert (
        our_key.jws_alg
        == {
            "P-256": "ES256",
            "P-384": "ES384",
            "P-521": "ES512",
            "Ed25519": "EdDSA",
            None: "RS256",
        }[our_key.curve]
    )
    if our_key.kty == "RSA":
        assert our_key.public_key().e == 65537


def test_our_encodings_equal_cryptographys(our_key) -> None:
    theirs = _theirs(our_key)
    traditional = ser.PrivateFormat.TraditionalOpenSSL
    if our_key.kty == "OKP":
        traditional = ser.PrivateFormat.PKCS8  # step writes Ed25519 as PKCS #8
    assert our_key.to_pem().startswith(b"-----BEGIN " + PEM_LABEL[our_key.kty])
    assert our_key.to_pem() == theirs.private_bytes(
        ser.Encoding.PEM, traditional, NO_PASSWORD
    )
    assert our_key.to_der() == theirs.private_bytes(
        ser.Encoding.DER, traditional, NO_PASSWORD
    )
    pkcs8 = theirs.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, NO_PASSWORD)
    assert our_key.to_pkcs8_der() == pkcs8
    spki = theirs.public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo
    )
    assert our_key.public_key().spki_der() == spki
    assert our_key.public_key().to_pem() == theirs.public_key().public_bytes(
        ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo
    )


def test_our_pem_loads_in_cryptography(our_key) -> None:
    theirs = ser.load_pem_private_key(our_key.to_pem(), None)
    ours = _theirs(our_key)
    if our_key.kty == "OKP":
        assert theirs.private_bytes_raw() == ours.private_bytes_raw()
    else:
        assert theirs.private_numbers() == ours.private_numbers()


def test_our_signatures_verify_in_cryptography(our_key) -> None:
    public = _theirs(our_key).public_key()
    _their_verify(public, our_key, our_key.sign(DATA), DATA)

    jws_signature = our_key.sign_jws(DATA)
    if our_key.kty == "EC":
        size = len(jws_signature) // 2
        r = int.from_bytes(jws_signature[:size], "big")
        s = int.from_bytes(jws_signature[size:], "big")
        jws_signature = utils.encode_dss_signature(r, s)
    _their_verify(public, our_key, jws_signature, DATA)

    algorithm, signature = our_key.sign_x509(DATA)
    assert algorithm["algorithm"].native == X509_ALG[our_key.curve]
    if our_key.kty == "RSA":
        assert isinstance(algorithm["parameters"], core.Null)
    else:
        assert isinstance(algorithm["parameters"], core.Void)
    _their_verify(public, our_key, signature, DATA)
    keys.verify_signature(our_key.public_key().spki_der(), algorithm, DATA, signature)


def test_our_keys_round_trip_through_every_encoding(our_key) -> None:
    public = our_key.public_key()
    for data in (
        our_key.to_pem(),
        our_key.to_der(),
        our_key.to_pkcs8_der(),
        our_key.to_pem().decode("ascii"),
    ):
        assert keys.load_private_key(data).public_key() == public
    assert keys.private_key_from_jwk(our_key.to_jwk()).to_der() == our_key.to_der()
    assert keys.public_key_from_jwk(public.to_jwk()) == public
    assert keys.load_public_key(public.to_pem()) == public


def test_thumbprints_agree_with_jwcrypto(our_key) -> None:
    public_jwk = our_key.public_key().to_jwk()
    expected = jwcrypto_jwk.JWK(**public_jwk).thumbprint()
    assert our_key.public_key().thumbprint() == expected
    assert keys.jwk_thumbprint(our_key.to_jwk()) == expected


def _cryptography_keys():
    yield "P-256", ec.generate_private_key(ec.SECP256R1())
    yield "P-384", ec.generate_private_key(ec.SECP384R1())
    yield "P-521", ec.generate_private_key(ec.SECP521R1())
    yield "Ed25519", ed25519.Ed25519PrivateKey.generate()
    yield "RSA-2048", rsa.generate_private_key(65537, 2048)
    yield "RSA-3072", rsa.generate_private_key(65537, 3072)


THEIR_KEYS = dict(_cryptography_keys())
FORMATS = {
    "pkcs8-pem": (ser.Encoding.PEM, ser.PrivateFormat.PKCS8),
    "pkcs8-der": (ser.Encoding.DER, ser.PrivateFormat.PKCS8),
    "traditional-pem": (ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL),
    "traditional-der": (ser.Encoding.DER, ser.PrivateFormat.TraditionalOpenSSL),
}


# Ed25519 has no traditional (non-PKCS #8) encoding.
LOADS = [
    (name, fmt)
    for name in THEIR_KEYS
    for fmt in FORMATS
    if not (name == "Ed25519" and fmt.startswith("traditional"))
]


@pytest.mark.parametrize(("name", "fmt"), LOADS, ids=[f"{n}-{f}" for n, f in LOADS])
def test_cryptography_keys_load_in_ours(name: str, fmt: str) -> None:
    theirs = THEIR_KEYS[name]
    ours = keys.load_private_key(theirs.private_bytes(*FORMATS[fmt], NO_PASSWORD))
    spki = theirs.public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo
    )
    assert ours.public_key().spki_der() == spki
    assert keys.equal_public_keys(ours, spki)

    # Signatures both ways.
    _their_verify(theirs.public_key(), ours, ours.sign(DATA), DATA)
    algorithm = algos.SignedDigestAlgorithm({"algorithm": X509_ALG[ours.curve]})
    if ours.kty == "EC":
        signature = theirs.sign(DATA, ec.ECDSA(EC_HASH[ours.curve]()))
    elif ours.kty == "OKP":
        signature = theirs.sign(DATA)
    else:
        signature = theirs.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    keys.verify_signature(spki, algorithm, DATA, signature)
    with pytest.raises(InvalidSignature):
        keys.verify_signature(spki, algorithm, DATA + b"!", signature)


def test_ec_key_after_an_ec_parameters_block_loads() -> None:
    theirs = THEIR_KEYS["P-256"]
    pem = theirs.private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL, NO_PASSWORD
    )
    params = (
        b"-----BEGIN EC PARAMETERS-----\n"
        b"BggqhkjOPQMBBw==\n"
        b"-----END EC PARAMETERS-----\n"
    )
    assert keys.load_private_key(params + pem).to_pem() == pem


def test_compressed_points_load_and_compare_equal() -> None:
    theirs = THEIR_KEYS["P-384"].public_key()
    compressed = theirs.public_bytes(
        ser.Encoding.X962, ser.PublicFormat.CompressedPoint
    )
    uncompressed_spki = theirs.public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo
    )
    # The same SPKI with the point compressed.
    info = asn1_keys.PublicKeyInfo.load(uncompressed_spki)
    compressed_spki = asn1_keys.PublicKeyInfo(
        {"algorithm": info["algorithm"], "public_key": compressed}
    ).dump()
    key = keys.load_public_key(compressed_spki)
    assert key.spki_der() == uncompressed_spki
    assert keys.equal_public_keys(compressed_spki, uncompressed_spki)


def test_equal_public_keys_tells_keys_apart(rsa_key) -> None:
    other = keys.generate_key()
    assert keys.equal_public_keys(rsa_key, rsa_key.public_key().to_pem())
    assert not keys.equal_public_keys(rsa_key, other)
    assert not keys.equal_public_keys(other.public_key(), keys.generate_key())


def _encrypted_pkcs8() -> bytes:
    encryption = ser.BestAvailableEncryption(b"secret")
    return THEIR_KEYS["P-256"].private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.PKCS8, encryption
    )


def _encrypted_traditional() -> bytes:
    encryption = ser.BestAvailableEncryption(b"secret")
    return THEIR_KEYS["RSA-2048"].private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL, encryption
    )


def _encrypted_pkcs8_der() -> bytes:
    encryption = ser.BestAvailableEncryption(b"secret")
    return THEIR_KEYS["P-256"].private_bytes(
        ser.Encoding.DER, ser.PrivateFormat.PKCS8, encryption
    )


def _openssh() -> bytes:
    return THEIR_KEYS["Ed25519"].private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, NO_PASSWORD
    )


def _secp256k1() -> bytes:
    key = ec.generate_private_key(ec.SECP256K1())
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, NO_PASSWORD)


def _public_only() -> bytes:
    return (
        THEIR_KEYS["P-256"]
        .public_key()
        .public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    )


def _mismatched_sec1() -> bytes:
    """A SEC 1 key whose stored public key belongs to another key."""
    key = keys.generate_key()
    other = keys.generate_key().public_key().point()
    sec1 = asn1_keys.ECPrivateKey.load(key.to_der())
    sec1["public_key"] = other
    return sec1.dump()


BAD_PRIVATE_KEYS = {
    "encrypted-pkcs8": (
        _encrypted_pkcs8,
        "encrypted private keys are not supported yet",
    ),
    "encrypted-pkcs8-der": (
        _encrypted_pkcs8_der,
        "encrypted private keys are not supported yet",
    ),
    "encrypted-traditional": (
        _encrypted_traditional,
        "encrypted private keys are not supported yet",
    ),
    "openssh": (_openssh, "OpenSSH private keys are not supported"),
    "secp256k1": (_secp256k1, "unsupported curve secp256k1"),
    "public-key-only": (
        _public_only,
        r"no private key in the PEM data \(found PUBLIC KEY\)",
    ),
    "garbage": (lambda: b"\x30\x03\x02\x01", "neither PEM nor DER"),
    "empty": (lambda: b"", "neither PEM nor DER"),
    "broken-pem": (
        lambda: b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        "SEC 1 EC private key does not parse",
    ),
    "mismatched-public-key": (_mismatched_sec1, "does not match its stored public key"),
}


@pytest.mark.parametrize("name", BAD_PRIVATE_KEYS)
def test_bad_private_keys_give_clear_input_errors(name: str) -> None:
    make, message = BAD_PRIVATE_KEYS[name]
    with pytest.raises(InputError, match=message) as caught:
        keys.load_private_key(make())
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("kty", "curve", "size", "message"),
    [
        ("EC", "P-224", 2048, "unsupported curve P-224"),
        ("OKP", "X25519", 2048, "unsupported OKP curve X25519"),
        ("RSA", "P-256", 1024, "between 2048 and 16384 bits"),
        ("RSA", "P-256", 2049, "multiple of 8"),
        ("DSA", "P-256", 2048, "unsupported key type DSA"),
    ],
)
def test_generate_key_refuses_what_it_cannot_make(kty, curve, size, message) -> None:
    with pytest.raises(InputError, match=message):
        keys.generate_key(kty, curve, size)


def _jwk(kind: str) -> dict:
    return {
        "EC": keys.generate_key().to_jwk(),
        "OKP": keys.generate_key("OKP", "Ed25519").to_jwk(),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("EC", {"d": None}, "member d is missing"),
        ("EC", {"crv": "P-384"}, "member x must have 48 bytes"),
        ("EC", {"crv": "secp256k1"}, "unsupported EC curve secp256k1"),
        ("EC", {"x": "AAAA"}, "member x must have 32 bytes, not 3"),
        ("EC", {"y": "not base64!"}, "member y is not base64url"),
        ("EC", {"kty": "DSA"}, "unsupported JWK key type DSA"),
        ("OKP", {"crv": "X25519"}, "unsupported OKP curve X25519"),
        ("OKP", {"d": "A" * 43}, "does not match its public members"),
    ],
    ids=[
        "missing-d",
        "wrong-curve",
        "unknown-curve",
        "short-x",
        "bad-base64",
        "unknown-kty",
        "x25519",
        "other-private-key",
    ],
)
def test_bad_jwks_give_clear_input_errors(
    kind: str, change: dict, message: str
) -> None:
    jwk = _jwk(kind)
    for name, value in change.items():
        if value is None:
            del jwk[name]
        else:
            jwk[name] = value
    with pytest.raises(InputError, match=message):
        keys.private_key_from_jwk(jwk)


def test_rsa_jwk_with_inconsistent_numbers_is_refused(rsa_key) -> None:
    jwk = rsa_key.to_jwk()
    jwk["dp"] = jwk["dq"]
    with pytest.raises(InputError, match="inconsistent CRT values"):
        keys.private_key_from_jwk(jwk)
    jwk = rsa_key.to_jwk()
    jwk["q"] = jwk["p"]
    with pytest.raises(InputError, match="primes do not match the modulus"):
        keys.private_key_from_jwk(jwk)


def _algorithm(name: str, parameters=None) -> algos.SignedDigestAlgorithm:
    fields = {"algorithm": name}
    if parameters is not None:
        fields["parameters"] = parameters
    return algos.SignedDigestAlgorithm(fields)


def test_verify_signature_errors(rsa_key) -> None:
    ec_key = keys.generate_key()
    ec_spki = ec_key.public_key().spki_der()
    signature = ec_key.sign(DATA)

    with pytest.raises(
        CryptoError, match=r"unsupported signature algorithm md5_rsa \("
    ):
        keys.verify_signature(
            rsa_key.public_key().spki_der(), _algorithm("md5_rsa"), DATA, b""
        )
    with pytest.raises(
        CryptoError, match="unsupported signature algorithm sha3_256_ecdsa"
    ):
        keys.verify_signature(ec_spki, _algorithm("sha3_256_ecdsa"), DATA, signature)
    unknown = algos.SignedDigestAlgorithm.load(bytes.fromhex("300706052b0e0302ff"))
    with pytest.raises(
        CryptoError, match=r"unsupported signature algorithm 1\.3\.14\.3\.2"
    ):
        keys.verify_signature(ec_spki, unknown, DATA, signature)
    with pytest.raises(InvalidSignature, match="does not fit an RSA key"):
        keys.verify_signature(
            rsa_key.public_key().spki_der(), _algorithm("sha256_ecdsa"), DATA, signature
        )
    with pytest.raises(InvalidSignature, match="unexpected parameters"):
        keys.verify_signature(
            ec_spki, _algorithm("sha256_ecdsa", core.Integer(1)), DATA, signature
        )
    with pytest.raises(InvalidSignature, match="signer public key is unusable"):
        keys.verify_signature(b"\x30\x00", _algorithm("sha256_ecdsa"), DATA, signature)
    # The same signature with a long-form length (BER, not DER) is refused.
    ber = b"\x30\x81" + signature[1:]
    with pytest.raises(InvalidSignature, match="not DER"):
        keys.verify_signature(ec_spki, _algorithm("sha256_ecdsa"), DATA, ber)
    keys.verify_signature(ec_spki, _algorithm("sha256_ecdsa"), DATA, signature)


def test_verify_jws_refuses_a_mismatched_algorithm(rsa_key) -> None:
    ec_key = keys.generate_key("EC", "P-384")
    signature = ec_key.sign_jws(DATA)
    with pytest.raises(InvalidSignature, match="ES256 does not fit a P-384 key"):
        ec_key.public_key().verify_jws("ES256", DATA, signature)
    with pytest.raises(InvalidSignature, match="HS256 does not fit an RSA key"):
        rsa_key.public_key().verify_jws("HS256", DATA, rsa_key.sign_jws(DATA))
    ec_key.public_key().verify_jws("ES384", DATA, signature)


def test_rsa_signing_refuses_sha1(rsa_key) -> None:
    with pytest.raises(
        CryptoError, match="refusing to make an RSA signature with sha1"
    ):
        rsa_key.sign(DATA, "sha1")


def test_mangled_key_files_only_raise_input_errors(our_key) -> None:
    """Truncated or altered key files fail with InputError, nothing else."""
    for blob in (
        our_key.to_der(),
        our_key.to_pkcs8_der(),
        our_key.public_key().spki_der(),
    ):
        step = max(1, len(blob) // 50)
        for i in range(0, len(blob), step):
            altered = blob[:i] + bytes([blob[i] ^ 0x41]) + blob[i + 1 :]
            for candidate in (blob[:i], altered):
                for load in (keys.load_private_key, keys.load_public_key):
                    try:
                        load(candidate)
                    except InputError:
                        pass
