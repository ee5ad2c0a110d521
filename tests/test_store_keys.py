"""Conversation and event keys: globally unique, so desks merge and copies agree."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from agentdesk.demo.generator import generate_demo
from agentdesk.metrics.aggregate import TEAM, summarize
from agentdesk.metrics.collect import collect
from agentdesk.metrics.period import parse_period
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.store import Store
from agentdesk.store.db import apply_migrations, connect

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def schema_9_desk(path, address: str) -> None:
    """A desk as agentdesk wrote it before keys: conversation "dm0001" with two events."""
    conn = connect(path)
    apply_migrations(conn, target=9)
    conn.executescript(
        f"""
        INSERT INTO customers (id, name, first_seen) VALUES (1, 'Kim', '2026-11-02T09:00:00Z');
        INSERT INTO identities (customer_id, channel, address) VALUES (1, 'email', '{address}');
        INSERT INTO conversations (id, uid, channel, customer_id, created_at, last_message_at)
            VALUES (1, 'dm0001', 'email', 1, '2026-11-02T09:00:00Z', '2026-11-02T09:00:00Z');
        INSERT INTO events (conversation_id, kind, at) VALUES (1, 'created', '2026-11-02T09:00:00Z');
        INSERT INTO events (conversation_id, kind, at) VALUES (1, 'csat', '2026-11-02T10:00:00Z');
        """
    )
    conn.close()


def keys(store: Store) -> tuple[str, list[str]]:
    events = store.events.read()
    return store.conversations.get(1).key, [e["key"] for e in events]


def test_old_desks_get_keys_that_copies_share_and_other_desks_do_not(tmp_path):
    schema_9_desk(tmp_path / "a.db", "kim@example.com")
    shutil.copy(tmp_path / "a.db", tmp_path / "copy.db")
    schema_9_desk(tmp_path / "b.db", "lee@example.com")  # also "dm0001", another customer
    with Store(tmp_path / "a.db") as a, Store(tmp_path / "copy.db") as copy:
        with Store(tmp_path / "b.db") as b:
            (key_a, events_a), (key_b, events_b) = keys(a), keys(b)
        assert keys(copy) == (key_a, events_a)
        with Store(tmp_path / "copy.db", readonly=True) as read:
            assert read.metrics.keys() == {key_a: 1}
    assert key_a != key_b and len(set(events_a) | set(events_b)) == 4
    with Store(tmp_path / "a.db") as a:  # a new conversation and event: fresh UUIDs
        cid = a.conversations.start_outbound("email", "new@example.com", "alice", "Hi")
        assert len({key_a, a.conversations.get(cid).key}) == 2
        assert len({e["key"] for e in a.events.read()}) == 3


def test_roll_up_of_two_demo_desks_is_their_sum(tmp_path, desk_target):
    """Both demo desks number their conversations dm0001…; they are still different. One
    is a SQLite file, the other on each engine (a team's PostgreSQL beside a laptop's)."""
    period = parse_period("2026-09-01", "2026-11-30")
    settings, totals = MetricsSettings(), []
    stores = [Store(tmp_path / "7.db"), Store(desk_target)]
    try:
        for seed, store in zip((7, 3), stores, strict=True):
            generate_demo(store, seed=seed, now=NOW)
            facts = collect([store], period, settings, now=NOW.timestamp())
            totals.append(next(r for r in summarize(facts) if r.agent == TEAM).conversations)
        both = collect(stores, period, settings, now=NOW.timestamp())
        team = next(r for r in summarize(both) if r.agent == TEAM)
        assert totals[0] > 100 and team.conversations == sum(totals)
    finally:
        for store in stores:
            store.close()
