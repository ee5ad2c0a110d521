"""The desk in a process of its own, for tests that SIGKILL it mid-action.

Usage: ``python desk_process.py MODE CONFIG.toml DB [TEXT]``; the app runs under Pilot
(headless, 160x40) with the configured connectors, exactly as ``agentdesk open`` would.

- ``reply``: wait for the first conversation, open it, send TEXT, then keep running
  (the test kills the process at the step it is testing).
- ``resume``: start the desk (which resumes its outbox) and exit once no reply waits.
- ``sync``: run until every email connector says ``connected``, then exit.
- ``view``: open conversation TEXT (an id) and stay on it (the test kills the process).
"""

from __future__ import annotations

import asyncio
import sys
import time

from agentdesk.app import make_app
from agentdesk.config import load_config


async def until(app, predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(
                f"desk_process: timed out at line {sys._getframe(1).f_lineno} on "
                f"{type(app.screen).__name__}, focus {app.focused!r}, "
                f"channels {app.channel_states()}"
            )
        await asyncio.sleep(0.02)


def pending_replies(app) -> int:
    with app.store.db.read() as conn:
        return conn.execute(
            "SELECT count(*) FROM messages WHERE direction = 'out'"
            " AND id NOT IN (SELECT message_id FROM mail_outbox"
            " WHERE state IN ('done', 'failed'))"
        ).fetchone()[0]


async def main(mode: str, config_path: str, database: str, text: str = "") -> None:
    app = make_app(load_config(config_path, required=True), database)
    async with app.run_test(size=(160, 40)) as pilot:
        if mode == "reply":
            await until(app, lambda: app.store.conversations.get(1) is not None)
            app.open_conversation(1)
            await until(app, lambda: type(app.screen).__name__ == "ConversationScreen", 60)
            await pilot.pause()
            await pilot.press("r")
            await until(app, lambda: app.focused is app.screen.composer, 60)
            await pilot.press(*text, "ctrl+s")
            await until(
                app, lambda: app.store.messages.thread(1)[-1].direction == "out", timeout=60
            )
            await asyncio.sleep(3600)  # until the test kills this process
        elif mode == "resume":
            await until(app, lambda: pending_replies(app) == 0)
        elif mode == "view":
            await until(app, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.pause()
            app.open_conversation(int(text))
            await until(app, lambda: type(app.screen).__name__ == "ConversationScreen", 60)
            await asyncio.sleep(3600)  # until the test kills this process
        elif mode == "sync":
            await until(
                app,
                lambda: all(c.state.endswith(": connected") for c in app.host.connectors),
                timeout=300,
            )
        await pilot.pause()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
