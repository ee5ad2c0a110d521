"""Messages arriving from a connector while the desk is open appear in the inbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from conftest import screen_text, until

from agentdesk.app import make_app
from agentdesk.connectors.base import Connector, DeliveryResult
from agentdesk.connectors.demo import DemoConnector
from agentdesk.delivery import ChannelHost
from agentdesk.domain import Attachment, Inbound, InboxFilter, Outgoing
from agentdesk.store import Store
from agentdesk.widgets.inbox_list import InboxList


async def test_incoming_burst_reaches_the_inbox_once(desk, alice):
    path, ids = desk
    script = [
        Inbound(
            channel="chat",
            address=f"@c{n}:example.org",
            name=f"Customer {n}",
            text=f"question {n}",
            at=f"2026-01-07T11:{n:02d}:00Z",
            thread_key=f"room-{n}",
            ext_id=f"event-{n}",
        )
        for n in range(40)
    ]
    script += script[:5]  # re-delivered: stored once
    app = make_app(alice, path, [DemoConnector(script=script)])
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.4)
        assert app.screen.query_one(InboxList).total == 5 + 40
    with app.store as store, store.db.read() as conn:
        assert (
            conn.execute("SELECT count(*) FROM messages WHERE ext_id LIKE 'event-%'").fetchone()[0]
            == 40
        )


class Careless(Connector):
    """A plugin that yields whatever it is given, then waits for more until stopped."""

    name = "careless"
    channels = ("chat",)

    def __init__(self, script: list[object]) -> None:
        super().__init__({})
        self.script = list(script)
        self.later: asyncio.Queue[object] = asyncio.Queue()
        self.progress: list[tuple[str, bool]] = []  # (ext_id, stored) as recorded
        self._stop = asyncio.Event()

    def ready(self) -> bool:
        return bool(self.script)  # the whole script is one initial sync: one group

    async def incoming(self) -> AsyncIterator[object]:
        while self.script:
            yield self.script.pop(0)
        while not self._stop.is_set():
            item = await self.later.get()
            if self._stop.is_set():
                return
            yield item

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        self.progress.append((message.ext_id, stored is not None))

    async def send(self, reply: Outgoing) -> DeliveryResult:
        return DeliveryResult("sent")

    async def stop(self) -> None:
        self._stop.set()
        self.later.put_nowait(None)


def chat(n: int, **changes) -> Inbound:
    good = Inbound(
        channel="chat",
        address=f"@p{n}:example.org",
        name=f"Pat {n}",
        text=f"plugin message {n}",
        at=f"2026-01-07T11:{n:02d}:00Z",
        thread_key=f"plugin-room-{n}",
        ext_id=f"plugin-{n}",
    )
    return replace(good, **changes)


async def test_bad_messages_are_skipped_and_the_connector_keeps_running(desk, alice):
    path, _ = desk
    script = [
        chat(0),
        chat(1, at="yesterday-ish"),
        chat(2),
        chat(3, address=None),
        {"channel": "chat", "text": "a dict"},
        chat(4, channel="sms"),
        chat(5, text="", ext_id="plugin-5"),
        chat(6, at="2026-01-07T11:06:00"),
        chat(7, at="2026-01-07T12:07:00+01:00"),
    ]
    connector = Careless(script)
    app = make_app(alice, path, [connector])
    async with app.run_test(size=(200, 40)) as pilot:
        await until(pilot, lambda: len(connector.progress) == 8)
        connector.later.put_nowait(chat(8))  # later messages still come in
        await until(pilot, lambda: len(connector.progress) == 9)
        await pilot.pause(0.4)
        assert app.screen.query_one(InboxList).total == 5 + 4
        assert connector.state.startswith("careless: skipped 6 bad messages (at: ")
        assert "careless: skipped 6 bad messages" in screen_text(app)
    # every Inbound reached recorded(): the good ones stored, the bad ones not
    assert connector.progress == [
        ("plugin-0", True),
        ("plugin-1", False),
        ("plugin-2", True),
        ("plugin-3", False),
        ("plugin-4", False),
        ("plugin-5", False),
        ("plugin-6", False),
        ("plugin-7", True),
        ("plugin-8", True),
    ]
    with Store(path) as store, store.db.read() as conn:
        times = dict(conn.execute("SELECT ext_id, at FROM messages WHERE ext_id LIKE 'plugin-%'"))
    assert times == {
        "plugin-0": "2026-01-07T11:00:00Z",
        "plugin-2": "2026-01-07T11:02:00Z",
        "plugin-7": "2026-01-07T11:07:00Z",
        "plugin-8": "2026-01-07T11:08:00Z",
    }
    again = make_app(alice, path, [Careless([chat(9)])])  # the desk starts fine on the file
    async with again.run_test(size=(200, 40)) as pilot:
        await until(pilot, lambda: again.screen.query_one(InboxList).total == 10)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            chat(1, at="yesterday-ish"),
            "at: 'yesterday-ish' is not an ISO-8601 time with a time zone",
        ),
        (chat(1, at="2026-01-07T11:06:00"), "with a time zone"),
        (chat(1, at=None), "at: expected ISO-8601 text, got NoneType"),
        (chat(1, address=None), "address: expected a non-empty string, got None"),
        (chat(1, address="  "), "address: expected a non-empty string"),
        ({"channel": "chat"}, "not an Inbound: got dict"),
        (chat(1, channel="sms"), "channel 'sms' is not one of chat"),
        (chat(1, text="  "), "no text, HTML or attachments"),
        (chat(1, text=None), "text: wrong type NoneType"),
        (chat(1, name=None), "name: wrong type NoneType"),
        (chat(1, ext_id=7), "ext_id: wrong type int"),
        (chat(1, references="<a@b>"), "references: expected a tuple of str"),
        (chat(1, attachments=(Attachment("a.pdf", 10, None),)), "attachment 'a.pdf': a field"),
    ],
)
def test_what_is_refused_and_why(tmp_path, bad, reason):
    connector = Careless([bad, chat(2)])
    with Store(tmp_path / "desk.db") as store:
        host = ChannelHost(store, [connector])

        async def run() -> None:
            await connector.stop()
            await host.receive(connector)

        asyncio.run(run())
        assert store.inbox.count(InboxFilter(status="any")) == 1
    assert reason in connector.state


class Flaky(Connector):
    """A plugin that fails to start ``fail_starts`` times, then drops its stream once
    with an error after its first message, then works."""

    name = "flaky"
    channels = ("chat",)

    def __init__(self, fail_starts: int) -> None:
        super().__init__({})
        self.fail_starts = fail_starts
        self.starts = 0
        self.runs = 0
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self.starts += 1
        self._stop.clear()
        if self.starts <= self.fail_starts:
            raise ConnectionRefusedError(f"provider down (try {self.starts})")

    async def stop(self) -> None:
        self._stop.set()

    async def incoming(self) -> AsyncIterator[Inbound]:
        self.runs += 1
        yield Inbound(
            channel="chat",
            address="@flo:example.org",
            name="Flo",
            text=f"hello from run {self.runs}",
            at=f"2026-01-07T11:0{self.runs}:00Z",
            thread_key="room-flo",
            ext_id=f"flo-{self.runs}",
        )
        if self.runs == 1:
            raise ConnectionResetError("stream dropped")
        await self._stop.wait()

    async def send(self, reply: Outgoing) -> DeliveryResult:
        return DeliveryResult("sent")


async def test_a_failing_connector_is_restarted_with_backoff_and_reconnect_hurries_it(desk, alice):
    """Issue 15.4: restart with capped, jittered backoff; one toast for the first failure;
    "Reconnect channels" in the palette; the full state in "Channels"."""
    path, _ = desk
    flaky = Flaky(fail_starts=2)
    app = make_app(alice, path, [flaky])
    app.host.restart_first = 30.0  # so only "Reconnect channels" can bring it back soon
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: flaky.starts == 1 and "restarting in" in flaky.state)
        assert flaky.state.startswith("flaky: failed to start: provider down (try 1)")
        await pilot.pause()
        toasts = [n.message for n in app._notifications if "provider down" in n.message]
        assert len(toasts) == 1 and "Reconnect channels" in toasts[0]
        for tries in (2, 3):  # the palette, as an agent would
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Reconnect channels")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await until(pilot, lambda t=tries: flaky.starts == t)
        await until(pilot, lambda: flaky.runs == 1 and "restarting in" in flaky.state)
        assert "flaky: stopped: stream dropped" in flaky.state
        assert len([n for n in app._notifications if "provider down" in n.message]) == 1
        app.action_channels()
        await pilot.pause()
        shown = screen_text(app)
        assert "flaky: stopped: stream dropped · restarting in" in shown
        assert "(sends" in shown and "replies, polled, no threads)" in shown  # (wrapped)
        await pilot.press("end", "enter")  # "Reconnect channels now"
        await until(pilot, lambda: flaky.runs == 2)
        await pilot.pause(0.4)
    with Store(path) as store, store.db.read() as conn:
        texts = [
            r[0]
            for r in conn.execute("SELECT body FROM messages WHERE ext_id LIKE 'flo-%' ORDER BY id")
        ]
    assert texts == ["hello from run 1", "hello from run 2"]
