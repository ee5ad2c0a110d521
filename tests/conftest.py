"""Shared fixtures: a fixed clock and time zone, and a small desk on each engine (a real
SQLite file, and a fresh database on the real PostgreSQL server of tests/postgres.py).

Fixtures that start a server (mail servers, Synapse, the OpenAI-compatible server) live in
their own modules beside this file, registered here as plugins so every test can ask for
them by name. A test that uses a fixture from such a module, directly or through another
fixture, is marked ``slow`` at collection and so left out of the fast loop
(``scripts/test.sh --fast``). Keep fixtures that start nothing here; mark by hand only a
test that starts a child process or a terminal.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import textual._wait
from desk_data import NOW, build_desk
from textual.command import Command, CommandList, CommandPalette
from textual.css.stylesheet import Stylesheet
from textual.message import Message
from textual.notifications import Notify

from agentdesk import clock
from agentdesk.assist.presend import RULES
from agentdesk.config import Config
from agentdesk.store import Store

# The conformance kit is a pytest plugin (entry point of an installed agentdesk); named
# here too for a checkout run from PYTHONPATH. The servers' fixtures come from the
# test helper modules beside this file.
pytest_plugins = [
    "agentdesk.testing",
    "mailservers",
    "synapse",
    "openai_server",
    "postgres",
    "browser",
]

os.environ["TZ"] = "UTC"
time.tzset()

# After each key it presses, Pilot waits twice for the process to go idle: it sleeps in
# steps of SLEEP_GRANULARITY (20 ms) until a step used under SLEEP_IDLE of CPU (1 ms, 5 %).
# So every key cost at least 40 ms, most of the fast suite's wall time. Steps of 5 ms keep
# the rule (idle: under 5 % of a step busy): the fast suite took 49-50 s instead of 67 s on
# a quiet machine (CONTRIBUTING.md). Textual has no setting for it: if these names go,
# the tests still pass, only slower, so fail here instead.
for _name in ("SLEEP_GRANULARITY", "SLEEP_IDLE"):
    assert hasattr(textual._wait, _name), f"textual._wait.{_name} is gone (tests/conftest.py)"
textual._wait.SLEEP_GRANULARITY = 1 / 200
textual._wait.SLEEP_IDLE = textual._wait.SLEEP_GRANULARITY / 20

# Each app parses every stylesheet again: Textual keeps parses per app (per Stylesheet),
# and a desk has 29 sources, 18 ms of CPU an app, about a sixth of a short Pilot test
# (a desk started and stopped 40 times took 13-23 ms less CPU each with this). The parses
# are kept for the worker here, keyed as Textual keys them plus the theme's variables the
# parse substitutes: the same parser runs, once for each.
_PARSED: dict[tuple, list] = {}
_parse_rules = Stylesheet._parse_rules


def _parse_rules_once(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _PARSED.get(key)
    if rules is None:
        rules = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        _PARSED[key] = rules
    return rules


Stylesheet._parse_rules = _parse_rules_once


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection imported (pytest, textual, the desk, every test module) out
    of the cycle collector, once per worker, as the desk's warm-up does for its own
    process. Each desk started by a test then skips its warm-up's full pass over that
    heap (``AgentDeskApp._import_heavy_modules``): the fast suite took 113 s and 212 s of
    CPU instead of 141 s and 270 s (CONTRIBUTING.md)."""
    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """pytest's check for unraisable exceptions collects five times as the session ends
    (0.16 s each in a worker of the fast suite): the garbage goes in one pass here, and
    what lives is frozen, so those five walk next to nothing. An exception raised by a
    finalizer in this pass is still reported (pytest's hook is in place until then)."""
    gc.collect()
    gc.freeze()


TESTS = Path(__file__).resolve().parent


@functools.cache
def _server_module(module: str) -> bool:
    """A helper module beside this file (not a test module, not this one) holds servers."""
    return (
        module != "conftest"
        and not module.startswith("test_")
        and (TESTS / f"{module}.py").exists()
    )


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses a fixture from a server module."""
    for item in items:
        # pytest has no public API for the definitions behind item.fixturenames.
        definitions = getattr(item, "_fixtureinfo", None)
        if definitions is None or item.get_closest_marker("slow"):
            continue
        if any(
            _server_module(fixture.func.__module__)
            for name in item.fixturenames
            for fixture in definitions.name2fixturedefs.get(name, ())
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def frozen_clock():
    clock.set_now(NOW)
    yield NOW
    clock.set_now(None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def desk_target(request, tmp_path) -> str:
    """Where a new, empty desk goes, once per engine: a SQLite file path, or the URL of a
    fresh PostgreSQL database (the PostgreSQL runs are ``slow``: they need the server)."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "desk.db")


@pytest.fixture(scope="session")
def sqlite_desk(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The SQLite file of ``desk``, built once per worker (with the frozen clock) for
    each test to copy: 46 ms of CPU per test to build, 6 ms to copy and open."""
    path = tmp_path_factory.mktemp("desk") / "desk.db"
    clock.set_now(NOW)
    try:
        with Store(path) as store:
            ids = build_desk(store)
    finally:
        clock.set_now(None)
    assert not path.with_name(f"{path.name}-wal").exists()  # all of it is in the file
    return path, ids


@pytest.fixture
def desk(sqlite_desk, desk_target, frozen_clock):
    """A small desk database on each engine; yields ``(path or URL, ids)``. On SQLite, a
    copy of the worker's ``sqlite_desk`` (set up first, being session-scoped), so a test
    changes only its own."""
    if desk_target.startswith("postgresql://"):
        with Store(desk_target) as store:
            ids = build_desk(store)
        return desk_target, ids
    built, ids = sqlite_desk
    shutil.copyfile(built, desk_target)
    return desk_target, dict(ids)


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


def screen_strips(app) -> list:
    """What the terminal shows now: a ``Strip`` (styled segments) per line.

    Textual has no public API for the composed screen (only an SVG export), so this
    one helper reads its compositor.
    """
    return app.screen._compositor.render_strips()


def screen_lines(app) -> list[str]:
    """What the terminal shows now, as plain lines."""
    return ["".join(segment.text for segment in strip) for strip in screen_strips(app)]


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


class Notices:
    """The notifications (toasts) an app posts, in order, as their messages.

    Pass one as the message hook: ``app.run_test(size=..., message_hook=notices)``.
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.messages.append(message.notification.message)

    def matching(self, text: str) -> list[str]:
        return [message for message in self.messages if text in message]


async def until(pilot, condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Let the app run until ``condition`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await pilot.pause(0.05)


async def run_command(pilot, name: str) -> None:
    """Choose the command ``name`` in the command palette (Ctrl+P), as an agent would."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*name)

    def offered() -> bool:
        option = pilot.app.screen.query_one(CommandList).highlighted_option
        return isinstance(option, Command) and option.hit.text == name

    await until(pilot, offered)
    await pilot.press("enter")


async def eventually(
    condition: Callable[[], object], timeout: float = 15.0, what: str = "condition"
) -> float:
    """Let the event loop run until ``condition`` holds; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def wait_until(
    condition: Callable[[], object],
    timeout: float = 30.0,
    what: str = "condition",
    every: float = 0.02,
) -> None:
    """Block until ``condition`` holds (checked each ``every`` seconds), for checks on
    another process or thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)
