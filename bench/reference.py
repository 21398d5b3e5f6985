"""A reference step-ca client on `cryptography` and urllib/ssl: the yardstick.

It does what the benchmark asks of stepwasm, as directly as CPython allows
(OpenSSL for every primitive, the standard library for HTTP), with the same
checks where they are cheap: the root's fingerprint at bootstrap, the issued
chain verified up to the root, the key matching the certificate. It is not a
product: no error handling beyond raising, EC P-256 keys only, provisioner
keys EC only.

Run as a script it does one `certificate` request as a whole process:

    python bench/reference.py certificate SUBJECT CRT KEY \\
        --token T --ca-url URL --root ROOT
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import ssl
import sys
import time
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from cryptography.x509.oid import NameOID

__all__ = ["ReferenceClient"]

TOKEN_LIFETIME = 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jws_es256(header: dict, claims: dict, key: ec.EllipticCurvePrivateKey) -> str:
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    r, s = decode_dss_signature(
        key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    )
    return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def decrypt_jwe_key(jwe: str, password: bytes) -> ec.EllipticCurvePrivateKey:
    """A provisioner's `encryptedKey`: PBES2-HS256+A128KW, A256GCM, EC JWK."""
    protected, wrapped, iv, ciphertext, tag = jwe.split(".")
    header = json.loads(_unb64url(protected))
    salt = header["alg"].encode() + b"\0" + _unb64url(header["p2s"])
    kek = PBKDF2HMAC(hashes.SHA256(), 16, salt, header["p2c"]).derive(password)
    cek = aes_key_unwrap(kek, _unb64url(wrapped))
    plain = AESGCM(cek).decrypt(
        _unb64url(iv), _unb64url(ciphertext) + _unb64url(tag), protected.encode()
    )
    jwk = json.loads(plain)
    d = int.from_bytes(_unb64url(jwk["d"]), "big")
    return ec.derive_private_key(d, ec.SECP256R1())


class ReferenceClient:
    """One profile (CA URL + root), like step's `$STEPPATH`, kept in `directory`."""

    def __init__(self, directory: Path, ca_url: str = "", root: Path | None = None):
        self.directory = Path(directory)
        self.ca_url = ca_url.rstrip("/")
        self.root_path = root or self.directory / "root_ca.crt"
        self._root: x509.Certificate | None = None

    # -- HTTP -----------------------------------------------------------------

    def _context(self, client_cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.root_path))
        if client_cert is not None:
            context.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
        return context

    def _request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        context: ssl.SSLContext | None = None,
        headers: dict | None = None,
    ) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.ca_url + path, data=data, method=method, headers=headers or {}
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(
            request, context=context or self._context(), timeout=30
        ) as response:
            return json.load(response)

    @property
    def root(self) -> x509.Certificate:
        if self._root is None:
            self._root = x509.load_pem_x509_certificate(self.root_path.read_bytes())
        return self._root

    # -- operations -----------------------------------------------------------

    def bootstrap(self, ca_url: str, fingerprint: str) -> None:
        """Fetch the root unverified, check its SHA-256, save it."""
        self.ca_url = ca_url.rstrip("/")
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        answer = self._request("GET", f"/root/{fingerprint}", context=insecure)
        root = x509.load_pem_x509_certificate(answer["ca"].encode())
        der = root.public_bytes(serialization.Encoding.DER)
        if hashlib.sha256(der).hexdigest() != fingerprint.lower():
            raise ValueError("root fingerprint mismatch")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        (self.directory / "defaults.json").write_text(
            json.dumps({"ca-url": self.ca_url, "fingerprint": fingerprint})
        )
        self._root = root

    def provisioner_key(
        self, name: str, password: bytes
    ) -> tuple[dict, ec.EllipticCurvePrivateKey]:
        cursor, found = "", None
        while found is None:
            page = self._request("GET", f"/provisioners?limit=100&cursor={cursor}")
            for entry in page["provisioners"]:
                if entry.get("name") == name and entry.get("type") == "JWK":
                    found = entry
            cursor = page.get("nextCursor") or ""
            if not cursor:
                break
        if found is None:
            raise ValueError(f"no JWK provisioner {name!r}")
        return found, decrypt_jwe_key(found["encryptedKey"], password)

    def token(
        self,
        subject: str,
        provisioner: str,
        password: bytes,
        *,
        key: tuple[dict, ec.EllipticCurvePrivateKey] | None = None,
    ) -> str:
        """A sign token; `key` skips listing and decrypting (pre-decrypted)."""
        entry, private = key or self.provisioner_key(provisioner, password)
        fingerprint = hashlib.sha256(
            self.root.public_bytes(serialization.Encoding.DER)
        ).hexdigest()
        now = int(time.time())
        claims = {
            "iss": entry["name"],
            "sub": subject,
            "aud": self.ca_url + "/1.0/sign",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": os.urandom(32).hex(),
            "sans": [subject],
            "sha": fingerprint,
        }
        header = {"alg": "ES256", "kid": entry["key"]["kid"], "typ": "JWT"}
        return _jws_es256(header, claims, private)

    def certificate(self, subject: str, token: str, crt: Path, key: Path) -> None:
        """A new P-256 key and a certificate for it, checked, written to files."""
        private = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), False)
            .sign(private, hashes.SHA256())
        )
        answer = self._request(
            "POST",
            "/1.0/sign",
            {
                "csr": csr.public_bytes(serialization.Encoding.PEM).decode(),
                "ott": token,
            },
        )
        chain = self._checked(answer, private.public_key())
        _write(crt, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
        _write(
            key,
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ),
            secret=True,
        )

    def renew_mtls(self, crt: Path, key: Path) -> bytes:
        """Renew over mTLS, presenting the certificate; returns the new chain."""
        answer = self._request("POST", "/1.0/renew", context=self._context((crt, key)))
        private = serialization.load_pem_private_key(key.read_bytes(), None)
        return _pem_chain(self._checked(answer, private.public_key()))

    def renew_token(self, crt: Path, key: Path) -> bytes:
        """Renew with a token signed by the certificate's key (x5cInsecure)."""
        chain = x509.load_pem_x509_certificates(crt.read_bytes())
        private = serialization.load_pem_private_key(key.read_bytes(), None)
        now = int(time.time())
        cn = chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        header = {
            "alg": "ES256",
            "typ": "JWT",
            "x5cInsecure": [
                base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                for c in chain
            ],
        }
        claims = {
            "iss": "step-ca-client/1.0",
            "sub": cn,
            "aud": self.ca_url + "/1.0/renew",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": os.urandom(32).hex(),
        }
        token = _jws_es256(header, claims, private)
        answer = self._request(
            "POST", "/1.0/renew", headers={"Authorization": "Bearer " + token}
        )
        return _pem_chain(self._checked(answer, private.public_key()))

    def _checked(self, answer: dict, public) -> list[x509.Certificate]:
        pems = answer.get("certChain") or [answer["crt"], answer["ca"]]
        chain = [x509.load_pem_x509_certificate(p.encode()) for p in pems]
        spki = (
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        if chain[0].public_key().public_bytes(*spki) != public.public_bytes(*spki):
            raise ValueError("the CA certified another key")
        for child, parent in zip(chain, [*chain[1:], self.root], strict=True):
            child.verify_directly_issued_by(parent)
        return chain


def inspect(data: bytes) -> str:
    """A text description of a certificate's main fields, as a reference."""
    cert = x509.load_pem_x509_certificate(data)
    lines = [
        "Certificate:",
        f"    Serial Number: {cert.serial_number}",
        f"    Signature Algorithm: {cert.signature_algorithm_oid._name}",
        f"    Issuer: {cert.issuer.rfc4514_string()}",
        f"    Not Before: {cert.not_valid_before_utc:%b %e %H:%M:%S %Y} UTC",
        f"    Not After : {cert.not_valid_after_utc:%b %e %H:%M:%S %Y} UTC",
        f"    Subject: {cert.subject.rfc4514_string()}",
        f"    Public Key: {type(cert.public_key()).__name__}",
        f"    Fingerprint: {cert.fingerprint(hashes.SHA256()).hex()}",
    ]
    for ext in cert.extensions:
        lines.append(f"    {ext.oid._name} (critical: {ext.critical}): {ext.value}")
    return "\n".join(lines) + "\n"


def _pem_chain(chain: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(
        temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644
    )
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(temp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reference")
    sub = parser.add_subparsers(dest="command", required=True)
    cert = sub.add_parser("certificate")
    cert.add_argument("subject")
    cert.add_argument("crt", type=Path)
    cert.add_argument("key", type=Path)
    cert.add_argument("--token", required=True)
    cert.add_argument("--ca-url", required=True)
    cert.add_argument("--root", required=True, type=Path)
    inspect_cmd = sub.add_parser("inspect")
    inspect_cmd.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "inspect":
        sys.stdout.write(inspect(args.file.read_bytes()))
        return 0
    client = ReferenceClient(args.root.parent, args.ca_url, args.root)
    client.certificate(args.subject, args.token, args.crt, args.key)
    print(f"Your certificate has been saved in {args.crt}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
