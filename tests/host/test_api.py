"""The embedding API: WIT records in and out, errors as our exception tree."""

from __future__ import annotations

import pytest
from stepwasm_host import (
    BootstrapError,
    CAError,
    CertificateError,
    Client,
    ComponentTrap,
    ConfigError,
    CryptoError,
    InputError,
    InternalError,
    Issued,
    KeySpec,
    Profile,
    RunResult,
    StepwasmError,
    StorageError,
    TokenError,
    TransportError,
)
from stepwasm_host.runtime import Runtime
from wasmtime.component import Record

pytestmark = pytest.mark.host


def record(**fields) -> Record:
    rec = Record()
    for name, value in fields.items():
        setattr(rec, name.replace("_", "-"), value)
    return rec


def api_error(kind: str, message: str = "boom", status: int = 0) -> Record:
    return record(kind=kind, message=message, status=status)


class FakeSession:
    """Plays the component: answers each api function from a table."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple]] = []
        self.broken = False

    def call(self, interface: str, name: str, *args):
        self.calls.append((name, args))
        answer = self.answers[name]
        if isinstance(answer, BaseException):
            self.broken = True
            raise answer
        return answer


class FakeRuntime:
    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.sessions: list[FakeSession] = []

    def session(self, ports, **kw) -> FakeSession:
        self.sessions.append(FakeSession(self.answers))
        self.kw = kw
        return self.sessions[-1]


def client(tmp_path, **answers) -> tuple[Client, FakeRuntime]:
    fake = FakeRuntime(answers)
    return Client(tmp_path / "step", tmp_path, runtime=fake), fake  # type: ignore[arg-type]


def test_bootstrap_returns_a_profile(tmp_path):
    answer = record(ca_url="https://ca:9000", fingerprint="ab12", root=b"PEM")
    c, fake = client(tmp_path, bootstrap=(True, answer))

    profile = c.bootstrap("https://ca:9000", "ab12", force=True)

    assert profile == Profile("https://ca:9000", "ab12", b"PEM")
    assert fake.sessions[0].calls == [("bootstrap", ("https://ca:9000", "ab12", True))]
    assert fake.kw["env"] == [("STEPPATH", str(tmp_path / "step"))]


def test_certificate_sends_kebab_case_records_and_returns_issued(tmp_path):
    issued = record(
        chain=b"CHAIN",
        key=b"KEY",
        serial="42",
        subject="web",
        not_before="2026-01-01T00:00:00Z",
        not_after="2026-01-02T00:00:00Z",
    )
    c, fake = client(tmp_path, certificate=(True, issued))

    result = c.certificate(
        "web",
        sans=["web", "10.0.0.1"],
        provisioner="admin",
        password="pw",
        key=KeySpec("OKP", "Ed25519"),
        not_after="24h",
    )

    assert result == Issued(
        b"CHAIN", b"KEY", "42", "web", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
    )
    (sent,) = fake.sessions[0].calls[0][1]
    assert sent.sans == ["web", "10.0.0.1"]
    assert sent.password == b"pw"
    assert getattr(sent, "not-after") == "24h"
    assert getattr(sent, "not-before") == ""
    assert (sent.key.kty, sent.key.curve, sent.key.size) == ("OKP", "Ed25519", 0)


def test_token_and_inspect_return_strings(tmp_path):
    c, fake = client(tmp_path, token=(True, "ott"), inspect=(True, "text"))

    assert c.token("web", provisioner="admin", password=b"pw") == "ott"
    assert c.inspect(b"PEM", "short") == "text"
    (sent,) = fake.sessions[0].calls[0][1]
    assert sent.subject == "web"
    assert sent.sans == []


def test_revoke_returns_nothing(tmp_path):
    c, fake = client(tmp_path, revoke=(True, None))

    assert c.revoke(b"CHAIN", b"KEY", reason_code=1, reason="key compromise") is None
    assert fake.sessions[0].calls == [
        ("revoke", (b"CHAIN", b"KEY", 1, "key compromise"))
    ]


def test_run_returns_a_run_result(tmp_path):
    answer = record(exit_code=1, stdout="", stderr="no profile")
    c, _ = client(tmp_path, run=answer)

    assert c.run(["ca", "health"]) == RunResult(1, "", "no profile")


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("input", InputError),
        ("config", ConfigError),
        ("storage", StorageError),
        ("transport", TransportError),
        ("crypto", CryptoError),
        ("certificate", CertificateError),
        ("bootstrap", BootstrapError),
        ("token", TokenError),
        ("internal", InternalError),
        ("something-new", InternalError),
    ],
)
def test_error_kinds_become_exceptions(tmp_path, kind, cls):
    c, _ = client(tmp_path, **{"read-profile": (False, api_error(kind, "it failed"))})

    with pytest.raises(cls) as info:
        c.read_profile()

    assert isinstance(info.value, StepwasmError)
    assert "it failed" in str(info.value)


def test_ca_error_keeps_the_status(tmp_path):
    error = api_error("ca", "the CA answered 401: unauthorized", 401)
    c, _ = client(tmp_path, renew=(False, error))

    with pytest.raises(CAError) as info:
        c.renew(b"CHAIN", b"KEY")

    assert info.value.status == 401
    assert info.value.message == "the CA answered 401: unauthorized"


def test_input_error_is_also_a_value_error(tmp_path):
    c, _ = client(tmp_path, inspect=(False, api_error("input")))

    with pytest.raises(ValueError):
        c.inspect(b"not pem")


def test_a_trap_replaces_the_instance_on_the_next_call(tmp_path):
    c, fake = client(
        tmp_path, bootstrap=ComponentTrap("component trapped: x"), token=(True, "t")
    )

    with pytest.raises(ComponentTrap):
        c.bootstrap("https://ca", "ab")
    assert c.token("web") == "t"

    assert len(fake.sessions) == 2


def test_the_instance_is_reused_between_calls(tmp_path):
    c, fake = client(tmp_path, token=(True, "t"))

    c.token("a")
    c.token("b")

    assert len(fake.sessions) == 1


def test_with_the_toy_component(proto_component, compile_cache, tmp_path):
    runtime = Runtime(proto_component, cache_dir=compile_cache / "stepwasm")
    c = Client(tmp_path / "step", tmp_path, runtime=runtime)

    assert c.run(["a", "b"]) == RunResult(0, "out:a b", "")
    with pytest.raises(ComponentTrap):
        c.bootstrap("https://127.0.0.1:1", "ab")
    assert c.run(["again"]).stdout == "out:again"
