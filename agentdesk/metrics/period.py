"""Reporting periods: ``--since 7d|30d|24h|YYYY-MM-DD``, ``--until``, and the screen presets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agentdesk import clock

_RELATIVE = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


class PeriodError(ValueError):
    """A period the user wrote that cannot be used (one line)."""


@dataclass(frozen=True)
class Period:
    """The half-open interval ``[since, until)`` in UTC; an event is in it by its ``at``."""

    since: datetime
    until: datetime

    @property
    def since_iso(self) -> str:
        return clock.to_iso(self.since)

    @property
    def until_iso(self) -> str:
        return clock.to_iso(self.until)

    @property
    def label(self) -> str:
        return f"{self.since_iso} .. {self.until_iso}"

    @property
    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.since - (self.until - self.since), self.since)


def parse_period(
    since: str | None, until: str | None, zone: ZoneInfo | None = None, now: datetime | None = None
) -> Period:
    """The period for ``--since``/``--until`` (default: the last 7 days up to now).

    ``7d``, ``24h``, ``2w`` mean that long before now; ``YYYY-MM-DD`` is a whole day in
    ``zone`` (``--since`` from its start, ``--until`` to its end); ``YYYY-MM-DDTHH:MM[:SS]Z``
    is an instant. Raises PeriodError for malformed text, reversed or empty periods.
    """
    zone = zone or ZoneInfo("UTC")
    now = now or clock.now()
    start = (
        _instant("--since", since, zone, now, end_of_day=False)
        if since
        else (now - timedelta(days=7))
    )
    end = _instant("--until", until, zone, now, end_of_day=True) if until else now
    if start > end:
        raise PeriodError(
            f"reversed period: --since {clock.to_iso(start)} is after --until {clock.to_iso(end)}"
        )
    if start == end:
        raise PeriodError(f"empty period: --since and --until are both {clock.to_iso(start)}")
    return Period(start, end)


def preset(name: str, zone: ZoneInfo | None = None, now: datetime | None = None) -> Period:
    """``today`` (since local midnight in ``zone``), ``7d`` or ``30d``, up to now."""
    now = now or clock.now()
    if name == "today":
        local = now.astimezone(zone or ZoneInfo("UTC")).date()
        return Period(_day_start(local, zone or ZoneInfo("UTC")), now)
    return parse_period(name, None, zone, now)


def _instant(
    option: str, text: str, zone: ZoneInfo, now: datetime, *, end_of_day: bool
) -> datetime:
    text = text.strip()
    match = _RELATIVE.match(text)
    if match:
        return now - int(match.group(1)) * _UNITS[match.group(2)]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise PeriodError(f"{option}: {text!r} is not a valid date") from None
        return _day_start(day + timedelta(days=1) if end_of_day else day, zone)
    if "T" in text:
        try:
            return clock.parse_iso(text)
        except ValueError:
            pass
    raise PeriodError(
        f"{option}: expected 24h, 7d, 2w, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got {text!r}"
    )


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
