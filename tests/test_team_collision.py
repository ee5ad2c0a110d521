"""The collision check: Ctrl+S first shows what other agents wrote since you opened it."""

from __future__ import annotations

from conftest import NO_PRESEND, screen_text, until

from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.connectors.demo import DemoConnector
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.screens.presend import PresendScreen
from agentdesk.store import Store


def config(agent: str) -> Config:
    return Config(agent_name=agent, raw={**NO_PRESEND, "team": {"poll_interval": 0.1}})


def replies(path, conversation_id) -> list[tuple[str, str]]:
    with Store(path) as store:
        return [
            (m.author, m.body)
            for m in store.messages.thread(conversation_id)
            if m.direction == "out"
        ]


async def open_first(pilot, app) -> None:
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
    await until(pilot, lambda: app.screen.conversation is not None)


async def test_send_shows_what_another_agent_wrote_meanwhile_and_asks(desk):
    path, ids = desk
    alice = make_app(config("alice"), path, [DemoConnector()])
    bob = make_app(config("bob"), path, [DemoConnector()])
    async with alice.run_test(size=(160, 40)) as one, bob.run_test(size=(160, 40)) as two:
        await open_first(one, alice)
        await one.press("r", *"Your refund is on its way")
        await open_first(two, bob)  # bob, on the same conversation, notes and replies
        await two.press("n", *"Refunded in the shop system", "ctrl+s")
        await two.press("r", *"We refunded you today", "ctrl+s")
        await until(two, lambda: len(replies(path, ids["refund"])) == 1)
        await one.press("ctrl+s")
        await until(one, lambda: isinstance(alice.screen, PresendScreen))
        text = screen_text(alice)
        assert "Written here since you opened it (2)" in text
        assert "bob added a note at" in text and "Refunded in the shop system" in text
        assert "bob replied at" in text and "We refunded you today" in text
        await one.press("escape")  # back: nothing goes out, the text stays
        await until(one, lambda: not isinstance(alice.screen, PresendScreen))
        assert alice.screen.composer.text == "Your refund is on its way"
        assert replies(path, ids["refund"]) == [("bob", "We refunded you today")]
        await one.press("ctrl+s")  # alice has seen them: this time it goes out
        await until(one, lambda: len(replies(path, ids["refund"])) == 2)
        assert not isinstance(alice.screen, PresendScreen)


async def test_enter_on_the_collision_check_sends_anyway(desk):
    path, ids = desk
    alice = make_app(config("alice"), path, [DemoConnector()])
    async with alice.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, alice)
        with Store(path) as other:  # bob's desk replies first
            other.replies.add(ids["refund"], "bob", "Refunded today.", delivery="queued")
        await pilot.press("r", *"Refund sent", "ctrl+s")
        await until(pilot, lambda: isinstance(alice.screen, PresendScreen))
        assert "bob replied at" in screen_text(alice)
        await pilot.press("enter")
        await until(pilot, lambda: len(replies(path, ids["refund"])) == 2)
        assert replies(path, ids["refund"])[-1] == ("alice", "Refund sent")


async def test_no_check_when_only_you_wrote(desk):
    path, ids = desk
    alice = make_app(config("alice"), path, [DemoConnector()])
    async with alice.run_test(size=(160, 40)) as pilot:
        await open_first(pilot, alice)
        await pilot.press("n", *"Checked the order", "ctrl+s")
        await pilot.press("r", *"Refund sent", "ctrl+s")
        await until(pilot, lambda: len(replies(path, ids["refund"])) == 1)
        assert not isinstance(alice.screen, PresendScreen)
