"""What wakes the live watcher: LISTEN/NOTIFY on PostgreSQL, PRAGMA data_version on SQLite."""

from __future__ import annotations

import threading
import time

import psycopg
from conftest import NO_PRESEND, Notices, screen_lines, until, wait_until
from desk_data import build_desk

from agentdesk import clock
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.live import Watcher
from agentdesk.store import Store

FALLBACK = 90.0  # [team] fallback_poll here: a change shown sooner came by NOTIFY


def config(agent: str) -> Config:
    return Config(agent_name=agent, raw={**NO_PRESEND, "team": {"fallback_poll": FALLBACK}})


def row(app, words: str) -> str:
    return next((line for line in screen_lines(app) if words in line), "")


def listeners(url: str) -> list[int]:
    """The server processes of the desks' listen connections."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'agentdesk live'"
                " AND datname = current_database()"
            )
        ]


def end(url: str, pids: list[int]) -> None:
    """An administrator ends these server processes (their clients see the drop)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_a_change_reaches_the_other_desk_by_notify_even_after_its_listener_is_ended(
    postgres_url, frozen_clock
):
    started = time.monotonic()  # each desk's fallback look is FALLBACK after its start
    with Store(postgres_url) as store:
        ids = build_desk(store)
    alice, bob, notices = (
        make_app(config("alice"), postgres_url, []),
        make_app(config("bob"), postgres_url, []),
        Notices(),
    )
    async with (
        alice.run_test(size=(160, 40)) as one,
        bob.run_test(size=(160, 40), message_hook=notices) as two,
    ):
        await until(two, lambda: len(listeners(postgres_url)) == 2, timeout=30)
        assert "unassigned" in row(bob, "Refund for order")
        await one.press("enter", "m")  # alice takes the refund; bob presses nothing
        await until(two, lambda: "alice" in row(bob, "Refund for order"), timeout=30)
        ended = listeners(postgres_url)
        end(postgres_url, ended)
        await until(two, lambda: len(set(listeners(postgres_url)) - set(ended)) == 2, timeout=30)
        with Store(postgres_url) as carol:  # a third desk, e.g. `agentdesk serve`
            carol.conversations.assign(ids["refund"], "carol", "carol")
        await until(two, lambda: "carol" in row(bob, "Refund for order"), timeout=30)
        # No fallback look can have run yet: both changes came by NOTIFY.
        assert time.monotonic() - started < FALLBACK
        assert notices.messages == []  # the lost listener was made again quietly


def test_notify_is_sent_at_commit_once_per_transaction_and_not_for_a_heartbeat(
    postgres_url, frozen_clock
):
    with Store(postgres_url) as store, psycopg.connect(postgres_url, autocommit=True) as ear:
        ids = build_desk(store)
        ear.execute("LISTEN agentdesk")

        def heard() -> int:
            return sum(1 for _ in ear.notifies(timeout=0.5))

        now = clock.now_iso()
        with store.atomic():
            store.messages.add_note(ids["refund"], "alice", "Called.")  # a message and an event
            store.conversations.set_tag(ids["refund"], "vip", True, "alice")
            assert heard() == 0  # not before the commit
        assert heard() == 1
        store.presence.beat("desk-1", "alice", ids["refund"], "viewing", now)
        assert heard() == 1  # a desk came
        store.presence.beat("desk-1", "alice", ids["refund"], "viewing", now)
        store.presence.beat("desk-1", "alice", ids["refund"], "replying", now)
        assert heard() == 1  # the heartbeat said nothing; typing did
        try:
            with store.atomic():
                store.messages.add_note(ids["refund"], "alice", "Never mind.")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        store.presence.leave("desk-1")
        assert heard() == 1  # the desk that went; nothing for the rolled-back note


def test_on_sqlite_an_idle_watcher_reads_no_table_until_another_desk_commits(
    tmp_path, frozen_clock
):
    path = tmp_path / "desk.db"
    with Store(path) as store, Store(path) as other:
        ids = build_desk(store)
        statements: list[str] = []

        def first_look_done() -> bool:
            """The first look read the tables, and the wait for a change began after it."""
            reads = [n for n, statement in enumerate(statements) if statement.startswith("SELECT")]
            return bool(reads) and "PRAGMA data_version" in statements[reads[-1] + 1 :]

        # sqlite3's trace hook is only on the connection itself.
        store.db._conn.set_trace_callback(statements.append)
        seen: list[frozenset[int]] = []
        watcher = Watcher(store, seen.append, store.wakeup(0.02, FALLBACK))
        thread = threading.Thread(target=watcher.run)
        thread.start()
        try:
            wait_until(first_look_done)
            statements.clear()
            time.sleep(0.5)  # a window of idle looks: each only asks for the data version
            assert statements and set(statements) == {"PRAGMA data_version"}
            other.messages.add_note(ids["refund"], "carol", "Called the warehouse.")
            wait_until(lambda: seen, timeout=10)
            assert seen == [frozenset({ids["refund"]})]
            # A write on the desk's own connection is not another's commit: its
            # connector wakes the watcher itself.
            store.messages.add_note(ids["login"], "alice", "Reset sent.")
            watcher.poke()
            wait_until(lambda: len(seen) == 2, timeout=10)
            assert seen[1] == frozenset({ids["login"]})
        finally:
            watcher.stop()
            thread.join(5)
