"""Times an agent types (snooze until …), read in the local time zone."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest

from agentdesk.clock import parse_later

# Tuesday 1 December 2026, 14:20 (the tests run in UTC).
NOW = datetime(2026, 12, 1, 14, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", "2026-12-04 14:20"),
        ("1h30m", "2026-12-01 15:50"),
        ("2w", "2026-12-15 14:20"),
        ("45 m", "2026-12-01 15:05"),
        ("17:30", "2026-12-01 17:30"),
        ("9:00", "2026-12-02 09:00"),  # passed today: tomorrow
        ("tomorrow", "2026-12-02 09:00"),
        ("Tomorrow 8:15", "2026-12-02 08:15"),
        ("today 18:00", "2026-12-01 18:00"),
        ("mon", "2026-12-07 09:00"),
        ("mon 9:00", "2026-12-07 09:00"),
        ("tue 10:00", "2026-12-08 10:00"),  # a weekday is always ahead, never today
        ("Friday 16:00", "2026-12-04 16:00"),
        ("2026-12-24 08:00", "2026-12-24 08:00"),
        ("2026-12-24", "2026-12-24 09:00"),
    ],
)
def test_later(text, expected):
    assert parse_later(text, NOW) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "cannot read ''"),
        ("soon", "cannot read 'soon': try 3d"),
        ("mon at 9", "cannot read 'mon at 9'"),
        ("mon 9pm", "cannot read the time '9pm'"),
        ("25:00", "25:00 in '25:00' is not a time of day"),
        ("2026-02-30", "2026-02-30 is not a date"),
        ("2026-11-30 10:00", "2026-11-30 10:00 is in the past"),
        ("today 8:00", "today 8:00 is in the past"),
    ],
)
def test_what_cannot_be_read_is_one_line(text, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")) as caught:
        parse_later(text, NOW)
    assert "\n" not in str(caught.value)


def test_local_time_follows_daylight_saving(monkeypatch):
    """Written in Berlin in summer time, meant for a day after the clocks went back."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        summer = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
        assert parse_later("2026-10-26 09:00", summer) == datetime(2026, 10, 26, 8, tzinfo=UTC)
        assert parse_later("17:30", summer) == datetime(2026, 10, 20, 15, 30, tzinfo=UTC)
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
    assert os.environ["TZ"] == "UTC"
