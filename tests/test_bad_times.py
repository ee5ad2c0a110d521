"""A bad time in the database never stops the desk: migration 7 repairs the ones an
unchecked connector stored, and screens show a value they cannot read as it is."""

from __future__ import annotations

from conftest import screen_text
from desk_data import build_desk

from agentdesk import clock
from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store
from agentdesk.store.database import Database
from agentdesk.store.db import apply_migrations, connect
from agentdesk.store.dialect import SQLITE


class StoreBeforeRepair(Store):
    """The desk database as agentdesk left it before the repair (schema 4).

    Today's writer fills it; the columns it writes that came after schema 4 are there
    while it writes and dropped on close, so the file is a schema-4 desk again.
    """

    LATER_COLUMNS = (
        ("conversations", "via", "TEXT"),
        ("conversations", "key", "TEXT"),
        ("events", "key", "TEXT"),
    )

    def __init__(self, path) -> None:
        self.path = str(path)
        conn = connect(path)
        apply_migrations(conn, target=4)
        for table, column, kind in self.LATER_COLUMNS:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._attach(Database(conn, SQLITE, 4))

    def close(self) -> None:
        with self.db.outside_transaction() as conn:
            for table, column, _ in self.LATER_COLUMNS:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        super().close()


def poisoned(thread: str, text: str, n: int) -> Inbound:
    return Inbound(
        channel="chat",
        address="@vic:example.org",
        name="Vic Poison",
        text=text,
        at="yesterday-ish",
        thread_key=thread,
        ext_id=f"poison-{n}",
    )


async def test_migration_repairs_times_an_unchecked_connector_stored(tmp_path, frozen_clock, alice):
    path = tmp_path / "desk.db"
    with StoreBeforeRepair(path) as old:
        build_desk(old)
        # what the host stored before it checked: a new conversation with only a bad time,
        # and a bad message after a good one in an existing conversation
        lonely, _ = old.messages.record_inbound(poisoned("room-poison", "when was this?", 1))
        good = old.messages.record_inbound(
            Inbound(
                channel="chat",
                address="@vic:example.org",
                text="first, on time",
                at="2026-01-07T10:00:00Z",
                thread_key="room-mixed",
                ext_id="fine-1",
            )
        )
        old.messages.record_inbound(poisoned("room-mixed", "then this", 2))
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert "Vic Poison" in screen_text(app)
        app.open_conversation(good[0])
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        assert "then this" in screen_text(app)
    with Store(path) as store, store.db.read() as conn:
        assert (
            conn.execute("SELECT at FROM messages WHERE ext_id = 'poison-2'").fetchone()[0]
            == "2026-01-07T10:00:00Z"
        )  # the previous message's time
        lone_at = conn.execute("SELECT at FROM messages WHERE ext_id = 'poison-1'").fetchone()[0]
        assert clock.try_parse_iso(lone_at) is not None
        row = conn.execute(
            "SELECT created_at, last_message_at, waiting_since FROM conversations WHERE id = ?",
            (lonely,),
        ).fetchone()
        assert tuple(row) == (lone_at,) * 3
        left = (
            conn.execute("SELECT count(*) FROM events WHERE NOT is_time(at)").fetchone()[0]
            + conn.execute(
                "SELECT count(*) FROM customers WHERE NOT is_time(first_seen)"
            ).fetchone()[0]
        )
        assert left == 0
        kept = conn.execute(
            "SELECT at FROM events WHERE kind = 'created' AND conversation_id = ?", (good[0],)
        ).fetchone()[0]
        assert kept == "2026-01-07T10:00:00Z"  # good times are left alone


async def test_screens_show_a_stored_time_they_cannot_read(desk, alice):
    path, ids = desk
    with Store(path) as store, store.db.transaction() as conn:
        conn.execute(
            "UPDATE messages SET at = 'garbage-time' WHERE conversation_id = ?", (ids["refund"],)
        )
        conn.execute(
            "UPDATE conversations SET waiting_since = 'soon', snoozed_until = 'never',"
            " status = 'snoozed' WHERE id = ?",
            (ids["login"],),
        )
        conn.execute("UPDATE customers SET first_seen = 'long ago'")
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        for conversation_id in (ids["refund"], ids["login"]):
            app.open_conversation(conversation_id)
            await pilot.pause()
            assert isinstance(app.screen, ConversationScreen)
        app.open_conversation(ids["refund"])
        await pilot.pause()
        text = screen_text(app)
        assert "garbage-time" in text and "first seen long ago" in text
