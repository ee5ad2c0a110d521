"""Replies reach the customer even when the channel's provider misbehaves: temporary
failures, raises and hangs are retried with backoff (also after a restart), the thread
shows each attempt, R sends again now, the palette lists stuck replies, and a permanent
failure comes back to the agent with the channel's words."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Notices, run_command, screen_text, until

from agentdesk.app import make_app
from agentdesk.config import ConfigError, load_config
from agentdesk.connectors.base import Connector, DeliveryResult
from agentdesk.delivery_settings import DeliverySettings, delivery_settings
from agentdesk.domain import Outgoing
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.screens.pickers import ChoiceScreen
from agentdesk.store import Store

HANG = "hang"


class Provider(Connector):
    """A chat plugin whose provider answers ``send`` as scripted, then accepts."""

    name = "provider"
    channels = ("chat",)

    def __init__(self, *answers: DeliveryResult | Exception | str | None) -> None:
        super().__init__({})
        self.answers = list(answers)
        self.received: list[str] = []
        self.tries = 0
        self.tried_at: list[float] = []  # time.monotonic() of each send
        self.in_flight = self.most_in_flight = 0
        self._stopped = asyncio.Event()

    async def incoming(self) -> AsyncIterator:
        await self._stopped.wait()
        return
        yield

    async def stop(self) -> None:
        self._stopped.set()

    async def send(self, reply: Outgoing) -> DeliveryResult:
        self.tries += 1
        self.tried_at.append(time.monotonic())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            answer = (
                self.answers.pop(0)
                if self.answers
                else DeliveryResult("sent", external_id=f"prov-{reply.message_id}")
            )
            if answer == HANG:
                await asyncio.Event().wait()
            if isinstance(answer, Exception):
                raise answer
            if isinstance(answer, DeliveryResult) and answer.ok:
                self.received.append(reply.text)
            return answer
        finally:
            self.in_flight -= 1


def settings(config, **delivery):
    return replace(
        config, raw={**config.raw, "delivery": {"retry_first": 0.05, "retry_max": 0.2, **delivery}}
    )


async def send_reply(pilot, app, conversation_id: int, text: str) -> None:
    app.open_conversation(conversation_id)
    await pilot.pause()
    await pilot.press("r", *text, "ctrl+s")
    await pilot.pause()


def shown(app) -> bool:
    """A conversation is on screen, its widgets composed."""
    return isinstance(app.screen, ConversationScreen) and app.screen.is_mounted


def thread_text(app) -> str:
    """The thread as plain text, one message per paragraph (no wrapping)."""
    return "\n\n".join(str(text) for text in app.screen.thread.shown())


def reply_row(path, text: str):
    with Store(path) as store, store.db.read() as conn:
        return conn.execute(
            "SELECT delivery, delivery_attempts, external_id,"
            " (SELECT count(*) FROM events WHERE kind = 'reply' AND message_id = messages.id)"
            " AS reply_events FROM messages WHERE body = ?",
            (text,),
        ).fetchone()


@pytest.mark.parametrize(
    "trouble",
    [
        DeliveryResult("retry", "provider: 503 busy"),
        ConnectionResetError("connection reset by peer"),
        HANG,
        None,  # a plugin bug: no DeliveryResult at all
    ],
)
async def test_temporary_trouble_is_retried_until_sent(desk, alice, trouble):
    path, ids = desk
    provider = Provider(trouble, trouble)
    app = make_app(settings(alice, send_timeout=0.3), path, [provider])
    async with app.run_test(size=(220, 50)) as pilot:
        await send_reply(pilot, app, ids["login"], "Try again now, please.")
        await until(pilot, lambda: provider.received == ["Try again now, please."])
        await until(pilot, lambda: "sent · prov-" in thread_text(app))  # the channel's id
    assert provider.tries == 3 and provider.most_in_flight == 1
    row = reply_row(path, "Try again now, please.")
    assert tuple(row) == ("sent", 3, row["external_id"], 1)
    assert row["external_id"].startswith("prov-")


async def test_the_thread_shows_attempts_and_next_try_and_R_sends_now(desk, alice):
    path, ids = desk
    provider = Provider(DeliveryResult("retry", "provider: 503 busy"), HANG)
    app = make_app(
        settings(alice, retry_first=60, retry_max=600, send_timeout=0.5), path, [provider]
    )
    async with app.run_test(size=(220, 50)) as pilot:
        await send_reply(pilot, app, ids["login"], "On its way.")
        await until(
            pilot, lambda: "retry: provider: 503 busy · attempt 1 · next try" in thread_text(app)
        )
        await pilot.press("R")  # no need to wait a minute
        await until(pilot, lambda: provider.tries == 2)
        await pilot.press("R")  # while that send hangs: no second send at the same time
        await until(pilot, lambda: "no answer within 0.5 s · attempt 2" in thread_text(app))
        assert provider.most_in_flight == 1
        await pilot.press("R")
        await until(pilot, lambda: provider.received == ["On its way."])
    assert provider.tries == 3 and provider.most_in_flight == 1
    assert reply_row(path, "On its way.")["delivery"] == "sent"


async def test_a_permanent_failure_comes_back_with_the_channels_words(desk, alice):
    path, ids = desk
    provider = Provider(DeliveryResult("failed", "M_FORBIDDEN: you are not in this room"))
    app, notices = make_app(settings(alice), path, [provider]), Notices()
    async with app.run_test(size=(220, 50), message_hook=notices) as pilot:
        await send_reply(pilot, app, ids["login"], "Hello?")
        await until(
            pilot,
            lambda: (
                "failed: M_FORBIDDEN: you are not in this room · attempt 1" in thread_text(app)
                and notices.matching(
                    "Reply not sent (failed): M_FORBIDDEN: you are not in this room"
                )
            ),
        )
        await pilot.pause(0.5)  # ten retry_first waits: a retry would have happened by now
        assert provider.tries == 1  # not retried


async def test_a_restart_delivers_a_reply_left_to_retry(desk, alice):
    path, ids = desk
    down = Provider(*[DeliveryResult("retry", "chat: All connection attempts failed")] * 9)
    app = make_app(settings(alice, retry_first=60, retry_max=600), path, [down])
    async with app.run_test(size=(220, 50)) as pilot:
        await send_reply(pilot, app, ids["login"], "Sorry for the wait.")
        await until(pilot, lambda: down.tries == 1)
    assert reply_row(path, "Sorry for the wait.")["delivery"] == (
        "retry: chat: All connection attempts failed"
    )
    back = Provider()  # the provider is back; the desk starts again on the same file
    again = make_app(settings(alice), path, [back])
    async with again.run_test(size=(220, 50)) as pilot:
        await until(pilot, lambda: back.received == ["Sorry for the wait."])
    row = reply_row(path, "Sorry for the wait.")
    assert (row["delivery"], row["delivery_attempts"], row["reply_events"]) == ("sent", 2, 1)


async def test_the_palette_lists_stuck_replies_and_opens_one(desk, alice):
    path, ids = desk
    down = Provider(*[DeliveryResult("retry", "provider: 503 busy")] * 9)
    app = make_app(settings(alice, retry_first=60, retry_max=600), path, [down])
    async with app.run_test(size=(220, 50)) as pilot:
        await send_reply(pilot, app, ids["login"], "Stuck one.")
        await until(pilot, lambda: down.tries == 1)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, ConversationScreen)
        await run_command(pilot, "Stuck replies")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "retry: provider: 503 busy · attempt 1" in screen_text(app)
        assert "Stuck one." in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        assert app.screen.conversation_id == ids["login"]


# A trigger that refuses new messages as a full disk would, on each engine.
DISK_FULL = {
    "sqlite": "CREATE TRIGGER full BEFORE INSERT ON messages"
    " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    "postgresql": "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'database or disk is full'; END $$;"
    " CREATE TRIGGER disk_full BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION disk_full()",
}
DISK_FULL_ENDS = {"sqlite": "DROP TRIGGER full", "postgresql": "DROP TRIGGER disk_full ON messages"}


async def test_the_composer_clears_only_after_the_reply_is_committed(desk, alice):
    path, ids = desk
    provider = Provider(HANG)  # nothing leaves: what matters is what was stored
    app, notices = make_app(settings(alice, send_timeout=30), path, [provider]), Notices()
    async with app.run_test(size=(220, 50), message_hook=notices) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        with Store(path) as other, other.db.transaction() as conn:  # the disk is full
            conn.execute(DISK_FULL[other.db.dialect.name])
        await pilot.press("r", *"Refund sent today.", "ctrl+s")
        await pilot.pause()
        assert app.screen.composer.text == "Refund sent today."
        assert notices.matching("Not stored, so not sent (database or disk is full)")
        with Store(path) as other:
            assert other.drafts.get(ids["login"]) == "Refund sent today."
            with other.db.transaction() as conn:
                conn.execute(DISK_FULL_ENDS[other.db.dialect.name])
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.composer.text == ""
        with Store(path) as other:  # committed, seen from another connection
            assert other.drafts.get(ids["login"]) == ""
            assert [m.body for m in other.replies.unsent(ids["login"])] == ["Refund sent today."]


def test_delivery_settings_are_checked(alice, tmp_path):
    example = load_config(Path(__file__).parent.parent / "config.example.toml", required=True)
    assert delivery_settings(example) == DeliverySettings()  # the example shows the defaults
    with pytest.raises(ConfigError, match=r"delivery\.send_timeout: must be greater than 0"):
        make_app(settings(alice, send_timeout=0), tmp_path / "desk.db", [])
    with pytest.raises(ConfigError, match=r"delivery\.retry_max: must not be less than"):
        make_app(settings(alice, retry_first=10, retry_max=1), tmp_path / "desk.db", [])
    with pytest.raises(ConfigError, match=r"delivery\.retries: unknown key"):
        make_app(settings(alice, retries=3), tmp_path / "desk.db", [])


KILLED_AFTER_SEND = """
import asyncio, os, signal, sys
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.connectors.base import Connector

class Unreachable(Connector):
    name, channels = "provider", ("chat",)
    async def incoming(self):
        await asyncio.Event().wait()
        yield
    async def send(self, reply):
        await asyncio.Event().wait()

async def main(path, conversation_id):
    app = make_app(Config(agent_name="alice"), path, [Unreachable({})])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(conversation_id)
        await pilot.pause()
        await pilot.press("r", *"Your refund is on its way.", "ctrl+s")
        print(repr(app.screen.composer.text), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # the instant after Ctrl+S

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


@pytest.mark.slow  # the desk in a child process
async def test_a_reply_killed_the_instant_after_ctrl_s_is_stored_and_sent_later(desk, alice):
    path, ids = desk
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_AFTER_SEND,
        str(path),
        str(ids["login"]),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == -signal.SIGKILL
    assert out.decode().strip() == "''"  # the composer had cleared ...
    with Store(path) as store:  # ... because the reply was already committed
        assert store.drafts.get(ids["login"]) == ""
        (reply,) = store.replies.unsent(ids["login"])
        assert reply.body == "Your refund is on its way."
    provider = Provider()
    app = make_app(settings(alice), path, [provider])
    async with app.run_test(size=(220, 50)) as pilot:
        await until(pilot, lambda: provider.received == ["Your refund is on its way."])
    assert reply_row(path, "Your refund is on its way.")["reply_events"] == 1


def withdrawn(path, text: str) -> bool:
    return reply_row(path, text)["delivery"] == "withdrawn"


async def test_a_failed_reply_is_edited_back_in_the_composer_and_never_sent_twice(desk, alice):
    """Issue 12.8: u takes a failed reply back into the composer; it is withdrawn (gone
    from the thread, never resent by R or a restart) and the edited one goes out once."""
    path, ids = desk
    provider = Provider(DeliveryResult("failed", "550 mailbox unavailable"))
    app, notices = make_app(settings(alice), path, [provider]), Notices()
    async with app.run_test(size=(220, 50), message_hook=notices) as pilot:
        await send_reply(pilot, app, ids["login"], "Your code is 1234.")
        assert re.search(r"bob  reply  \w+ \d+ \w+ \d\d:\d\d  sent\n", thread_text(app))
        await until(
            pilot,
            lambda: (
                "failed: 550 mailbox unavailable · attempt 1 · R: resend · u: edit"
                in thread_text(app)
            ),
        )
        await pilot.press("u")
        await pilot.pause()
        assert app.screen.composer.text == "Your code is 1234."
        assert app.screen.focused is app.screen.composer
        assert notices.matching("The failed reply is withdrawn (never sent again)")
        assert "Your code is 1234." not in thread_text(app)
        assert withdrawn(path, "Your code is 1234.")
        await pilot.press("end", *" Sorry for the trouble.", "ctrl+s")
        await until(
            pilot, lambda: provider.received == ["Your code is 1234. Sorry for the trouble."]
        )
        await pilot.press("R")
        await until(pilot, lambda: notices.matching("Every reply here has been delivered."))
        await pilot.press("u")
        await until(
            pilot, lambda: notices.matching("No reply of yours here is waiting to be sent.")
        )
    assert provider.tries == 2
    again = Provider()  # a restart resumes undelivered replies: not the withdrawn one
    async with make_app(settings(alice), path, [again]).run_test(size=(220, 50)) as pilot:
        await pilot.pause(0.3)  # a window in which the withdrawn reply must not be sent
    assert again.tries == 0 and withdrawn(path, "Your code is 1234.")


async def test_a_reply_being_sent_cannot_be_taken_back(desk, alice):
    path, ids = desk
    provider = Provider(HANG)
    app, notices = make_app(settings(alice, send_timeout=30), path, [provider]), Notices()
    async with app.run_test(size=(220, 50), message_hook=notices) as pilot:
        await send_reply(pilot, app, ids["login"], "In flight.")
        await until(pilot, lambda: provider.in_flight == 1)
        await pilot.press("u")
        await until(pilot, lambda: notices.matching("cannot be taken back"))
        assert app.screen.composer.text == ""
        assert reply_row(path, "In flight.")["delivery"] == "sending"


def undo(config, seconds: float):
    return replace(settings(config), undo_seconds=seconds)


async def test_undo_send_holds_the_reply_and_u_takes_it_back(desk, alice):
    """Issue 12.9: with [compose] undo_seconds nothing reaches the channel during the
    delay, u takes the reply back; without u it leaves when the delay ends."""
    path, ids = desk
    provider = Provider()
    app, notices = make_app(undo(alice, 30), path, [provider]), Notices()
    async with app.run_test(size=(220, 50), message_hook=notices) as pilot:
        await send_reply(pilot, app, ids["login"], "Refund approved.")
        assert notices.matching("Sending in 30 s: u takes it back.")
        await until(pilot, lambda: "queued · sends at 12:00:30 · u: undo" in thread_text(app))
        await pilot.pause(0.5)  # a window in which the held reply must not be sent
        assert provider.tries == 0
        await pilot.press("u")
        await pilot.pause()
        assert app.screen.composer.text == "Refund approved."
        assert notices.matching("Reply taken back: it will not be sent.")
        assert "Refund approved." not in thread_text(app)
    assert provider.tries == 0 and withdrawn(path, "Refund approved.")
    with Store(path) as store:  # the composer's text is the draft again
        assert store.drafts.get(ids["login"]) == "Refund approved."
    quick = Provider()
    app = make_app(undo(alice, 1), path, [quick])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        pressed = time.monotonic()
        await pilot.press("r", "ctrl+s")  # the draft, sent as it is
        await until(pilot, lambda: quick.received == ["Refund approved."])
        assert quick.tried_at[0] - pressed >= 1.0  # held for its second first
        await until(pilot, lambda: "sent · prov-" in thread_text(app))


async def test_a_held_reply_survives_a_restart_and_can_still_be_taken_back(desk, alice):
    path, ids = desk
    first = Provider()
    async with make_app(undo(alice, 60), path, [first]).run_test(size=(220, 50)) as pilot:
        await send_reply(pilot, pilot.app, ids["login"], "See you Monday.")
    assert first.tries == 0
    assert reply_row(path, "See you Monday.")["delivery"] == "queued"
    second = Provider()
    app = make_app(undo(alice, 60), path, [second])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(ids["login"])
        await until(pilot, lambda: shown(app) and "sends at 12:01:00" in thread_text(app))
        assert "queued · sends at 12:01:00 · u: undo" in thread_text(app)
        await pilot.press("u")
        await pilot.pause()
        assert app.screen.composer.text == "See you Monday."
    assert second.tries == 0 and withdrawn(path, "See you Monday.")


async def test_R_sends_a_held_reply_at_once(desk, alice):
    path, ids = desk
    provider = Provider()
    app = make_app(undo(alice, 60), path, [provider])
    async with app.run_test(size=(220, 50)) as pilot:
        await send_reply(pilot, app, ids["login"], "No need to wait.")
        await pilot.pause(0.3)  # a window in which the held reply must not be sent
        assert provider.tries == 0
        await pilot.press("R")
        await until(pilot, lambda: provider.received == ["No need to wait."])


def test_undo_seconds_is_checked(alice, tmp_path):
    from agentdesk.config import parse_config

    assert parse_config({}).undo_seconds == 0
    assert parse_config({"compose": {"undo_seconds": 10}}).undo_seconds == 10
    with pytest.raises(ConfigError, match=r"compose\.undo_seconds: must be from 0 to 600"):
        parse_config({"compose": {"undo_seconds": -1}})
    with pytest.raises(ConfigError, match=r"compose\.undo: unknown key"):
        parse_config({"compose": {"undo": 1}})


KILLED_WHILE_HELD = """
import asyncio, os, signal, sys
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.connectors.demo import DemoConnector

async def main(path, conversation_id):
    app = make_app(Config(agent_name="alice", undo_seconds=4), path, [DemoConnector()])
    async with app.run_test(size=(220, 50)) as pilot:
        app.open_conversation(conversation_id)
        await pilot.pause()
        await pilot.press("r", *"Held when the desk died.", "ctrl+s")
        await pilot.pause()
        os.kill(os.getpid(), signal.SIGKILL)  # during the undo delay

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


@pytest.mark.slow  # the desk in a child process
async def test_a_crash_during_the_undo_delay_keeps_the_reply_queued_to_go_out(desk, alice):
    """Killed during the delay: the reply was stored (held) at Ctrl+S, so after a restart
    it goes out when its delay ends, not before, once."""
    from agentdesk import clock

    path, ids = desk
    clock.set_now(None)  # the child's clock is the real one
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_WHILE_HELD,
        str(path),
        str(ids["login"]),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    await asyncio.wait_for(child.wait(), 60)
    assert child.returncode == -signal.SIGKILL
    held = reply_row(path, "Held when the desk died.")
    assert held["delivery"] == "queued" and held["delivery_attempts"] == 0
    with Store(path) as store:
        (reply,) = store.replies.unsent(ids["login"])
        due = clock.parse_iso(reply.next_attempt_at)
    provider = Provider()
    async with make_app(settings(alice), path, [provider]).run_test(size=(220, 50)) as pilot:
        await until(pilot, lambda: provider.received == ["Held when the desk died."])
        assert clock.now() >= due  # not before its delay ended
    assert reply_row(path, "Held when the desk died.")["reply_events"] == 1
