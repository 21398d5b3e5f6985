"""Times and durations as step writes them: `5m`, `1h30m`, RFC 3339."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import InputError

__all__ = ["format_time", "parse_duration", "parse_time_or_duration"]

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str, flag: str = "duration") -> float:
    """A Go duration (`-1h30m`, `90s`) in seconds."""
    body = text.strip()
    sign = 1.0
    if body[:1] in "+-" and body:
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        match = _PART.match(body, pos)
        if not match:
            raise InputError(
                f"{flag} {text!r}: not a duration such as 5m or 1h30m, "
                "nor an RFC 3339 time"
            )
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not body:
        raise InputError(f"{flag}: empty value")
    return sign * total


def _parse_rfc3339(text: str) -> datetime | None:
    value = text.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}", value):
        return None
    value = value.replace("z", "Z")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment


def parse_time_or_duration(text: str, now: float, flag: str) -> int:
    """An RFC 3339 time, or a duration from `now`, as Unix seconds."""
    moment = _parse_rfc3339(text)
    if moment is not None:
        return int(moment.timestamp())
    if re.match(r"^\d{4}-", text.strip()):
        raise InputError(f"{flag} {text!r}: not a valid RFC 3339 time")
    return int(now + parse_duration(text, flag))


def format_time(seconds: float) -> str:
    """Unix seconds as RFC 3339 UTC, as step prints times."""
    moment = datetime.fromtimestamp(int(seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
