"""The generated inspection vectors in CPython: goldens of the three layouts,
every field against `cryptography`'s parse, verify on the vector chain, and
one-line errors for malformed input. tests/component/test_inspect_vectors.py
runs the same through the component."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import ipaddress
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from stepwasm_core import certinfo, cli
from stepwasm_core.errors import StorageError
from stepwasm_core.ports import FILES

from . import inspect_cases
from .vectors import AT, OID_SCT_LIST, Vector, write_vectors

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def vector_dir(tmp_path_factory) -> tuple[Path, list[Vector]]:
    directory = tmp_path_factory.mktemp("vectors")
    return directory, write_vectors(directory)


class DirStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, scope: str, path: str) -> bytes:
        if scope != FILES or not (self.root / path).is_file():
            raise StorageError(path, missing=True)
        return (self.root / path).read_bytes()


def run_in(directory: Path):
    storage = DirStorage(directory)

    def run(argv: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        ctx = cli.Context(transport=None, storage=storage, stdout=out, stderr=err)
        return cli.main(ctx, argv), out.getvalue(), err.getvalue()

    return run


def test_the_vector_set_covers_the_edges(vector_dir) -> None:
    _, vectors = vector_dir
    assert {v.name for v in vectors} == {
        "self-signed-root",
        "name-constraints-p384",
        "leaf-all-extensions",
        "leaf-der",
        "chain-wrong-order",
        "no-subject-cn",
        "non-ascii-names",
        "serial-20-bytes",
        "serial-high-bit",
        "rsa-pss",
        "rsa-pkcs1",
        "ed25519",
        "v1",
        "unknown-critical-extension",
        "expired",
        "csr",
        "csr-bad-signature",
    }


@pytest.mark.parametrize("layout", list(inspect_cases.LAYOUTS))
def test_goldens(vector_dir, layout: str) -> None:
    directory, vectors = vector_dir
    run = run_in(directory)
    for vector in vectors:
        code, out, err = run(inspect_cases.arguments(vector, layout))
        assert (code, err) == (0, ""), vector.name
        inspect_cases.check_golden(vector, layout, out)


def test_pem_layout_gives_back_the_certificates(vector_dir) -> None:
    directory, _ = vector_dir
    run = run_in(directory)
    code, out, _ = run(
        ["certificate", "inspect", "wrong-order.pem", "--bundle", "--format", "pem"]
    )
    assert code == 0
    assert out == (directory / "wrong-order.pem").read_text()
    code, out, _ = run(["certificate", "inspect", "leaf.der", "--format", "pem"])
    assert out.encode() == (directory / "leaf.pem").read_bytes()


# --- every field against cryptography ----------------------------------------


def _attributes(name: x509.Name) -> dict[str, list[str]]:
    keys = {
        "2.5.4.3": "common_name",
        "2.5.4.10": "organization",
        "2.5.4.6": "country",
        "2.5.4.7": "locality",
    }
    result: dict[str, list[str]] = {}
    for attribute in name:
        result.setdefault(keys[attribute.oid.dotted_string], []).append(attribute.value)
    return result


def _extension(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _cross_check(cert: x509.Certificate, described: dict) -> None:
    der = cert.public_bytes(serialization.Encoding.DER)
    assert described["version"] == cert.version.value + 1
    assert described["serial_number"] == str(cert.serial_number)
    assert (
        described["signature_algorithm"]["oid"]
        == cert.signature_algorithm_oid.dotted_string
    )
    assert described["signature"]["value"] == base64.b64encode(cert.signature).decode()
    assert described["issuer"] == _attributes(cert.issuer)
    assert described["subject"] == _attributes(cert.subject)
    start = cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    end = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert described["validity"]["start"] == start
    assert described["validity"]["end"] == end
    assert described["fingerprint_sha256"] == cert.fingerprint(hashes.SHA256()).hex()
    assert described["fingerprint_sha1"] == cert.fingerprint(hashes.SHA1()).hex()

    key = cert.public_key()
    info = described["subject_key_info"]
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert info["fingerprint_sha256"] == hashlib.sha256(spki).hexdigest()
    if isinstance(key, ec.EllipticCurvePublicKey):
        numbers = key.public_numbers()
        assert (
            info["ecdsa_public_key"]["curve"]
            == {"secp256r1": "P-256", "secp384r1": "P-384"}[key.curve.name]
        )
        assert info["ecdsa_public_key"]["length"] == key.key_size
        x = base64.b64decode(info["ecdsa_public_key"]["x"])
        assert int.from_bytes(x, "big") == numbers.x
    elif isinstance(key, rsa.RSAPublicKey):
        assert info["rsa_public_key"]["length"] == key.key_size
        assert info["rsa_public_key"]["exponent"] == key.public_numbers().e
        modulus = base64.b64decode(info["rsa_public_key"]["modulus"])
        assert int.from_bytes(modulus, "big") == key.public_numbers().n
    elif isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert base64.b64decode(info["ed25519_public_key"]["public_key"]) == raw

    extensions = described["extensions"]
    if cert.version == x509.Version.v1:
        assert extensions == {} and "unknown_extensions" not in described
        return
    constraints = _extension(cert, x509.BasicConstraints)
    assert extensions["basic_constraints"]["is_ca"] == constraints.ca
    assert (
        extensions["basic_constraints"].get("max_path_len") == constraints.path_length
    )
    ski = _extension(cert, x509.SubjectKeyIdentifier)
    assert extensions.get("subject_key_id") == (ski.digest.hex() if ski else None)
    aki = _extension(cert, x509.AuthorityKeyIdentifier)
    assert extensions.get("authority_key_id") == (
        aki.key_identifier.hex() if aki else None
    )
    usage = _extension(cert, x509.KeyUsage)
    if usage is None:
        assert "key_usage" not in extensions
    else:
        assert (
            extensions["key_usage"].get("digital_signature", False)
            == usage.digital_signature
        )
        assert (
            extensions["key_usage"].get("certificate_sign", False)
            == usage.key_cert_sign
        )
    eku = _extension(cert, x509.ExtendedKeyUsage)
    if eku is not None:
        names = {"1.3.6.1.5.5.7.3.1": "server_auth", "1.3.6.1.5.5.7.3.2": "client_auth"}
        assert set(extensions["extended_key_usage"]) == {
            names[o.dotted_string] for o in eku
        }
    san = _extension(cert, x509.SubjectAlternativeName)
    if san is None:
        assert "subject_alt_name" not in extensions
    else:
        got = extensions["subject_alt_name"]
        assert got.get("dns_names", []) == san.get_values_for_type(x509.DNSName)
        assert got.get("email_addresses", []) == san.get_values_for_type(
            x509.RFC822Name
        )
        assert got.get("uniform_resource_identifiers", []) == san.get_values_for_type(
            x509.UniformResourceIdentifier
        )
        assert [ipaddress.ip_address(a) for a in got.get("ip_addresses", [])] == (
            san.get_values_for_type(x509.IPAddress)
        )
        assert got.get("registered_ids", []) == [
            o.dotted_string for o in san.get_values_for_type(x509.RegisteredID)
        ]
        others = san.get_values_for_type(x509.OtherName)
        assert got.get("other_names", []) == [
            f"Type: {o.type_id.dotted_string}, Value: 0x{o.value.hex()}" for o in others
        ]
    policies = _extension(cert, x509.CertificatePolicies)
    if policies is not None:
        got = extensions["certificate_policies"]
        assert [p["id"] for p in got] == [
            p.policy_identifier.dotted_string for p in policies
        ]
        for entry, policy in zip(got, policies):
            qualifiers = policy.policy_qualifiers or []
            assert entry.get("cps", []) == [q for q in qualifiers if isinstance(q, str)]
            assert entry.get("user_notice", []) == [
                q.explicit_text for q in qualifiers if isinstance(q, x509.UserNotice)
            ]
    crl = _extension(cert, x509.CRLDistributionPoints)
    if crl is not None:
        assert extensions["crl_distribution_points"] == [
            n.value for p in crl for n in p.full_name
        ]
    aia = _extension(cert, x509.AuthorityInformationAccess)
    if aia is not None:
        ocsp = [
            d.access_location.value
            for d in aia
            if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP
        ]
        issuers = [
            d.access_location.value
            for d in aia
            if d.access_method == x509.oid.AuthorityInformationAccessOID.CA_ISSUERS
        ]
        assert extensions["authority_info_access"] == {
            "ocsp_urls": ocsp,
            "issuer_urls": issuers,
        }
    nc = _extension(cert, x509.NameConstraints)
    if nc is not None:
        # Shown in the text layout; checked there by value.
        text = certinfo.format_text(certinfo.load_certificates(der, source="x")[0])
        for subtree in nc.permitted_subtrees:
            assert str(subtree.value) in text
    scts = _extension(cert, x509.PrecertificateSignedCertificateTimestamps)
    if scts is not None:
        got = extensions["signed_certificate_timestamps"]
        assert len(got) == len(scts)
        for entry, sct in zip(got, scts):
            assert base64.b64decode(entry["log_id"]) == sct.log_id
            moment = datetime.datetime.fromtimestamp(
                entry["timestamp_ms"] / 1000, datetime.UTC
            )
            assert moment.replace(tzinfo=None) == sct.timestamp
            assert base64.b64decode(entry["signature"]["value"]) == sct.signature
            assert entry["signature"]["algorithm"] == "SHA256-ECDSA"
    known = {
        "2.5.29.19",
        "2.5.29.14",
        "2.5.29.35",
        "2.5.29.15",
        "2.5.29.37",
        "2.5.29.17",
        "2.5.29.32",
        "2.5.29.31",
        "1.3.6.1.5.5.7.1.1",
        "2.5.29.30",
        OID_SCT_LIST.dotted_string,
    }
    unknown = [e for e in cert.extensions if e.oid.dotted_string not in known]
    assert described.get("unknown_extensions", []) == [
        {
            "id": e.oid.dotted_string,
            "critical": e.critical,
            "value": base64.b64encode(e.value.value).decode(),
            "hex": e.value.value.hex(),
        }
        for e in unknown
    ]


def test_every_field_against_cryptography(vector_dir) -> None:
    directory, vectors = vector_dir
    checked = 0
    for vector in vectors:
        if vector.kind == "csr":
            continue
        data = (directory / vector.file).read_bytes()
        if vector.file.endswith(".der"):
            certs = [x509.load_der_x509_certificate(data)]
        else:
            certs = x509.load_pem_x509_certificates(data)
        described = json.loads(
            certinfo.inspect(data, source=vector.file, format="json", bundle=True)
        )
        assert len(described) == len(certs)
        for cert, description in zip(certs, described):
            _cross_check(cert, description)
            checked += 1
    assert checked == 17


def test_csr_fields_and_signature_against_cryptography(vector_dir) -> None:
    directory, _ = vector_dir
    for file, valid in (("request.csr", True), ("bad-signature.csr", False)):
        data = (directory / file).read_bytes()
        request = x509.load_pem_x509_csr(data)
        assert request.is_signature_valid is valid
        described = json.loads(certinfo.inspect(data, source=file, format="json"))
        assert described["signature"]["valid"] is valid
        assert described["subject"] == _attributes(request.subject)
        san = request.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value
        assert described["extensions"]["subject_alt_name"]["dns_names"] == (
            san.get_values_for_type(x509.DNSName)
        )
        text = certinfo.inspect(data, source=file)
        assert text.endswith(
            "    Signature: valid\n"
            if valid
            else "    Signature: INVALID (ecdsa signature does not verify)\n"
        )


# --- verify on the vectors ----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        pytest.param(
            ["leaf.pem"],
            "leaf.pem does not verify: no path to a trusted "
            "root: issuer 'CN=Vectors Intermediate CA' not found",
            id="no-intermediate",
        ),
        pytest.param(["wrong-order.pem"], None, id="wrong-order"),
        pytest.param(["wrong-order.pem", "--host", "api.example.com"], None, id="host"),
        pytest.param(["wrong-order.pem", "--host", "10.1.2.3"], None, id="ip"),
        pytest.param(
            ["wrong-order.pem", "--host", "other.example.com"],
            "wrong-order.pem does not verify: host name 'other.example.com' "
            "not in the certificate's SANs (DNS:www.example.com, "
            "DNS:api.example.com, IP Address:10.1.2.3, IP Address:2001:db8::1, "
            "email:admin@example.com, URI:https://www.example.com/id, "
            "OtherName:Type: 1.3.6.1.4.1.311.20.2.3, Value: "
            "0x0c1075736572406578616d706c652e636f6d, Registered ID:1.2.3.4)",
            id="wrong-host",
        ),
        pytest.param(
            ["wrong-order.pem", "--usage", "1.3.6.1.5.5.7.3.3"],
            "wrong-order.pem does not verify: certificate 'CN=www.example.com' "
            "is not valid for code signing (extended key usage: Server "
            "Authentication, Client Authentication)",
            id="eku-oid",
        ),
        pytest.param(
            ["expired.pem"],
            "expired.pem does not verify: certificate "
            "'CN=expired.example' expired at 2001-01-01T00:00:00Z",
            id="expired",
        ),
        pytest.param(
            ["expired.pem", "--time", "2000-06-01T00:00:00Z"],
            "expired.pem does not verify: certificate 'O=Vectors,CN=Vectors "
            "Root CA' is not valid before 2025-01-01T00:00:00Z",
            id="expired-leaf-in-its-time-but-not-the-root",
        ),
        pytest.param(
            ["wrong-order.pem", "--time", "2040-01-01T00:00:00+02:00"],
            "wrong-order.pem does not verify: certificate 'CN=www.example.com' "
            "expired at 2035-01-01T00:00:00Z",
            id="later",
        ),
        pytest.param(
            ["unknown-critical.pem"],
            "unknown-critical.pem does not verify: "
            "certificate 'CN=unknown critical' has an unhandled critical "
            "extension 1.3.6.1.4.1.55555.1.2",
            id="unknown-critical",
        ),
        pytest.param(["root.pem"], None, id="root-itself"),
        pytest.param(
            ["request.csr"],
            "request.csr: PEM block 1 is a certificate "
            "signing request (CSR), not a certificate",
            id="csr",
        ),
        pytest.param(
            ["wrong-order.pem", "--time", "yesterday"],
            "--time 'yesterday': expected an RFC 3339 time such as "
            "2024-03-01T00:00:00Z",
            id="bad-time",
        ),
    ],
)
def test_verify(vector_dir, argv: list[str], error: str | None) -> None:
    directory, _ = vector_dir
    run = run_in(directory)
    full = ["certificate", "verify", *argv, "--roots", "root.pem"]
    if "--time" not in argv:
        full += ["--time", AT]
    code, out, err = run(full)
    if error is None:
        assert (code, out, err) == (0, "", "")
    else:
        assert (code, out) == (1, "")
        assert err == f"stepwasm: {error}\n"


def test_verify_needs_roots_without_a_profile(vector_dir) -> None:
    directory, _ = vector_dir
    code, _, err = run_in(directory)(["certificate", "verify", "leaf.pem"])
    assert code == 1
    assert err == "stepwasm: --roots is required (no bootstrapped root in $STEPPATH)\n"


# --- malformed input ----------------------------------------------------------


@pytest.mark.parametrize("command", ["inspect", "fingerprint", "verify"])
def test_malformed_inputs_give_one_line(vector_dir, tmp_path, command: str) -> None:
    directory, _ = vector_dir
    inspect_cases.write_malformed(directory, tmp_path)
    run = run_in(tmp_path)
    for file, message in inspect_cases.MALFORMED_ERRORS.items():
        argv = ["certificate", command, file]
        if command == "verify":
            argv += ["--roots", "root.pem"]
        code, out, err = run(argv)
        assert (code, out) == (1, ""), file
        assert err.startswith(f"stepwasm: {message}"), (file, err)
        assert err.count("\n") == 1, err


# --- the other new commands, natively ----------------------------------------


class _Files(DirStorage):
    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None:
        (self.root / path).write_bytes(data)


class _PeerChain:
    """A transport that answers every request with a fixed TLS peer chain."""

    def __init__(self, chain: list[bytes]) -> None:
        self.chain, self.requests = chain, []

    def send(self, request):
        from stepwasm_core.ports import Response

        self.requests.append(request)
        return Response(status=200, peer_chain=tuple(self.chain))


def _run(directory: Path, argv: list[str], transport=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = cli.Context(
        transport=transport, storage=_Files(directory), stdout=out, stderr=err
    )
    return cli.main(ctx, argv), out.getvalue(), err.getvalue()


def test_keypair_and_create_natively(tmp_path) -> None:
    code, _, err = _run(
        tmp_path,
        [
            "crypto",
            "keypair",
            "a.pub",
            "a.key",
            "--kty",
            "RSA",
            "--size",
            "2048",
            "--no-password",
            "--insecure",
        ],
    )
    assert code == 0, err
    private = serialization.load_pem_private_key(
        (tmp_path / "a.key").read_bytes(), None
    )
    assert private.key_size == 2048
    assert (tmp_path / "a.key").read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY")
    code, _, err = _run(
        tmp_path,
        [
            "certificate",
            "create",
            "--csr",
            "a",
            "a.csr",
            "--key",
            "a.key",
            "--san",
            "a@example.com",
        ],
    )
    assert code == 0, err
    request = x509.load_pem_x509_csr((tmp_path / "a.csr").read_bytes())
    assert request.is_signature_valid
    assert (
        request.public_key().public_numbers() == private.public_key().public_numbers()
    )
    code, _, err = _run(
        tmp_path,
        ["certificate", "create", "--csr", "a", "b.csr", "b.key", "--key", "a.key"],
    )
    assert (code, err) == (
        1,
        "stepwasm: with --key, leave out KEY_FILE: no new key is made\n",
    )
    code, _, err = _run(
        tmp_path,
        [
            "crypto",
            "keypair",
            "c.pub",
            "c.key",
            "--curve",
            "P-192",
            "--no-password",
            "--insecure",
        ],
    )
    assert (code, err) == (
        1,
        "stepwasm: --curve P-192: EC keys take P-256, P-384 or P-521\n",
    )


def test_inspect_url_natively(vector_dir) -> None:
    directory, _ = vector_dir
    chain = x509.load_pem_x509_certificates(
        (directory / "wrong-order.pem").read_bytes()
    )
    ders = [c.public_bytes(serialization.Encoding.DER) for c in chain]
    transport = _PeerChain([ders[0], ders[2]])
    code, out, err = _run(
        directory,
        [
            "certificate",
            "inspect",
            "https://www.example.com:8443",
            "--insecure",
            "--short",
        ],
        transport,
    )
    assert (code, err) == (0, "")
    assert out.startswith("X.509v3 TLS Certificate (ECDSA P-256) [Serial: 42]\n")
    [request] = transport.requests
    assert (request.method, request.url, request.tls.verify) == (
        "HEAD",
        "https://www.example.com:8443",
        False,
    )
    code, out, err = _run(
        directory,
        [
            "certificate",
            "inspect",
            "https://www.example.com",
            "--roots",
            "root.pem",
            "--bundle",
            "--format",
            "pem",
        ],
        transport,
    )
    assert (code, err) == (0, "")
    assert out.count("BEGIN CERTIFICATE") == 2
    assert transport.requests[-1].tls.verify is False  # the component verifies
    code, _, err = _run(
        directory,
        ["certificate", "inspect", "https://other.example", "--roots", "root.pem"],
        transport,
    )
    assert code == 1
    assert err.startswith(
        "stepwasm: https://other.example: the server's chain does "
        "not verify: host name 'other.example' not in the "
        "certificate's SANs"
    )
    code, _, err = _run(directory, ["certificate", "inspect", "leaf.pem", "--insecure"])
    assert err == "stepwasm: --roots and --insecure are for https:// addresses only\n"


def test_fingerprints_against_cryptography(vector_dir) -> None:
    directory, vectors = vector_dir
    run = run_in(directory)
    for vector in vectors:
        if vector.kind == "csr":
            continue
        data = (directory / vector.file).read_bytes()
        certs = (
            [x509.load_der_x509_certificate(data)]
            if vector.file.endswith(".der")
            else x509.load_pem_x509_certificates(data)
        )
        for flags, digest, encode in (
            ([], hashes.SHA256(), bytes.hex),
            (["--sha256"], hashes.SHA256(), bytes.hex),
            (["--sha1"], hashes.SHA1(), bytes.hex),
            (
                ["--format", "base64"],
                hashes.SHA256(),
                lambda d: base64.b64encode(d).decode(),
            ),
        ):
            code, out, err = run(
                ["certificate", "fingerprint", vector.file, "--bundle", *flags]
            )
            assert (code, err) == (0, "")
            assert out.splitlines() == [encode(c.fingerprint(digest)) for c in certs]
