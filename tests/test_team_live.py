"""Live updates: what one desk changes shows on another desk's screen with no key press."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from conftest import NO_PRESEND, screen_lines, screen_text, until
from desk_data import at

import agentdesk.screens.conversation as conversation_screen
import agentdesk.screens.inbox as inbox_screen
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.domain import Inbound
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store
from agentdesk.widgets.inbox_list import InboxList


def config(agent: str) -> Config:
    return Config(agent_name=agent, raw={**NO_PRESEND, "team": {"poll_interval": 0.1}})


def row(app, words: str) -> str:
    """The inbox line (on screen) holding ``words``."""
    return next((line for line in screen_lines(app) if words in line), "")


class SlowOnce:
    """A read that, once ``armed``, is slow one time in a worker thread: it reads, says
    so (``read``), then waits for ``release`` before it returns, so reads begun after it
    end first."""

    def __init__(self, read: Callable[..., Any]) -> None:
        self.wrapped = read
        self.armed, self.read, self.release = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )

    def __call__(self, *args: Any) -> Any:
        result = self.wrapped(*args)
        if self.armed.is_set() and threading.current_thread() is not threading.main_thread():
            self.armed.clear()
            self.read.set()
            self.release.wait(10)
        return result


async def test_an_assignment_on_one_desk_shows_on_the_other_without_a_key(desk):
    path, ids = desk
    alice, bob = make_app(config("alice"), path, []), make_app(config("bob"), path, [])
    async with alice.run_test(size=(160, 40)) as one, bob.run_test(size=(160, 40)) as two:
        await two.pause()
        assert "unassigned" in row(bob, "Refund for order")
        bob_list = bob.screen.query_one(InboxList)
        bob_list.cursor = 2  # bob looks at another row meanwhile
        on = bob_list.current.id
        await one.pause()
        await one.press("enter", "m")  # alice takes the oldest waiting: the refund
        started = time.monotonic()
        await until(two, lambda: "alice" in row(bob, "Refund for order"), timeout=5)
        assert time.monotonic() - started < 2
        assert bob_list.current.id == on  # the cursor stayed on its conversation


async def test_changes_from_another_desk_show_in_the_open_conversation_and_inbox(desk):
    path, ids = desk
    bob = make_app(config("bob"), path, [])
    async with bob.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(bob.screen, ConversationScreen))
        await until(pilot, lambda: bob.screen.conversation is not None)
        title = lambda: screen_lines(bob)[0]  # noqa: E731
        refund = ids["refund"]
        with Store(path) as other:  # carol's desk, another connection on the file
            other.conversations.assign(refund, "carol", "carol")
            await until(pilot, lambda: "carol" in title(), timeout=5)
            other.conversations.set_tag(refund, "vip", True, "carol")
            await until(pilot, lambda: "#vip" in title(), timeout=5)
            other.conversations.set_status(refund, "pending", "carol")
            await until(pilot, lambda: "pending" in title(), timeout=5)
            other.messages.add_note(refund, "carol", "Called the warehouse.")
            await until(pilot, lambda: "Called the warehouse." in screen_text(bob), timeout=5)
            other.replies.add(refund, "carol", "It left today.", delivery="queued")
            await until(pilot, lambda: "It left today." in screen_text(bob), timeout=5)
            other.messages.record_inbound(
                Inbound(
                    channel="email",
                    address="ann@example.com",
                    name="Ann Lee",
                    subject="Re: Refund for order 1042",
                    text="Thanks, got the tracking number.",
                    at=at(1),
                    in_reply_to="<r1@example.com>",
                )
            )
            await until(pilot, lambda: "got the tracking number" in screen_text(bob), timeout=5)
            other.conversations.set_status(ids["hostile"], "resolved", "carol")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(bob.screen, ConversationScreen))
        await until(pilot, lambda: "carol" in row(bob, "Refund for order"), timeout=5)
        await until(pilot, lambda: not row(bob, "Win"), timeout=5)  # resolved: left the list


async def test_a_slow_reread_never_draws_an_older_state_over_a_newer_one(desk, monkeypatch):
    """Carol's tag makes bob's screen re-read the conversation in a worker, and that read
    is slow; meanwhile bob sets it pending, which his screen shows at once. When the slow
    read (from before pending) comes back, it is dropped instead of taking pending away."""
    path, ids = desk
    slow = SlowOnce(conversation_screen.read_conversation)
    monkeypatch.setattr(conversation_screen, "read_conversation", slow)
    bob = make_app(config("bob"), path, [])
    async with bob.run_test(size=(160, 40)) as pilot:
        bob.open_conversation(ids["refund"])
        await until(pilot, lambda: getattr(bob.screen, "conversation", None) is not None)
        title = lambda: screen_lines(bob)[0]  # noqa: E731
        slow.armed.set()
        with Store(path) as other:  # carol's desk
            other.conversations.set_tag(ids["refund"], "vip", True, "carol")
        await until(pilot, slow.read.is_set, timeout=5)
        await pilot.press("p")
        await until(pilot, lambda: "pending" in title(), timeout=5)
        await pilot.pause(0.5)  # bob's own change is re-read too, and shown
        slow.release.set()
        await until(pilot, lambda: not bob.screen.workers, timeout=5)
        await pilot.pause()
        assert "pending" in title()
        assert "#vip" in title()


async def test_a_slow_read_of_changed_rows_never_leaves_an_older_row_shown(desk, monkeypatch):
    """Carol assigns the refund to herself, and bob's inbox reads that row in a worker,
    slowly; she then hands it to dave, which bob's inbox reads and shows. The slow read
    (carol) ends last: the row is read again and still says dave."""
    path, ids = desk
    slow = SlowOnce(inbox_screen.read_changes)
    monkeypatch.setattr(inbox_screen, "read_changes", slow)
    bob = make_app(config("bob"), path, [])
    async with bob.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: "unassigned" in row(bob, "Refund for order"))
        slow.armed.set()
        with Store(path) as other:  # carol's desk
            other.conversations.assign(ids["refund"], "carol", "carol")
            await until(pilot, slow.read.is_set, timeout=5)
            other.conversations.assign(ids["refund"], "dave", "carol")
        await until(pilot, lambda: "dave" in row(bob, "Refund for order"), timeout=5)
        slow.release.set()
        await until(pilot, lambda: not bob.screen.workers, timeout=5)
        await pilot.pause(0.3)  # a window in which the stale read must not show
        assert "dave" in row(bob, "Refund for order")


async def test_a_new_conversation_from_another_desk_joins_the_list_in_its_place(desk):
    path, ids = desk
    bob = make_app(config("bob"), path, [])
    async with bob.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        inbox = bob.screen.query_one(InboxList)
        before, on = inbox.total, inbox.current.id
        with Store(path) as other:
            other.messages.record_inbound(
                Inbound(
                    channel="email",
                    address="kim@example.com",
                    name="Kim Park",
                    subject="Broken lid",
                    text="The lid broke.",
                    at=at(400),  # waiting longest: the first row
                )
            )
        await until(pilot, lambda: row(bob, "Broken lid"), timeout=5)
        assert inbox.total == before + 1
        assert inbox.current.id == on and inbox.cursor == 1  # the cursor kept its row
