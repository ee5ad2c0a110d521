"""Business seconds between two instants, for configured opening hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from agentdesk.metrics.settings import BusinessHoursSettings


class BusinessClock:
    """Counts the seconds of an interval that fall inside opening hours.

    Opening hours are local wall-clock times in the configured time zone, so a
    daylight-saving change moves them in UTC; holidays are local dates.
    """

    def __init__(self, settings: BusinessHoursSettings) -> None:
        self.settings = settings
        self.zone = settings.zone
        self._day = lru_cache(maxsize=4096)(self._open_intervals)

    def _open_intervals(self, day: date) -> tuple[tuple[float, float], ...]:
        """The day's opening intervals as UTC epoch seconds."""
        if day in self.settings.holidays:
            return ()
        result = []
        for start, end in self.settings.week[day.weekday()]:
            opens = _wall(day, start, self.zone)
            closes = (
                _wall(day, end, self.zone)
                if end < 86400
                else (datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone))
            )
            result.append((opens.timestamp(), closes.timestamp()))
        return tuple(result)

    def seconds(self, start: float, end: float) -> float:
        """Business seconds in ``[start, end)`` (epoch seconds); 0 if ``end <= start``."""
        if end <= start:
            return 0.0
        first = datetime.fromtimestamp(start, UTC).astimezone(self.zone).date()
        last = datetime.fromtimestamp(end, UTC).astimezone(self.zone).date()
        total = 0.0
        day = first
        while day <= last:
            for opens, closes in self._day(day):
                total += max(0.0, min(end, closes) - max(start, opens))
            day += timedelta(days=1)
        return total


def _wall(day: date, seconds: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(seconds // 3600, seconds % 3600 // 60), tzinfo=zone)
