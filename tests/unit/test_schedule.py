"""The renewal schedule, the daemon's plan and the clock skew check."""

from __future__ import annotations

import io
import statistics

import pytest
from stepwasm_core import cli
from stepwasm_core.caclient import MAX_CLOCK_SKEW, CAClient
from stepwasm_core.errors import InputError
from stepwasm_core.ports import Response
from stepwasm_core.renewal import RenewalOptions
from stepwasm_core.schedule import (
    BACKDATE,
    MIN_INTERVAL,
    next_renewal,
    random_fraction,
)

pytestmark = pytest.mark.unit

T0 = 1_800_000_000.0  # a notBefore
DAY = 86_400.0
HOUR = 3_600.0


def _day_cert(**kwargs):
    """A 24h certificate as step-ca issues it: notBefore backdated a minute."""
    not_before = T0
    not_after = T0 + BACKDATE + DAY
    kwargs.setdefault("now", T0 + BACKDATE)
    return next_renewal(not_before, not_after, **kwargs)


def test_default_is_two_thirds_of_the_lifetime_counted_from_issuance():
    schedule = _day_cert(jitter=0.0)
    assert schedule.issued_at == T0 + BACKDATE
    assert schedule.lifetime == DAY
    assert schedule.renew_at == pytest.approx(T0 + BACKDATE + DAY * 2 / 3)
    assert schedule.rule == "default"


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.999])
def test_jitter_only_brings_the_renewal_earlier_by_up_to_a_twentieth(jitter):
    plain = _day_cert(jitter=0.0).renew_at
    early = plain - _day_cert(jitter=jitter).renew_at
    assert early == pytest.approx(jitter * DAY / 20)
    assert 0 <= early < DAY / 20


def test_random_jitter_spreads_a_fleet():
    times = [_day_cert().renew_at for _ in range(200)]
    plain = _day_cert(jitter=0.0).renew_at
    assert all(plain - DAY / 20 <= t <= plain for t in times)
    # 200 draws over a 72-minute window: far from all alike.
    assert statistics.pstdev(times) > DAY / 20 / 10
    assert all(0 <= random_fraction() < 1 for _ in range(1000))


def test_a_short_certificate_is_scheduled_from_issuance_not_from_not_before():
    # Asked for 30s, step-ca sends notBefore = now - 1m, notAfter = now + 30s.
    arrived = T0 + BACKDATE
    schedule = next_renewal(
        T0, arrived + 30, now=arrived, last_renewal=arrived, jitter=0.0
    )
    assert schedule.renew_at == pytest.approx(arrived + 20)
    # Counting from notBefore would have renewed it on arrival.
    assert schedule.renew_at > arrived


def test_a_certificate_seen_arriving_early_is_not_assumed_backdated():
    # A CA that does not backdate: the certificate arrived 5 s after notBefore.
    schedule = next_renewal(
        T0, T0 + 3 * HOUR, now=T0 + 5, last_renewal=T0 + 5, jitter=0.0
    )
    assert schedule.issued_at == T0 + 5


def test_expires_in_renews_when_less_than_that_is_left():
    schedule = _day_cert(expires_in=HOUR, jitter=0.0)
    assert schedule.renew_at == pytest.approx(T0 + BACKDATE + DAY - HOUR)
    assert schedule.rule == "expires-in"
    jittered = _day_cert(expires_in=HOUR, jitter=0.5)
    assert jittered.renew_at == pytest.approx(schedule.renew_at - 0.5 * DAY / 20)


def test_renew_period_counts_from_issuance_without_jitter():
    first = _day_cert(renew_period=8 * HOUR, jitter=0.9)
    assert first.renew_at == pytest.approx(T0 + BACKDATE + 8 * HOUR)
    assert first.rule == "renew-period"


def test_a_renew_period_longer_than_the_certificate_falls_back_to_the_default():
    schedule = _day_cert(renew_period=30 * HOUR, jitter=0.0)
    assert schedule.rule == "default"
    assert schedule.renew_at == pytest.approx(T0 + BACKDATE + DAY * 2 / 3)


def test_an_old_certificate_is_due_now():
    now = T0 + BACKDATE + DAY - 60
    schedule = _day_cert(now=now, jitter=0.0)
    assert schedule.renew_at <= now


def test_never_sooner_than_the_minimum_after_a_renewal():
    arrived = T0 + BACKDATE
    schedule = next_renewal(
        T0,
        arrived + DAY,
        now=arrived,
        last_renewal=arrived,
        expires_in=DAY - 1,
        jitter=0.0,
    )
    assert schedule.renew_at == pytest.approx(arrived + MIN_INTERVAL)


def test_a_certificate_shorter_than_the_minimum_is_renewed_before_it_expires():
    arrived = T0 + BACKDATE
    schedule = next_renewal(
        T0, arrived + 6, now=arrived, last_renewal=arrived, jitter=0.0
    )
    assert arrived < schedule.renew_at < arrived + 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"renew_period": 1.0}, "--renew-period 1s: renewals must be at least 10s"),
        ({"expires_in": DAY}, "--expires-in 24h is not shorter than the"),
        ({"expires_in": HOUR, "renew_period": HOUR}, "not both"),
        ({"expires_in": -5.0}, "--expires-in must be a positive duration"),
    ],
    ids=["period-too-short", "expires-in-too-long", "both", "negative"],
)
def test_options_that_cannot_work_are_refused(kwargs, message):
    with pytest.raises(InputError, match=message):
        _day_cert(**kwargs)


def test_renewal_options_parse_go_durations():
    assert RenewalOptions("1h30m", "").seconds() == (5400.0, None)
    assert RenewalOptions("", "90s").seconds() == (None, 90.0)
    assert RenewalOptions().seconds() == (None, None)
    with pytest.raises(InputError, match="--renew-period '5 minutes'"):
        RenewalOptions("", "5 minutes").seconds()
    with pytest.raises(InputError, match="--expires-in 0s: must be a positive"):
        RenewalOptions("0s", "").seconds()


def _plan(*flags: str):
    return cli.parse_daemon_plan(["ca", "renew", "a.crt", "a.key", "--daemon", *flags])


def test_daemon_plan_carries_every_flag():
    plan = _plan(
        "--expires-in",
        "10m",
        "--exec",
        "systemctl reload 'my nginx'",
        "--pid",
        "42",
        "--signal",
        "usr1",
        "--out",
        "b.crt",
        "--mtls=false",
        "--ca-url",
        "https://ca.internal:9000",
    )
    assert plan.files.crt_file == "a.crt"
    assert plan.files.key_file == "a.key"
    assert plan.files.target == "b.crt"
    assert plan.files.mtls is False
    assert plan.files.ca_url == "https://ca.internal:9000"
    assert plan.files.options == RenewalOptions("10m", "")
    assert plan.exec_args == ("systemctl", "reload", "my nginx")
    assert (plan.pid, plan.signal) == (42, "SIGUSR1")
    assert _plan().signal == "SIGHUP"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--signal", "HUP"], "--signal needs --pid"),
        (["--exec", "'unclosed"], '--exec "\'unclosed": no closing quotation'),
        (["--renew-period", "1x"], "--renew-period '1x': not a duration"),
        (["--pid", "-3"], "--pid -3: not a process id"),
    ],
)
def test_daemon_plan_refuses_bad_flags(flags, message):
    with pytest.raises(InputError, match=message):
        _plan(*flags)


def test_daemon_plan_needs_the_daemon_flag():
    with pytest.raises(InputError, match="ca renew CRT KEY --daemon"):
        cli.parse_daemon_plan(["ca", "renew", "a.crt", "a.key"])


def test_daemon_flags_without_daemon_are_refused_by_the_command_line():
    out, err = io.StringIO(), io.StringIO()
    ctx = cli.Context(transport=None, storage=None, stdout=out, stderr=err)
    code = cli.main(ctx, ["ca", "renew", "a.crt", "a.key", "--exec", "true"])
    assert code == 1
    assert err.getvalue() == (
        "stepwasm: --renew-period, --exec, --pid and --signal need --daemon\n"
    )


class _DatedTransport:
    """Answers /health with a Date header `offset` seconds from our clock."""

    def __init__(self, date: str) -> None:
        self.date = date

    def send(self, request):
        return Response(200, (("Date", self.date),), b'{"status":"ok"}')

    def supports_client_certificates(self) -> bool:
        return False


NOW = 1_780_000_000.0  # Thu, 28 May 2026 20:26:40 GMT


@pytest.mark.parametrize(
    ("date", "skew", "warned"),
    [
        ("Thu, 28 May 2026 20:26:40 GMT", 0.0, False),
        ("Thu, 28 May 2026 20:27:10 GMT", 30.0, False),
        ("Thu, 28 May 2026 20:27:25 GMT", 45.0, True),
        ("Thu, 28 May 2026 20:24:40 GMT", -120.0, True),
    ],
    ids=["same", "at-limit", "ahead", "behind"],
)
def test_clock_skew_from_the_date_header(date, skew, warned):
    lines: list[str] = []
    client = CAClient(
        _DatedTransport(date),
        "https://ca.test",
        [],
        clock=lambda: NOW,
        on_warning=lines.append,
    )
    client.health()
    client.health()
    assert client.clock_skew == skew
    assert (abs(skew) > MAX_CLOCK_SKEW) == warned
    if warned:
        side = "ahead of" if skew > 0 else "behind"
        assert lines == [
            (
                f"warning: the CA's clock is {abs(skew):.0f} s {side} this "
                "machine's; tokens allow one minute of skew: check the time "
                "sync on both"
            )
        ]
    else:
        assert lines == []


@pytest.mark.parametrize("date", ["", "yesterday", "Thu, 28 May 2026 20:26:40"])
def test_a_missing_or_bad_date_header_is_ignored(date):
    client = CAClient(
        _DatedTransport(date),
        "https://ca.test",
        [],
        clock=lambda: NOW,
        on_warning=pytest.fail,
    )
    assert client.health() == "ok"
    assert client.clock_skew is None
