"""The ``[metrics]`` and ``[business_hours]`` config tables, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentdesk.config import Config, Table

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# Opening hours when [business_hours] names no weekday: Monday to Friday, 09:00-17:00.
DEFAULT_HOURS = ((9 * 3600, 17 * 3600),)


@dataclass(frozen=True)
class BusinessHoursSettings:
    """Opening hours: per weekday (0 = Monday) a tuple of (open, close) seconds after midnight."""

    timezone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] = (DEFAULT_HOURS,) * 5 + ((), ())
    holidays: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class MetricsSettings:
    """Everything that changes how figures are computed from the event log."""

    fcr_window_days: float = 7.0
    fcr_cross_channel: bool = True
    idle_cutoff_seconds: float = 120.0
    business_hours: BusinessHoursSettings = field(default_factory=BusinessHoursSettings)

    @property
    def fcr_window_seconds(self) -> int:
        return int(self.fcr_window_days * 86400)


def metrics_settings(config: Config) -> MetricsSettings:
    """Read ``[metrics]`` and ``[business_hours]``; errors name the file and key."""
    table = config.table("metrics")
    table.reject_unknown({"fcr_window_days", "fcr_cross_channel", "idle_cutoff_seconds"})
    return MetricsSettings(
        fcr_window_days=table.positive("fcr_window_days", 7),
        fcr_cross_channel=table.get("fcr_cross_channel", bool, True),
        idle_cutoff_seconds=table.positive("idle_cutoff_seconds", 120),
        business_hours=business_hours_settings(config.table("business_hours")),
    )


def business_hours_settings(table: Table) -> BusinessHoursSettings:
    """Parse ``timezone``, ``mon`` … ``sun`` (``"09:00-12:00, 13:00-17:00"``, ``""`` = closed)
    and ``holidays`` (``["2026-12-25"]``). Without any weekday key: Mon–Fri 09:00–17:00."""
    table.reject_unknown({"timezone", "holidays", *WEEKDAYS})
    timezone = table.get("timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise table.error("timezone", f"unknown time zone {timezone!r}") from None
    if any(day in table.data for day in WEEKDAYS):
        week = tuple(_ranges(table, day) for day in WEEKDAYS)
    else:
        week = BusinessHoursSettings.week
    holidays = set()
    for index, item in enumerate(table.get("holidays", list, [])):
        try:
            holidays.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError:
            raise table.error(
                f"holidays[{index}]", f"expected a date like 2026-12-25, got {item!r}"
            ) from None
    return BusinessHoursSettings(timezone, week, frozenset(holidays))


def _ranges(table: Table, day: str) -> tuple[tuple[int, int], ...]:
    text = table.get(day, str, "")
    ranges = []
    for part in filter(str.strip, text.split(",")):
        match = _RANGE.match(part)
        if not match:
            raise table.error(day, f'expected opening hours like "09:00-17:00", got {text!r}')
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 86400 or end <= start:
            raise table.error(day, f"{part.strip()!r} is not a valid range within one day")
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        if start < end:
            raise table.error(day, f"overlapping ranges in {text!r}")
    return tuple(ranges)
