"""Time helpers: one UTC clock the whole app reads, ISO-8601 text in the database.

Tests and snapshots freeze the clock with ``set_now``; everything else calls ``now()``.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

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


_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_SPANS = re.compile(r"(?:\d+\s*[mhdw]\s*)+")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EXAMPLES = "try 3d, 1h30m, 17:30, tomorrow, mon 9:00 or 2026-12-24 08:00"


def parse_later(text: str, reference: datetime | None = None) -> datetime:
    """A future instant written as an agent would: ``3d``, ``1h30m``, ``2w``, ``17:30``,
    ``tomorrow``, ``mon 9:00``, ``2026-12-24 08:00`` (local time; a day alone means
    09:00). Returned in UTC; ValueError says, in one line, what was not understood."""
    start = (reference or now()).astimezone()
    words = text.strip().lower().split()
    if _SPANS.fullmatch(" ".join(words)):
        units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        span = sum(
            (timedelta(**{units[u]: int(n)}) for n, u in _SPAN.findall(" ".join(words))),
            timedelta(),
        )
        return _future(start + span, start, text)
    if not 1 <= len(words) <= 2:
        raise ValueError(f"cannot read {text.strip()!r}: {_EXAMPLES}")
    day_word, time_word = words[0], words[1] if len(words) == 2 else None
    if time_word is None and (alone := _CLOCK.fullmatch(day_word)):
        at = _local(start.date(), alone, text)  # today, or tomorrow once it has passed
        return _future(
            at if at > start else _local(start.date() + timedelta(1), alone, text), start, text
        )
    if day_word in ("today", "tomorrow"):
        day = start.date() + timedelta(days=day_word == "tomorrow")
    elif day_word in _WEEKDAYS:
        day = start.date() + timedelta(days=(_WEEKDAYS[day_word] - start.weekday()) % 7 or 7)
    elif numbers := _DATE.fullmatch(day_word):
        try:
            day = date(*map(int, numbers.groups()))
        except ValueError:
            raise ValueError(f"{day_word} is not a date") from None
    else:
        raise ValueError(f"cannot read {text.strip()!r}: {_EXAMPLES}")
    if time_word is None:
        return _future(_local(day, None, text), start, text)
    hour = _CLOCK.fullmatch(time_word)
    if not hour:
        raise ValueError(f"cannot read the time {time_word!r}: write it as 9:00 or 17:30")
    return _future(_local(day, hour, text), start, text)


def _local(day: date, time_of_day: re.Match[str] | None, text: str) -> datetime:
    """``day`` at the matched time (09:00 when None) in the local time zone."""
    hour, minute = (
        (9, 0) if time_of_day is None else map(int, (time_of_day[1], time_of_day[2] or 0))
    )
    if hour > 23 or minute > 59:
        raise ValueError(
            f"{time_of_day[0] if time_of_day else ''} in {text.strip()!r} is not a time of day"
        )
    return datetime(day.year, day.month, day.day, hour, minute).astimezone()


def _future(at: datetime, start: datetime, text: str) -> datetime:
    if at <= start:
        raise ValueError(f"{text.strip()} is in the past")
    return at.astimezone(UTC)
