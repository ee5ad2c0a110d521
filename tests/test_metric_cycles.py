"""The kept metric cycles (``metric_cycles``, migration 17) give the figures the event log
gives: on the demo desk and on a generated one, on both engines, with some conversations
changed since the last refresh, and after migrating a desk made before the table."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentdesk import clock
from agentdesk.demo import generate_demo
from agentdesk.domain import Inbound, InboxFilter
from agentdesk.metrics.collect import collect
from agentdesk.metrics.period import Period
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.store import Store

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
PERIODS = [Period(NOW - timedelta(days=days), NOW) for days in (7, 3650)]
ROOT = Path(__file__).resolve().parent.parent

# What migrations 17 and 18 added: dropping it leaves a desk as version 16 made it.
_BEFORE_17 = {
    "sqlite": [
        "ALTER TABLE messages DROP COLUMN sending_desk",
        "ALTER TABLE messages DROP COLUMN sending_until",
        "DROP TRIGGER events_metric_dirty",
        "DROP TABLE metric_cycles",
        "DROP TABLE metric_dirty",
        "DROP TABLE metric_refresh",
        "PRAGMA user_version = 16",
    ],
    "postgresql": [
        "ALTER TABLE messages DROP COLUMN sending_desk, DROP COLUMN sending_until",
        "DROP TRIGGER events_metric_dirty ON events",
        "DROP FUNCTION events_metric_dirty",
        "DROP TABLE metric_cycles, metric_dirty, metric_refresh",
        "UPDATE agentdesk_meta SET value = '16' WHERE key = 'schema_version'",
    ],
}


def figures(target: str, readonly: bool = False) -> list[list[str]]:
    """Every fact of each period, in a comparable order."""
    with Store(target, readonly=readonly) as store:
        return [
            sorted(map(repr, collect([store], period, MetricsSettings(), now=NOW.timestamp())))
            for period in PERIODS
        ]


def back_to_16(target: str) -> None:
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            for statement in _BEFORE_17["postgresql"]:
                conn.execute(statement)
        return
    conn = sqlite3.connect(target)
    try:
        for statement in _BEFORE_17["sqlite"]:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def change_some(target: str) -> None:
    """Replies, resolves, reopens and a new conversation after the last refresh."""
    with Store(target) as store:
        inbox = store.inbox.page(InboxFilter(), 0, 6)
        later = clock.to_iso(NOW - timedelta(hours=2))
        for row in inbox[:3]:
            store.replies.add(row.id, "agent01", "on it", at=later)
            store.conversations.set_status(row.id, "resolved", "agent01", at=later)
        store.messages.record_inbound(
            Inbound(
                channel="email",
                address="late@customer.example",
                text="and another thing",
                at=clock.to_iso(NOW - timedelta(hours=1)),
                thread_key="late-one",
                ext_id="late-one",
            )
        )


def check(target: str) -> None:
    kept = figures(target)
    assert any(kept), "the desk has figures to compare"
    change_some(target)
    mixed = figures(target)  # the changed conversations are computed live
    assert mixed != kept
    with Store(target) as store:
        assert store.metrics.refresh() > 0
        assert store.metrics.refresh() == 0
    assert figures(target) == mixed
    back_to_16(target)
    assert figures(target, readonly=True) == mixed  # the event log alone, as before 17
    assert figures(target) == mixed  # migration 17 computed every conversation


def test_demo_desk(desk_target):
    clock.set_now(NOW)
    try:
        with Store(desk_target) as store:
            generate_demo(store, seed=3)
    finally:
        clock.set_now(None)
    check(desk_target)


def test_generated_desk(desk_target):
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--db",
            desk_target,
            "--conversations",
            "200",
            "--messages",
            "2000",
            "--days",
            "60",
            "--now",
            clock.to_iso(NOW),
            "--replace",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    check(desk_target)


def test_refresh_waits_for_nothing_on_an_empty_desk(desk_target):
    with Store(desk_target) as store:
        assert store.metrics.refresh() == 0
        assert store.metrics.waits_and_resolves(PERIODS[-1].since_iso, PERIODS[-1].until_iso) == []
