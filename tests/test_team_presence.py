"""Presence: who else views or types in a conversation, gone when their desk is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NO_PRESEND, screen_lines, until

from agentdesk import clock
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store

DRIVER = Path(__file__).with_name("desk_process.py")


def config(agent: str, timeout: float = 30.0, heartbeat: float = 10.0) -> Config:
    team = {"poll_interval": 0.1, "presence_timeout": timeout, "heartbeat": heartbeat}
    return Config(agent_name=agent, raw={**NO_PRESEND, "team": team})


def row(app, words: str) -> str:
    return next((line for line in screen_lines(app) if words in line), "")


def header(app) -> str:
    return screen_lines(app)[0]


async def test_who_views_and_types_shows_on_the_other_desk_and_goes_with_them(desk):
    path, ids = desk
    alice, bob = make_app(config("alice"), path, []), make_app(config("bob"), path, [])
    async with alice.run_test(size=(160, 40)) as one, bob.run_test(size=(160, 40)) as two:
        await one.pause()
        await two.pause()
        await two.press("enter")  # bob opens the refund (the first row)
        await until(one, lambda: "«bob»" in row(alice, "Refund for order"), timeout=5)
        await one.press("enter")
        await until(one, lambda: isinstance(alice.screen, ConversationScreen))
        await until(one, lambda: "bob viewing" in header(alice), timeout=5)
        await until(two, lambda: "alice viewing" in header(bob), timeout=5)
        await two.press("r", *"Hello Ann")
        await until(one, lambda: "bob typing a reply" in header(alice), timeout=5)
        await two.press("escape", "escape")  # out of the composer, back to the inbox
        await until(one, lambda: "bob" not in header(alice), timeout=5)
        await one.press("escape")
        await until(two, lambda: "«alice»" not in row(bob, "Refund for order"), timeout=5)
        await until(one, lambda: "«bob»" not in row(alice, "Refund for order"), timeout=5)
    with Store(path) as store:
        assert store.presence.alive("") == []  # both desks closed: no rows left
        viewed = {
            (e["agent"], e["payload"]["focus"])
            for e in store.events.read(ids["refund"])
            if e["kind"] == "viewed"
        }
    # Each agent's handle time is their own screen's: presence wrote no events.
    assert viewed == {("alice", True), ("alice", False), ("bob", True), ("bob", False)}


async def test_a_desk_that_stopped_beating_drops_out_after_the_timeout(desk):
    path, ids = desk
    clock.set_now(None)  # presence ages in real time here
    with Store(path) as gone:  # a desk that wrote its row and then died
        gone.presence.beat("dead-desk", "dev", ids["refund"], "replying", clock.now_iso())
    alice = make_app(config("alice", timeout=2, heartbeat=0.5), path, [])
    async with alice.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: "«dev ✎»" in row(alice, "Refund for order"), timeout=5)
        await until(pilot, lambda: "«dev" not in row(alice, "Refund for order"), timeout=6)


@pytest.mark.slow  # starts the desk in a child process and SIGKILLs it
async def test_a_killed_desk_drops_out_of_presence(desk, tmp_path):
    path, ids = desk
    clock.set_now(None)
    toml = tmp_path / "carol.toml"
    toml.write_text(
        '[agent]\nname = "carol"\n[team]\npoll_interval = 0.1\n'
        "presence_timeout = 3.0\nheartbeat = 0.5\n"
    )
    child = subprocess.Popen(
        [sys.executable, str(DRIVER), "view", str(toml), str(path), str(ids["refund"])],
        env={**os.environ, "TERM": "dumb"},
    )
    try:
        alice = make_app(config("alice", timeout=3, heartbeat=0.5), path, [])
        async with alice.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: "«carol»" in row(alice, "Refund for order"), timeout=60)
            child.send_signal(signal.SIGKILL)
            child.wait()
            await until(pilot, lambda: "«carol»" not in row(alice, "Refund for order"), timeout=8)
    finally:
        child.kill()
