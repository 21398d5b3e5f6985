"""Wycheproof signature vectors: ECDSA, Ed25519, RSA PKCS #1 v1.5 and PSS.

X.509-style vectors (DER ECDSA, RSA) go through ``verify_signature`` with the
group's SubjectPublicKeyInfo; JOSE-style ones (P1363 ECDSA, Ed25519) also go
through a key loaded from the group's JWK and ``verify_jws``.
"""

from __future__ import annotations

import pytest
from asn1crypto import algos
from stepwasm_core.crypto import keys
from stepwasm_core.errors import CryptoError, InvalidSignature

from .wycheproof import cases, check_count, need

pytestmark = pytest.mark.unit

ECDSA_DER = [
    "ecdsa_secp256r1_sha256_test.json",
    "ecdsa_secp384r1_sha384_test.json",
    "ecdsa_secp521r1_sha512_test.json",
]
ECDSA_P1363 = [
    "ecdsa_secp256r1_sha256_p1363_test.json",
    "ecdsa_secp384r1_sha384_p1363_test.json",
    "ecdsa_secp521r1_sha512_p1363_test.json",
]
ED25519 = "ed25519_test.json"
RSA_PKCS1 = [
    "rsa_signature_2048_sha256_test.json",
    "rsa_signature_4096_sha384_test.json",
]
RSA_SIGN = "rsa_pkcs1_2048_sig_gen_test.json"
RSA_PSS = "rsa_pss_2048_sha256_mgf1_32_test.json"
ALL = [*ECDSA_DER, *ECDSA_P1363, ED25519, *RSA_PKCS1, RSA_SIGN, RSA_PSS]

HASHES = {"SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256"}
HASHES |= {"SHA-384": "sha384", "SHA-512": "sha512"}
JWS_ALG = {"sha256": "ES256", "sha384": "ES384", "sha512": "ES512"}

# Acceptable cases and what we do with them.
#  MissingNull: a DigestInfo without the NULL parameters. Refused, as Go (and
#    so step-ca) refuses it: the whole encoding is compared.
#  WeakHash: signing with SHA-1. Refused.
#  SmallPublicKey: e = 3. Such keys load and sign; the exact signature is made.
POLICY = {"MissingNull": "refuse", "WeakHash": "refuse", "SmallPublicKey": "accept"}


def _expected(case) -> str:
    """valid or invalid, with acceptable cases settled by POLICY."""
    if case.result != "acceptable":
        return case.result
    decisions = {POLICY[flag] for flag in case.flags if flag in POLICY}
    assert len(decisions) == 1, f"no single policy for {case.why()}"
    return "valid" if decisions == {"accept"} else "invalid"


def _verify(check, case) -> None:
    """Run ``check`` and compare its outcome with the case's expectation."""
    if _expected(case) == "valid":
        check()
        return
    with pytest.raises(InvalidSignature):
        check()


@pytest.mark.parametrize("name", ALL)
def test_wycheproof_file_holds_every_test(name: str) -> None:
    check_count(name)


def _der_cases(files: list[str]) -> list:
    return [p for name in files for p in cases(name)]


@pytest.mark.parametrize("case", _der_cases(ECDSA_DER))
def test_ecdsa_der_wycheproof(case) -> None:
    case = need(case)
    hash_name = HASHES[case.group["sha"]]
    algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_ecdsa"})
    spki = bytes.fromhex(case.group["publicKeyDer"])

    def check() -> None:
        keys.verify_signature(spki, algorithm, case.hex("msg"), case.hex("sig"))

    _verify(check, case)


@pytest.mark.parametrize("case", _der_cases(ECDSA_P1363))
def test_ecdsa_p1363_wycheproof(case) -> None:
    case = need(case)
    alg = JWS_ALG[HASHES[case.group["sha"]]]
    key = keys.load_public_key(bytes.fromhex(case.group["publicKeyDer"]))
    if "publicKeyJwk" in case.group:
        assert keys.public_key_from_jwk(case.group["publicKeyJwk"]) == key

    def check() -> None:
        key.verify_jws(alg, case.hex("msg"), case.hex("sig"))

    _verify(check, case)


@pytest.mark.parametrize("case", cases(ED25519))
def test_ed25519_wycheproof(case) -> None:
    case = need(case)
    spki = bytes.fromhex(case.group["publicKeyDer"])
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "ed25519"})
    key = keys.public_key_from_jwk(case.group["publicKeyJwk"])
    assert key.spki_der() == spki
    msg, sig = case.hex("msg"), case.hex("sig")
    _verify(lambda: keys.verify_signature(spki, algorithm, msg, sig), case)
    _verify(lambda: key.verify_jws("EdDSA", msg, sig), case)


@pytest.mark.parametrize("case", _der_cases(RSA_PKCS1))
def test_rsa_pkcs1_verify_wycheproof(case) -> None:
    case = need(case)
    hash_name = HASHES[case.group["sha"]]
    algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_rsa"})
    spki = bytes.fromhex(case.group["publicKeyDer"])

    def check() -> None:
        keys.verify_signature(spki, algorithm, case.hex("msg"), case.hex("sig"))

    _verify(check, case)


@pytest.mark.parametrize("case", cases(RSA_SIGN))
def test_rsa_pkcs1_sign_wycheproof(case) -> None:
    case = need(case)
    hash_name = HASHES[case.group["sha"]]
    from_pem = keys.load_private_key(case.group["privateKeyPem"].encode())
    from_pkcs8 = keys.load_private_key(bytes.fromhex(case.group["privateKeyPkcs8"]))
    assert from_pem.public_key() == from_pkcs8.public_key()
    assert from_pem.public_key().spki_der() == bytes.fromhex(case.group["keyDer"])

    if _expected(case) == "invalid":
        with pytest.raises(CryptoError, match=f"refusing .* with {hash_name}"):
            from_pem.sign(case.hex("msg"), hash_name)
        return
    for key in (from_pem, from_pkcs8):
        assert key.sign(case.hex("msg"), hash_name) == case.hex("sig"), case.why()


def _pss_algorithm(group: dict) -> algos.SignedDigestAlgorithm:
    assert group["mgf"] == "MGF1"
    return algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": HASHES[group["sha"]]},
                "mask_gen_algorithm": {
                    "algorithm": "mgf1",
                    "parameters": {"algorithm": HASHES[group["mgfSha"]]},
                },
                "salt_length": group["sLen"],
                "trailer_field": "trailer_field_bc",
            },
        }
    )


@pytest.mark.parametrize("case", cases(RSA_PSS))
def test_rsa_pss_wycheproof(case) -> None:
    case = need(case)
    algorithm = _pss_algorithm(case.group)
    spki = bytes.fromhex(case.group["publicKeyDer"])

    def check() -> None:
        keys.verify_signature(spki, algorithm, case.hex("msg"), case.hex("sig"))

    _verify(check, case)
