"""The command line's flows in CPython against the fake CA and storage."""

from __future__ import annotations

import base64
import io
import json
import re

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from stepwasm_core import cli
from stepwasm_core.errors import InputError
from stepwasm_core.ports import FILES, PROFILE, Response

from .fakes import PASSWORD, FakeCA, FakeStorage

pytestmark = pytest.mark.unit


class Run:
    def __init__(self, ca: FakeCA, storage: FakeStorage) -> None:
        self.ca, self.storage = ca, storage

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        ctx = cli.Context(
            transport=self.ca,
            storage=self.storage,
            stdout=out,
            stderr=err,
            steppath="/step",
        )
        code = cli.main(ctx, list(argv))
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def ca() -> FakeCA:
    return FakeCA()


@pytest.fixture
def storage() -> FakeStorage:
    s = FakeStorage()
    s.files[(FILES, "pass.txt")] = PASSWORD + b"\n"
    return s


@pytest.fixture
def run(ca, storage) -> Run:
    return Run(ca, storage)


@pytest.fixture
def booted(run, ca) -> Run:
    code, _, err = run(
        "ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", ca.fingerprint
    )
    assert code == 0, err
    return run


def _one_line_error(code: int, err: str) -> str:
    assert code != 0
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("✔")]
    assert len(lines) == 1, err
    return lines[0]


def test_bootstrap_saves_root_and_defaults(run, ca, storage):
    fp = ":".join(re.findall("..", ca.fingerprint.upper()))
    code, _, err = run("ca", "bootstrap", "--ca-url", ca.url + "/", "--fingerprint", fp)
    assert code == 0, err
    assert "/step/certs/root_ca.crt" in err
    root = x509.load_pem_x509_certificate(storage.files[(PROFILE, "certs/root_ca.crt")])
    assert root == ca.root
    defaults = json.loads(storage.files[(PROFILE, "config/defaults.json")])
    assert defaults == {
        "ca-url": ca.url,
        "fingerprint": ca.fingerprint,
        "root": "/step/certs/root_ca.crt",
    }
    assert ca.requests[0].tls.verify is False


def test_bootstrap_wrong_fingerprint_saves_nothing(run, ca, storage):
    code, _, err = run(
        "ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", "ab" * 32
    )
    line = _one_line_error(code, err)
    assert "404" in line
    assert not storage.list_files(PROFILE)


def test_bootstrap_refuses_a_tls_chain_from_another_root(run, ca, storage):
    other = FakeCA()
    ca.peer_chain = other.peer_chain
    code, _, err = run(
        "ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", ca.fingerprint
    )
    line = _one_line_error(code, err)
    assert "does not chain to the root" in line
    assert not storage.list_files(PROFILE)


def test_commands_need_a_profile(run):
    code, _, err = run("ca", "health")
    assert "run ca bootstrap first" in _one_line_error(code, err)


def test_token_claims_verify_with_pyjwt(booted, ca):
    code, out, err = booted(
        "ca",
        "token",
        "web.test",
        "--san",
        "web.test",
        "--san",
        "10.0.0.1",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    assert code == 0, err
    token = out.strip()
    assert PASSWORD.decode() not in out + err
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": ca.kid, "typ": "JWT"}
    claims = jwt.decode(
        token,
        ca.prov_key.public_key(),
        algorithms=["ES256"],
        audience=ca.url + "/1.0/sign",
        issuer="Admin JWK",
    )
    assert claims["sub"] == "web.test"
    assert claims["sans"] == ["web.test", "10.0.0.1"]
    assert claims["sha"] == ca.fingerprint
    assert re.fullmatch("[0-9a-f]{64}", claims["jti"])
    assert claims["iat"] == claims["nbf"]
    assert claims["exp"] - claims["nbf"] == 300


def test_token_finds_a_provisioner_beyond_the_first_page(storage):
    ca = FakeCA(provisioners_before=45, page_size=20)
    run = Run(ca, storage)
    assert (
        run("ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", ca.fingerprint)[0]
        == 0
    )
    code, out, err = run(
        "ca",
        "token",
        "a.test",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    assert code == 0, err
    assert jwt.get_unverified_header(out.strip())["kid"] == ca.kid
    pages = [r.url for r in ca.requests if "/provisioners" in r.url]
    assert len(pages) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--provisioner", "Nope", "--password-file", "pass.txt"],
            "provisioner 'Nope' not found",
        ),
        (["--provisioner", "Google", "--password-file", "pass.txt"], "is of type OIDC"),
        (
            ["--provisioner", "Admin JWK", "--password-file", "missing.txt"],
            "--password-file missing.txt: no such file",
        ),
        (
            ["--provisioner", "Admin JWK", "--password-file", "wrong.txt"],
            "wrong password",
        ),
        (
            [
                "--provisioner",
                "Admin JWK",
                "--password-file",
                "pass.txt",
                "--not-after",
                "soon",
            ],
            "--not-after 'soon'",
        ),
    ],
    ids=["unknown", "not-jwk", "no-password-file", "wrong-password", "bad-time"],
)
def test_token_errors(booted, storage, argv, message):
    storage.files[(FILES, "wrong.txt")] = b"not the password"
    code, out, err = booted("ca", "token", "a.test", *argv)
    assert message in _one_line_error(code, err)
    assert out == ""
    assert "not the password" not in err


def test_a_corrupt_provisioner_key_is_not_called_a_wrong_password(booted, ca):
    jwe = ca.provisioners[-1]["encryptedKey"].split(".")
    ciphertext = bytearray(base64.urlsafe_b64decode(jwe[3] + "=" * (-len(jwe[3]) % 4)))
    ciphertext[0] ^= 1
    jwe[3] = base64.urlsafe_b64encode(bytes(ciphertext)).rstrip(b"=").decode()
    ca.provisioners[-1]["encryptedKey"] = ".".join(jwe)
    argv = ["--provisioner", "Admin JWK", "--password-file", "pass.txt"]
    code, _, err = booted("ca", "token", "a.test", *argv)
    assert _one_line_error(code, err) == (
        "stepwasm: cannot decrypt the key of provisioner 'Admin JWK': "
        "corrupt JWE: the content does not authenticate"
    )


def _load(storage, path):
    return x509.load_pem_x509_certificates(storage.files[(FILES, path)])


@pytest.mark.parametrize(
    ("flags", "key_type", "size"),
    [
        ([], ec.EllipticCurvePrivateKey, 256),
        (["--kty", "EC", "--curve", "P-384"], ec.EllipticCurvePrivateKey, 384),
        (["--kty", "OKP", "--curve", "Ed25519"], ed25519.Ed25519PrivateKey, None),
    ],
    ids=["p256", "p384", "ed25519"],
)
def test_certificate_writes_chain_and_secret_key(
    booted, ca, storage, flags, key_type, size
):
    code, _out, err = booted(
        "ca",
        "certificate",
        "web.test",
        "web.crt",
        "web.key",
        "--san",
        "web.test",
        "--san",
        "127.0.0.1",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
        *flags,
    )
    assert code == 0, err
    assert "✔ Certificate: web.crt" in err
    chain = _load(storage, "web.crt")
    assert chain[0] == ca.issued[-1]
    assert chain[1] == ca.intermediate
    key = serialization.load_pem_private_key(storage.files[(FILES, "web.key")], None)
    assert isinstance(key, key_type)
    if size:
        assert key.key_size == size
    assert (FILES, "web.key") in storage.secret
    assert (FILES, "web.crt") not in storage.secret
    assert chain[0].public_key() == key.public_key()
    sans = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert [str(n.value) for n in sans.value] == ["web.test", "127.0.0.1"]


def test_certificate_with_a_token(booted, storage):
    _, token, _ = booted(
        "ca",
        "token",
        "t.test",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    code, _, err = booted(
        "ca", "certificate", "t.test", "t.crt", "t.key", "--token", token.strip()
    )
    assert code == 0, err
    cn = _load(storage, "t.crt")[0].subject.rfc4514_string()
    assert cn == "CN=t.test"


def test_certificate_refuses_a_mismatched_token_subject(booted, storage):
    _, token, _ = booted(
        "ca",
        "token",
        "t.test",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    code, _, err = booted(
        "ca", "certificate", "other.test", "t.crt", "t.key", "--token", token.strip()
    )
    assert "differs from 'other.test'" in _one_line_error(code, err)
    assert not storage.list_files(FILES, "t.")


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", ""], ids=["no-dots", "not-base64-json", "empty"]
)
def test_certificate_malformed_token(booted, storage, token):
    argv = ["ca", "certificate", "x.test", "x.crt", "x.key", "--token", token]
    code, _, err = booted(*argv)
    line = _one_line_error(code, err)
    assert "malformed token" in line or "needs --token" in line
    assert not storage.list_files(FILES, "x.")


def test_certificate_will_not_overwrite_without_force(booted, storage):
    storage.files[(FILES, "web.crt")] = b"keep me"
    code, _, err = booted(
        "ca",
        "certificate",
        "web.test",
        "web.crt",
        "web.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    assert "web.crt already exists" in _one_line_error(code, err)
    assert storage.files[(FILES, "web.crt")] == b"keep me"


def test_certificate_puts_back_files_when_a_write_fails(booted, storage):
    storage.files[(FILES, "web.crt")] = b"old chain"
    storage.fail_writes.add("web.key")
    code, _, err = booted(
        "ca",
        "certificate",
        "web.test",
        "web.crt",
        "web.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
        "--force",
    )
    assert "cannot write web.key" in _one_line_error(code, err)
    assert storage.files[(FILES, "web.crt")] == b"old chain"
    assert (FILES, "web.key") not in storage.files


@pytest.fixture
def issued(booted, storage):
    code, _, err = booted(
        "ca",
        "certificate",
        "web.test",
        "web.crt",
        "web.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    assert code == 0, err
    return _load(storage, "web.crt")[0]


@pytest.mark.parametrize("mtls", [True, False], ids=["mtls", "token"])
def test_renew_keeps_the_key(booted, ca, storage, issued, mtls):
    argv = ["ca", "renew", "web.crt", "web.key"]
    if not mtls:
        argv.append("--mtls=false")
    code, _, err = booted(*argv)
    assert code == 0, err
    assert "Your certificate has been saved in web.crt." in err
    renewed = _load(storage, "web.crt")[0]
    assert renewed.serial_number != issued.serial_number
    assert renewed.public_key() == issued.public_key()
    request = ca.requests[-1]
    headers = dict(request.headers)
    if mtls:
        assert request.tls.client_chain[0] == issued.public_bytes(
            serialization.Encoding.DER
        )
        assert "Authorization" not in headers
    else:
        token = headers["Authorization"].removeprefix("Bearer ")
        x5c = jwt.get_unverified_header(token)["x5cInsecure"]
        assert len(x5c) == 2
        claims = jwt.decode(
            token,
            issued.public_key(),
            algorithms=["ES256"],
            audience=ca.url + "/1.0/renew",
        )
        assert claims["iss"] == "step-ca-client/1.0"
        assert claims["sub"] == "web.test"


def test_renew_expires_in_skips_a_certificate_with_more_left(booted, storage, issued):
    before = storage.files[(FILES, "web.crt")]
    code, _, err = booted("ca", "renew", "web.crt", "web.key", "--expires-in", "1h")
    assert code == 0, err
    assert re.fullmatch(
        r"The certificate in web.crt has \d+ s left, more than --expires-in 1h: "
        r"not renewed.\n",
        err,
    )
    assert storage.files[(FILES, "web.crt")] == before


def test_renew_expires_in_renews_when_less_is_left(booted, storage, issued):
    # Longer than the whole lifetime: a one-shot renewal still renews.
    code, _, err = booted("ca", "renew", "web.crt", "web.key", "--expires-in", "48h")
    assert code == 0, err
    assert err == "Your certificate has been saved in web.crt.\n"
    assert _load(storage, "web.crt")[0].serial_number != issued.serial_number


def test_renew_to_another_file(booted, storage, issued):
    code, _, err = booted("ca", "renew", "web.crt", "web.key", "--out", "new.crt")
    assert code == 0, err
    assert _load(storage, "web.crt")[0] == issued
    assert _load(storage, "new.crt")[0].public_key() == issued.public_key()


def test_renew_refuses_a_key_of_another_certificate(booted, storage, issued):
    assert (
        booted(
            "ca",
            "certificate",
            "b.test",
            "b.crt",
            "b.key",
            "--provisioner",
            "Admin JWK",
            "--password-file",
            "pass.txt",
        )[0]
        == 0
    )
    before = storage.files[(FILES, "web.crt")]
    code, _, err = booted("ca", "renew", "web.crt", "b.key")
    assert "does not match" in _one_line_error(code, err)
    assert storage.files[(FILES, "web.crt")] == before


def test_renew_refuses_a_file_that_is_not_pem(booted, storage, issued):
    storage.files[(FILES, "bad.crt")] = b"hello, world\n"
    code, _, err = booted("ca", "renew", "bad.crt", "web.key")
    assert "bad.crt" in _one_line_error(code, err)


def test_unknown_command_is_one_line(run):
    code, _, err = run("ca", "frobnicate")
    assert "invalid choice" in _one_line_error(code, err)


def test_renew_will_not_overwrite_another_file(booted, storage, issued):
    storage.files[(FILES, "other.crt")] = b"keep me"
    code, _, err = booted("ca", "renew", "web.crt", "web.key", "--out", "other.crt")
    assert "other.crt already exists" in _one_line_error(code, err)
    assert storage.files[(FILES, "other.crt")] == b"keep me"
    code, _, err = booted("ca", "renew", "web.crt", "web.key", "--out", "web.key")
    assert "web.key is the key file" in _one_line_error(code, err)
    assert b"PRIVATE KEY" in storage.files[(FILES, "web.key")]


def test_unknown_provisioner_hints_at_a_near_name(booted):
    code, _, err = booted(
        "ca",
        "token",
        "a.test",
        "--provisioner",
        "admin jwk",
        "--password-file",
        "pass.txt",
    )
    assert "did you mean 'Admin JWK'?" in _one_line_error(code, err)


def test_unknown_provisioner_lists_a_few_names(storage):
    ca = FakeCA(provisioners_before=30)
    run = Run(ca, storage)
    assert (
        run("ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", ca.fingerprint)[0]
        == 0
    )
    code, _, err = run(
        "ca", "token", "a.test", "--provisioner", "Nope", "--password-file", "pass.txt"
    )
    line = _one_line_error(code, err)
    assert line.endswith("and 24 more")
    assert len(line) < 300


def test_bootstrap_names_the_missing_fingerprint(run, ca):
    code, _, err = run(
        "ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", "ab" * 32
    )
    assert _one_line_error(code, err) == (
        f"stepwasm: the CA has no root with fingerprint {'ab' * 32} (it answered 404)"
    )


def test_defaults_with_a_bad_ca_url_type(booted, storage):
    storage.files[(PROFILE, "config/defaults.json")] = b'{"ca-url": 5}'
    code, _, err = booted("ca", "health")
    assert "'ca-url' must be a string" in _one_line_error(code, err)


@pytest.mark.parametrize("size", ["1024", "8192", "2049"])
def test_rsa_sizes_out_of_range(booted, storage, size):
    code, _, err = booted(
        "ca",
        "certificate",
        "r.test",
        "r.crt",
        "r.key",
        "--kty",
        "RSA",
        "--size",
        size,
        "--provisioner",
        "Admin JWK",
        "--password-file",
        "pass.txt",
    )
    assert "RSA keys here take 2048 to 4096 bits" in _one_line_error(code, err)
    assert not storage.list_files(FILES, "r.")


def test_rsa_takes_no_curve(booted, storage):
    code, _, err = booted(
        "crypto",
        "keypair",
        "k.pub",
        "k.key",
        "--kty",
        "RSA",
        "--curve",
        "P-256",
        "--no-password",
        "--insecure",
    )
    assert _one_line_error(code, err) == (
        "stepwasm: --curve P-256: RSA keys take --size, not a curve"
    )
    assert not storage.list_files(FILES, "k.")


def test_usage_errors_name_the_command_once(run):
    code, _, err = run("ca", "certificate", "only-subject")
    line = _one_line_error(code, err)
    assert line.startswith("stepwasm: ca certificate: the following arguments")


def test_a_daemon_plan_checks_the_key_at_start(booted, storage, issued):
    assert (
        cli.parse_daemon_plan(
            ["ca", "renew", "web.crt", "web.key", "--daemon"], storage
        ).files.key_file
        == "web.key"
    )
    with pytest.raises(InputError, match="key missing.key: no such file"):
        cli.parse_daemon_plan(
            ["ca", "renew", "web.crt", "missing.key", "--daemon"], storage
        )
    with pytest.raises(InputError, match="pass.txt: "):
        cli.parse_daemon_plan(
            ["ca", "renew", "web.crt", "pass.txt", "--daemon"], storage
        )


@pytest.mark.parametrize("flag", ["--expires-in", "--renew-period"])
def test_renew_refuses_an_empty_duration(booted, storage, issued, flag):
    before = storage.files[(FILES, "web.crt")]
    code, _, err = booted("ca", "renew", "web.crt", "web.key", flag, " ")
    assert _one_line_error(code, err) == f"stepwasm: {flag}: empty value"
    assert storage.files[(FILES, "web.crt")] == before


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b'{"status":"down\\u001b[31m"}', "'down\\x1b[31m'"),
        (b"[[1]]", "no status"),
    ],
)
def test_health_that_is_not_ok_fails_in_one_escaped_line(booted, ca, body, shown):
    answer = Response(status=200, body=body)
    real_send = ca.send
    ca.send = lambda r: answer if r.url.endswith("/health") else real_send(r)
    code, out, err = booted("ca", "health")
    assert out == ""
    assert _one_line_error(code, err) == (
        f"stepwasm: the CA answered 200: its health answer says {shown}, not 'ok'"
    )


def test_a_server_message_cannot_break_the_line_or_colour_it(booted, ca):
    answer = Response(status=500, body=b'{"message":"bad\\u001b[31m\\nline"}')
    ca.send = lambda r: answer
    code, _, err = booted("ca", "health")
    assert code == 1
    assert err == "stepwasm: the CA answered 500: bad\\x1b[31m\\x0aline\n"


def test_a_ca_url_with_a_password_is_refused_without_echoing_it(booted):
    code, _, err = booted("ca", "health", "--ca-url", "http://me:s3cret@ca.test")
    assert _one_line_error(code, err) == (
        "stepwasm: --ca-url: a user name or password in the URL is not for "
        "step-ca; leave it out"
    )
    assert "s3cret" not in err
