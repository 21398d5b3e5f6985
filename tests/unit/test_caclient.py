"""The CA client layer: URLs, statuses and the CA's error bodies."""

from __future__ import annotations

import pytest
from stepwasm_core.caclient import CAClient, normalize_ca_url
from stepwasm_core.errors import CAError, InputError
from stepwasm_core.ports import Request, Response
from stepwasm_core.validity import parse_duration, parse_time_or_duration

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://ca.test:9000/", "https://ca.test:9000"),
        ("ca.test:9000", "https://ca.test:9000"),
        (" https://ca.test ", "https://ca.test"),
    ],
)
def test_ca_urls(given, expected):
    assert normalize_ca_url(given) == expected


@pytest.mark.parametrize(
    "given", ["", "http://ca.test", "https://", "https://ca.test/?x=1"]
)
def test_bad_ca_urls(given):
    with pytest.raises(InputError):
        normalize_ca_url(given)


class Canned:
    def __init__(self, status: int, body: bytes) -> None:
        self.response = Response(status=status, body=body)
        self.sent: list[Request] = []

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        return self.response

    def supports_client_certificates(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, b'{"status":400,"message":"bad csr"}', "the CA answered 400: bad csr"),
        (401, b'{"type":"x","detail":"token is expired"}', "401: token is expired"),
        (500, b"<html>oops</html>", "the CA answered 500: <html>oops</html>"),
        (502, b"", "the CA answered 502"),
    ],
    ids=["step-error", "renew-shape", "not-json", "empty"],
)
def test_error_bodies_are_read_leniently(status, body, message):
    client = CAClient(Canned(status, body), "https://ca.test", [b"root"])
    with pytest.raises(CAError) as info:
        client.health()
    assert str(info.value) == message or message in str(info.value)
    assert info.value.status == status


def test_requests_trust_exactly_the_root():
    transport = Canned(200, b'{"status":"ok"}')
    client = CAClient(transport, "https://ca.test", [b"root-der"])
    assert client.health() == "ok"
    request = transport.sent[0]
    assert request.url == "https://ca.test/health"
    assert request.tls.roots == (b"root-der",)
    assert request.tls.verify is True


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("90s", 90), ("-10m", -600), ("1.5h", 5400)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_times_and_durations_from_now():
    assert parse_time_or_duration("2026-01-02T03:04:05Z", 0, "--x") == 1767323045
    assert parse_time_or_duration("10m", 1000, "--x") == 1600
    with pytest.raises(InputError, match="--not-after 'soon'"):
        parse_time_or_duration("soon", 0, "--not-after")
    with pytest.raises(InputError, match="not a valid RFC 3339"):
        parse_time_or_duration("2026-13-40T00:00:00Z", 0, "--x")
