"""The event writer: recorded at once, written in its own thread in order. (An event the
database refuses is kept and written with the next: ``test_assist_analytics``, with the
PostgreSQL server stopped and started again.)"""

from __future__ import annotations

import sqlite3
import threading
import time
from functools import partial

from conftest import eventually, until

from agentdesk.event_writer import EventWriter
from agentdesk.store import Store


def views(store: Store, conversation_id: int) -> list[tuple[bool, str | None]]:
    return [
        (e["payload"]["focus"], e["payload"].get("reason"))
        for e in store.events.read(conversation_id)
        if e["kind"] == "viewed"
    ]


def view(store: Store, conversation_id: int, focus: bool, reason: str | None = None):
    return partial(store.events.view, conversation_id, "alice", focus, reason=reason)


async def test_recording_returns_at_once_while_another_desk_writes_to_the_file(desk):
    """A shared SQLite file locked by another desk's write: the UI thread records and
    goes on; the events are written, in order, once that write commits."""
    path, ids = desk
    if "://" in str(path):
        return  # (a lock of SQLite's; PostgreSQL rows are not locked by inserts)
    with Store(path) as store:
        writer = EventWriter(store)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another desk, mid-write
        started = time.monotonic()
        writer.record(view(store, ids["refund"], True))
        writer.record(view(store, ids["refund"], False, "switch"))
        assert time.monotonic() - started < 0.05  # not the 10 s busy timeout
        assert len(writer.unwritten) == 2
        writer.flush(timeout=0.3)  # written now, if it could be: it waits on the lock
        assert len(writer.unwritten) == 2
        other.execute("COMMIT")
        other.close()
        await eventually(lambda: not writer.unwritten, what="the events written")
        writer.close()
        assert views(store, ids["refund"]) == [(True, None), (False, "switch")]


def test_closing_writes_every_recorded_event_in_the_order_recorded(desk):
    path, ids = desk
    with Store(path) as store:
        writer = EventWriter(store)
        reasons = ["switch", "back", "idle", "exit"]
        for reason in reasons:
            writer.record(view(store, ids["refund"], True))
            writer.record(view(store, ids["refund"], False, reason))
        writer.close()
        assert not writer.unwritten
        expected = [item for r in reasons for item in ((True, None), (False, r))]
        assert views(store, ids["refund"]) == expected
        assert not any(t.name == "agentdesk-events" for t in threading.enumerate())


async def test_the_desk_writes_the_focus_events_once_the_agent_pauses(desk, alice):
    """The events of a burst of keys are in the database a moment after the last one,
    while the desk runs (not only once it closes), and none before the pause."""
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "j")  # the refund, then the next one
        assert len(app.event_writer.unwritten) == 3  # the keys did not wait for them
        await until(pilot, lambda: not app.event_writer.unwritten)
        with Store(path) as other_desk:
            assert views(other_desk, ids["refund"]) == [(True, None), (False, "switch")]
            assert views(other_desk, ids["html"]) == [(True, None)]
