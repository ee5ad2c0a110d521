"""Claims: take and assign are a compare-and-set on one shared database file."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from conftest import NO_PRESEND, Notices, screen_text, until
from desk_data import NOW

from agentdesk import clock
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.connectors.demo import DemoConnector
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store


def assignee_and_events(path, conversation_id):
    with Store(path) as store:
        events = [e for e in store.events.read(conversation_id) if "assign" in e["kind"]]
        return store.conversations.get(conversation_id).assignee, events


def test_of_many_desks_taking_at_once_exactly_one_wins(desk):
    path, ids = desk
    agents = [f"agent{n}" for n in range(12)]
    stores = [Store(path) for _ in agents]  # one connection each, as separate desks have
    start = threading.Barrier(len(agents))
    results: dict[str, object] = {}

    def take(store: Store, agent: str) -> None:
        start.wait()
        results[agent] = store.conversations.claim(ids["refund"], agent, agent, expected=None)

    threads = [
        threading.Thread(target=take, args=pair) for pair in zip(stores, agents, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    winners = [agent for agent, claim in results.items() if claim.won]
    assert len(winners) == 1
    holder, events = assignee_and_events(path, ids["refund"])
    assert holder == winners[0]
    assert [(e["kind"], e["agent"]) for e in events] == [("assigned", winners[0])]
    for agent, claim in results.items():
        if agent != winners[0]:
            assert claim.lost_line() == f"{winners[0]} took this 0s ago"


TAKE = """
import sys, time
from agentdesk.store import Store
path, conversation, agent, start = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
store = Store(path)
while time.time() < start:
    pass
claim = store.conversations.claim(conversation, agent, agent, expected=None)
print("won" if claim.won else claim.lost_line())
"""


@pytest.mark.slow  # starts child processes
def test_of_many_processes_taking_at_once_exactly_one_wins(tmp_path, desk):
    path, ids = desk
    start = time.time() + 3  # every process is connected and spinning by then
    children = [
        subprocess.Popen(
            [sys.executable, "-c", TAKE, str(path), str(ids["refund"]), f"desk{n}", str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    outputs = [child.communicate(timeout=60)[0].strip() for child in children]
    assert all(child.returncode == 0 for child in children)
    assert outputs.count("won") == 1
    winner = f"desk{outputs.index('won')}"
    assert all(line.startswith(f"{winner} took this") for line in outputs if line != "won")
    holder, events = assignee_and_events(path, ids["refund"])
    assert holder == winner and len(events) == 1


def test_an_assign_that_was_overtaken_changes_nothing(desk):
    path, ids = desk
    with Store(path) as store:
        # html is alice's; a desk still showing it unassigned loses, and says to whom.
        claim = store.conversations.claim(ids["html"], "bob", "bob", expected=None)
        assert not claim.won and claim.holder == "alice"
        assert store.conversations.get(ids["html"]).assignee == "alice"
        # A desk that saw alice hold it may give it to bob (a deliberate reassignment).
        claim = store.conversations.claim(ids["html"], "bob", "carol", expected="alice")
        assert claim.won and claim.changed
        lost = store.conversations.claim(ids["html"], None, "dev", expected="alice")
        assert lost.lost_line() == "carol assigned this to bob 0s ago"


def bob() -> Config:
    return Config(agent_name="bob", agent_display_name="Bob Stone", raw=NO_PRESEND)


async def open_refund(pilot, app, conversation_id):
    """Enter on the first row (the oldest waiting: Ann's refund), as the agent would (two
    apps in one test are driven by keys only: each runs in its own context)."""
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
    await until(pilot, lambda: app.screen.conversation is not None)
    assert app.screen.conversation_id == conversation_id


async def test_the_desk_that_loses_a_take_says_who_took_it(desk, alice):
    path, ids = desk
    notices = Notices()
    first, second = make_app(alice, path, [DemoConnector()]), make_app(bob(), path, [])
    async with (
        first.run_test(size=(160, 40)) as one,
        second.run_test(size=(160, 40), message_hook=notices) as two,
    ):
        await open_refund(one, first, ids["refund"])
        await open_refund(two, second, ids["refund"])
        # Bob's desk hears of no change from here: his screen still shows what it
        # showed when both pressed ``m`` at once.
        second.watcher.stop()
        assert second.screen.conversation.assignee is None  # both see it unassigned
        await one.press("m")
        await until(one, lambda: first.screen.conversation.assignee == "alice")
        clock.set_now(NOW + timedelta(seconds=2))
        await two.press("m")
        await until(two, lambda: notices.matching("took this"))
        assert notices.matching("took this") == ["alice took this 2s ago"]
        assert "alice" in screen_text(second).splitlines()[0]  # the header shows the holder
    holder, events = assignee_and_events(path, ids["refund"])
    assert holder == "alice" and len(events) == 1


async def test_a_reply_to_an_unassigned_conversation_takes_it(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_refund(pilot, app, ids["refund"])
        await pilot.press("r", *"On its way", "ctrl+s")
        await until(pilot, lambda: app.screen.conversation.assignee == "alice")
    holder, events = assignee_and_events(path, ids["refund"])
    assert [(e["kind"], e["agent"], e["payload"]["by"]) for e in events] == [
        ("assigned", "alice", "alice")
    ]


async def test_assign_on_reply_can_be_turned_off(desk):
    path, ids = desk
    config = Config(agent_name="alice", raw={**NO_PRESEND, "team": {"assign_on_reply": False}})
    app = make_app(config, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_refund(pilot, app, ids["refund"])
        await pilot.press("r", *"On its way", "ctrl+s")
        await until(
            pilot,
            lambda: any(m.direction == "out" for m in app.store.messages.thread(ids["refund"])),
        )
    holder, events = assignee_and_events(path, ids["refund"])
    assert holder is None and events == []
