"""Shared fixtures: a fixed clock and time zone, and a small desk in a real SQLite file.

Feature-specific fixtures (mail servers, Synapse, the OpenAI-compatible server) live in
their own modules, registered here as plugins so every test can ask for them by name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from desk_data import NOW, build_desk

from agentdesk import clock
from agentdesk.assist.presend import RULES
from agentdesk.config import Config
from agentdesk.store import Store

# The conformance kit is a pytest plugin (entry point of an installed agentdesk); named
# here too for a checkout run from PYTHONPATH. The servers' fixtures come from the
# test helper modules beside this file.
pytest_plugins = ["agentdesk.testing", "mailservers", "synapse", "openai_server"]

os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture
def frozen_clock():
    clock.set_now(NOW)
    yield NOW
    clock.set_now(None)


@pytest.fixture
def desk(tmp_path, frozen_clock):
    """A small desk database; yields ``(path, ids)``."""
    path = tmp_path / "desk.db"
    with Store(path) as store:
        ids = build_desk(store)
    return path, ids


# The pre-send check is driven in tests/test_presend.py; elsewhere replies go straight out.
NO_PRESEND = {"presend": {rule: False for rule in RULES}}


@pytest.fixture
def alice() -> Config:
    return Config(
        agent_name="alice",
        agent_display_name="Alice Martin",
        agent_email="alice@desk.example",
        raw=NO_PRESEND,
    )


def screen_lines(app) -> list[str]:
    """What the terminal shows now, as plain lines."""
    return [
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    ]


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


async def until(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``condition`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await pilot.pause(0.05)
