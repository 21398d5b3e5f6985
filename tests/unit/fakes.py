"""Fakes of the two ports for unit tests of the core.

`FakeCA` plays step-ca's HTTP API closely enough for the flows, built on
`cryptography` and `pyjwt`, which also check what the core sends: every
token's signature and claims, every CSR's signature. The real server is
exercised by tests/interop.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from stepwasm_core.errors import StorageError, TransportError
from stepwasm_core.ports import Request, Response

from localca.pki import encrypt_jwk, jwk_thumbprint, public_jwk

NOW = datetime.datetime.now(datetime.UTC)
PASSWORD = b"fake-provisioner-password"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, *, ca, sans=(), hours=24, eku=True):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), False)
    if not ca and eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class FakeStorage:
    """Files in a dict, per scope."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], bytes] = {}
        self.secret: set[tuple[str, str]] = set()
        self.fail_writes: set[str] = set()

    def read(self, scope: str, path: str) -> bytes:
        try:
            return self.files[(scope, path)]
        except KeyError:
            raise StorageError(f"{path}: not found", missing=True) from None

    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None:
        if path in self.fail_writes:
            raise StorageError(f"{path}: disk full")
        self.files[(scope, path)] = bytes(data)
        if secret:
            self.secret.add((scope, path))

    def list_files(self, scope: str, prefix: str = "") -> list[str]:
        return sorted(p for s, p in self.files if s == scope and p.startswith(prefix))

    def remove(self, scope: str, path: str) -> None:
        self.files.pop((scope, path), None)


class FakeCA:
    """A step-ca stand-in at https://ca.test:9000 with one JWK provisioner."""

    url = "https://ca.test:9000"

    def __init__(self, *, provisioners_before: int = 0, page_size: int = 20) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert(
            "Fake Root", self.root_key, "Fake Root", self.root_key, ca=True, hours=240
        )
        self.int_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = _cert(
            "Fake Intermediate",
            self.int_key,
            "Fake Root",
            self.root_key,
            ca=True,
            hours=240,
        )
        self.tls_key = ec.generate_private_key(ec.SECP256R1())
        self.tls_cert = _cert(
            "Fake CA",
            self.tls_key,
            "Fake Intermediate",
            self.int_key,
            ca=False,
            sans=[x509.DNSName("ca.test")],
        )
        self.prov_key = ec.generate_private_key(ec.SECP256R1())
        jwk = public_jwk(self.prov_key)
        self.kid = jwk_thumbprint(jwk)
        private = dict(jwk, **_private_d(self.prov_key), kid=self.kid)
        self.provisioners = [
            {"type": "JWK", "name": f"other-{i}", "key": {"kid": f"k{i}"}}
            for i in range(provisioners_before)
        ] + [
            {"type": "OIDC", "name": "Google", "clientID": "x"},
            {
                "type": "JWK",
                "name": "Admin JWK",
                "key": dict(jwk, kid=self.kid, use="sig", alg="ES256"),
                "encryptedKey": encrypt_jwk(private, PASSWORD, iterations=4096),
            },
        ]
        self.page_size = page_size
        self.requests: list[Request] = []
        self.peer_chain = (self.tls_cert, self.intermediate)
        self.issued: list[x509.Certificate] = []

    @property
    def fingerprint(self) -> str:
        return self.root.fingerprint(hashes.SHA256()).hex()

    # -- transport port --------------------------------------------------------

    def supports_client_certificates(self) -> bool:
        return True

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" != self.url:
            raise TransportError(f"cannot reach {request.url}: dns: no such host")
        path = parts.path.removeprefix("/1.0")
        query = parse_qs(parts.query)
        if request.method == "GET" and path == "/health":
            return self._json(200, {"status": "ok"})
        if request.method == "GET" and path.startswith("/root/"):
            if path.removeprefix("/root/") != self.fingerprint:
                return self._json(404, {"status": 404, "message": "not found"})
            return self._json(200, {"ca": pem(self.root)})
        if request.method == "GET" and path == "/provisioners":
            return self._provisioners(query)
        if request.method == "POST" and path == "/sign":
            return self._sign(request)
        if request.method == "POST" and path == "/renew":
            return self._renew(request)
        return self._json(404, {"status": 404, "message": "not found"})

    # -- endpoints -------------------------------------------------------------

    def _json(self, status: int, obj: object) -> Response:
        ders = tuple(
            c.public_bytes(serialization.Encoding.DER) for c in self.peer_chain
        )
        return Response(
            status=status,
            headers=(("Content-Type", "application/json"),),
            body=json.dumps(obj).encode(),
            peer_chain=ders,
        )

    def _provisioners(self, query) -> Response:
        start = int(query.get("cursor", ["0"])[0] or 0)
        limit = min(int(query.get("limit", [self.page_size])[0]), self.page_size)
        page = self.provisioners[start : start + limit]
        end = start + limit
        cursor = str(end) if end < len(self.provisioners) else ""
        return self._json(200, {"provisioners": page, "nextCursor": cursor})

    def _issue(self, public_key, subject: str, sans: list[str]) -> Response:
        names = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(minutes=1))
            .not_valid_after(NOW + datetime.timedelta(hours=24))
            .add_extension(x509.SubjectAlternativeName(names), False)
        )
        cert = builder.sign(self.int_key, hashes.SHA256())
        self.issued.append(cert)
        chain = [pem(cert), pem(self.intermediate)]
        return self._json(201, {"crt": chain[0], "ca": chain[1], "certChain": chain})

    def _sign(self, request: Request) -> Response:
        body = json.loads(request.body)
        try:
            claims = jwt.decode(
                body["ott"],
                self.prov_key.public_key(),
                algorithms=["ES256"],
                audience=self.url + "/1.0/sign",
                issuer="Admin JWK",
            )
        except jwt.PyJWTError as exc:
            return self._json(401, {"status": 401, "message": f"bad token: {exc}"})
        if jwt.get_unverified_header(body["ott"]).get("kid") != self.kid:
            return self._json(401, {"status": 401, "message": "bad kid"})
        csr = x509.load_pem_x509_csr(body["csr"].encode())
        if not csr.is_signature_valid:
            return self._json(400, {"status": 400, "message": "bad csr signature"})
        return self._issue(csr.public_key(), claims["sub"], claims["sans"])

    def _renew(self, request: Request) -> Response:
        auth = {k.lower(): v for k, v in request.headers}.get("authorization")
        if auth:
            token = auth.removeprefix("Bearer ")
            header = jwt.get_unverified_header(token)
            leaf = x509.load_der_x509_certificate(
                base64.b64decode(header["x5cInsecure"][0])
            )
            try:
                jwt.decode(
                    token,
                    leaf.public_key(),
                    algorithms=[header["alg"]],
                    audience=self.url + "/1.0/renew",
                    issuer="step-ca-client/1.0",
                )
            except jwt.PyJWTError as exc:
                return self._json(401, {"status": 401, "message": str(exc)})
        elif request.tls and request.tls.client_chain:
            leaf = x509.load_der_x509_certificate(request.tls.client_chain[0])
        else:
            return self._json(401, {"status": 401, "message": "unauthorized"})
        cn = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [str(getattr(n, "value", n)) for n in sans.value]
        return self._issue(leaf.public_key(), cn, names)


def _private_d(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    d = key.private_numbers().private_value.to_bytes(32, "big")
    return {"d": base64.urlsafe_b64encode(d).rstrip(b"=").decode()}
