"""When to renew a certificate: the one schedule every host follows.

By default a certificate is renewed once two thirds of its lifetime have
passed, earlier by a random fraction of up to a twentieth of the lifetime, so
that a fleet issued at the same moment does not come back in step.
`expires_in` (renew when less than that is left) and `renew_period` (renew
that long after issuance) replace the default; `expires_in` keeps the jitter,
`renew_period` is exact.

step-ca backdates every certificate by a minute: a certificate asked for 5m
arrives with 6m between notBefore and notAfter, one of them already past. The
lifetime here counts from the moment of issuance, which is notBefore plus that
minute (or plus less, for a certificate we saw arrive sooner after notBefore).

Times are Unix seconds on the wall clock. A host re-checks the wall clock
while it waits, so a machine that slept past the renewal time renews when it
wakes rather than when a monotonic timer would have fired.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from asn1crypto import x509

from .errors import InputError
from .validity import format_time

__all__ = [
    "BACKDATE",
    "JITTER_FRACTION",
    "MIN_INTERVAL",
    "RENEW_FRACTION",
    "Schedule",
    "certificate_times",
    "next_renewal",
    "random_fraction",
]

#: How far step-ca moves notBefore into the past (its `backdate`, default 1m).
BACKDATE = 60.0
#: The share of the lifetime after which a certificate is renewed.
RENEW_FRACTION = 2 / 3
#: The largest jitter, as a share of the lifetime; renewals only come earlier.
JITTER_FRACTION = 1 / 20
#: The shortest time between two renewals, whatever the options say (for a
#: certificate shorter than this, two thirds of its lifetime).
MIN_INTERVAL = 10.0


@dataclass(frozen=True)
class Schedule:
    """When to renew one certificate, and why."""

    renew_at: float
    not_before: float
    not_after: float
    #: The moment of issuance the schedule counts from (notBefore + backdate).
    issued_at: float
    #: "default", "expires-in" or "renew-period".
    rule: str

    @property
    def lifetime(self) -> float:
        return self.not_after - self.issued_at

    def describe(self) -> str:
        return f"renew at {format_time(self.renew_at)} ({self.rule})"


def random_fraction() -> float:
    """A uniform number in [0, 1) from the host's CSPRNG."""
    return int.from_bytes(os.urandom(7), "big") / (1 << 56)


def certificate_times(cert: x509.Certificate) -> tuple[float, float]:
    """A certificate's notBefore and notAfter as Unix seconds."""
    validity = cert["tbs_certificate"]["validity"]
    return (
        validity["not_before"].native.timestamp(),
        validity["not_after"].native.timestamp(),
    )


def _seconds(value: float) -> str:
    """A duration for messages: 90s, 15m, 24h."""
    if value < 120:
        return f"{value:g}s"
    if value < 7200:
        return f"{value / 60:.4g}m"
    return f"{value / 3600:.4g}h"


def next_renewal(
    not_before: float,
    not_after: float,
    *,
    now: float,
    last_renewal: float | None = None,
    expires_in: float | None = None,
    renew_period: float | None = None,
    jitter: float | None = None,
) -> Schedule:
    """When to renew a certificate valid from `not_before` to `not_after`.

    `last_renewal` is when this certificate arrived (None when it was already
    there, as when a daemon starts): no renewal is planned sooner than
    `MIN_INTERVAL` after it. `jitter` is a fraction in [0, 1) of the largest
    jitter; None draws one. A result at or before `now` means "renew now".
    """
    if not_after <= not_before:
        raise InputError("the certificate's notAfter is not after its notBefore")
    if expires_in is not None and renew_period is not None:
        raise InputError("use --expires-in or --renew-period, not both")
    if expires_in is not None and expires_in <= 0:
        raise InputError("--expires-in must be a positive duration")
    if renew_period is not None and renew_period < MIN_INTERVAL:
        raise InputError(
            f"--renew-period {_seconds(renew_period)}: renewals must be at least "
            f"{_seconds(MIN_INTERVAL)} apart"
        )

    # The backdate is at most a minute, and never reaches past a moment at
    # which we saw the certificate already in hand.
    seen = last_renewal if last_renewal is not None else now
    backdate = min(BACKDATE, max(0.0, seen - not_before))
    issued_at = min(not_before + backdate, not_after)
    lifetime = not_after - issued_at
    fraction = random_fraction() if jitter is None else jitter
    early = fraction * JITTER_FRACTION * lifetime

    if renew_period is not None:
        rule = "renew-period"
        renew_at = issued_at + renew_period
        if renew_at >= not_after:
            # The period outlives the certificate: fall back to the default.
            rule = "default"
            renew_at = issued_at + RENEW_FRACTION * lifetime - early
    elif expires_in is not None:
        if expires_in >= lifetime:
            raise InputError(
                f"--expires-in {_seconds(expires_in)} is not shorter than the "
                f"certificate's lifetime ({_seconds(lifetime)}): every renewal "
                "would be due at once"
            )
        rule = "expires-in"
        renew_at = not_after - expires_in - early
    else:
        rule = "default"
        renew_at = issued_at + RENEW_FRACTION * lifetime - early

    if last_renewal is not None:
        # A certificate shorter than the floor is renewed at two thirds of its
        # life instead: the floor must not let it expire.
        floor = min(MIN_INTERVAL, RENEW_FRACTION * lifetime)
        renew_at = max(renew_at, last_renewal + floor)
    return Schedule(
        renew_at=renew_at,
        not_before=not_before,
        not_after=not_after,
        issued_at=issued_at,
        rule=rule,
    )
