"""Messages arriving from a connector while the desk is open appear in the inbox."""

from __future__ import annotations

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.widgets.inbox_list import InboxList


async def test_incoming_burst_reaches_the_inbox_once(desk, alice):
    path, ids = desk
    script = [Inbound(channel="chat", address=f"@c{n}:example.org", name=f"Customer {n}",
                      text=f"question {n}", at=f"2026-01-07T11:{n:02d}:00Z",
                      thread_key=f"room-{n}", ext_id=f"event-{n}") for n in range(40)]
    script += script[:5]  # re-delivered: stored once
    app = make_app(alice, path, [DemoConnector(script=script)])
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.4)
        assert app.screen.query_one(InboxList).total == 5 + 40
    with app.store as store:
        assert store.db.conn.execute(
            "SELECT count(*) FROM messages WHERE ext_id LIKE 'event-%'").fetchone()[0] == 40
