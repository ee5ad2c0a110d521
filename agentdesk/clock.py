"""Time helpers: one UTC clock the whole app reads, ISO-8601 text in the database.

Tests and snapshots freeze the clock with ``set_now``; everything else calls ``now()``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant in UTC (or the frozen instant in tests)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at ``instant`` (UTC); ``None`` unfreezes it."""
    global _frozen
    _frozen = instant.astimezone(UTC) if instant is not None else None


def to_iso(instant: datetime) -> str:
    """Canonical storage form: UTC, second precision, trailing Z (sorts as text)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str, *, naive_is_utc: bool = True) -> datetime:
    """Parse ISO-8601 text; naive values are taken as UTC (or refused: ``naive_is_utc=False``).

    Raises ``ValueError`` for anything else.
    """
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        if not naive_is_utc:
            raise ValueError(f"{text!r} has no time zone")
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def try_parse_iso(text: object) -> datetime | None:
    """``parse_iso``, or None when ``text`` is not a time: a bad stored value must not
    break a screen."""
    if not isinstance(text, str):
        return None
    try:
        return parse_iso(text)
    except ValueError:
        return None


def now_iso() -> str:
    return to_iso(now())


def backoff(failures: int, cap: float, first: float = 1.0) -> float:
    """Seconds to wait after ``failures`` failures in a row: about ``first``, twice that,
    four times … at most ``cap``, jittered down by up to a fifth (never below 0.1 s)."""
    delay = min(cap, first * 2.0 ** min(max(0, failures), 32))
    return max(0.1, delay * random.uniform(0.8, 1.0))


def humanize_duration(seconds: float) -> str:
    """Compact duration for narrow columns: 45s, 12m, 3h, 2d."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours}h{rest // 60:02d}m" if hours < 10 else f"{hours}h"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"


def since(iso: str | None, reference: datetime | None = None) -> float | None:
    """Seconds from ``iso`` to ``reference`` (default now), or None (also for a bad value)."""
    instant = try_parse_iso(iso)
    if instant is None:
        return None
    return ((reference or now()) - instant).total_seconds()


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    """Next local-time ``hour:minute`` after today, returned in UTC."""
    local = now().astimezone()
    target = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return target.astimezone(UTC)
