"""One real app of ``bench_team.py``: the desk under Textual's Pilot (160x50), keys pressed
as an agent presses them.

    python bench/team_app.py CONFIG DB AGENT LOG [--seed N] [--pick 3] [--watch 3]

Like ``agentdesk open --agent AGENT`` with the team's config (so it takes part in the
connector leases too). In turns: it shows the inbox for ``--watch`` seconds, noting when
each probe tag (``p0001``…, which the bench puts on one conversation every few seconds)
first shows on the screen; then it opens one of the first ``--pick`` unassigned
conversations and presses ``m`` (take), and if it won, ``r``, a reply, ``Ctrl+S``, then
``Esc`` back to the inbox. Claims, replies and probe sightings are JSON lines in LOG.
SIGTERM ends the app as quitting does (leases released).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from textual.notifications import Notify  # noqa: E402

from agentdesk.app import make_app  # noqa: E402
from agentdesk.commands import as_agent  # noqa: E402
from agentdesk.config import load_config  # noqa: E402
from bench.team_desk import UNASSIGNED, Log  # noqa: E402

PROBE = re.compile(r"\bp\d{4}\b")
TEXT = "Thanks, it ships today."


def screen_text(app) -> str:
    """What the terminal shows (Textual has no public API for it; as tests/conftest.py)."""
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


async def until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def main(args: argparse.Namespace) -> None:
    config = as_agent(load_config(args.config, required=True), args.agent)
    me, log, rng = config.agent_name, Log(args.log), random.Random(args.seed)
    notices: list[str] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            notices.append(message.notification.message)

    app = make_app(config, args.db)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    async with app.run_test(size=(160, 50), message_hook=hook) as pilot:

        def on(screen: str, conversation_id: int | None = None) -> bool:
            return type(app.screen).__name__ == screen and (
                conversation_id is None or app.screen.conversation_id == conversation_id
            )

        async def take(cid: int) -> None:
            heard = len(notices)
            await pilot.press("m")
            await until(lambda: not app.keys_pending)
            at = time.time()
            if app.store.conversations.assignee(cid) != me:
                lost = [n for n in notices[heard:] if "this" in n]
                log(claim=cid, t=at, won=False, line=lost[-1] if lost else "")
            else:
                log(claim=cid, t=at, won=True)
                await pilot.press("r")
                await until(lambda: app.focused is app.screen.composer)
                await pilot.press(*TEXT, "ctrl+s")
                if await until(
                    lambda: any(
                        m.direction == "out" and m.author == me
                        for m in app.store.messages.thread(cid)
                    )
                ):
                    log(reply=cid, t=time.time())
                else:  # the collision check asked (or nothing was stored): leave it
                    log(collision=cid, t=time.time(), screen=type(app.screen).__name__)
                    await pilot.press("escape")

        await until(lambda: on("InboxScreen"), 120)
        log(ready=me, t=time.time(), desk=app.presences.desk)
        seen: set[str] = set()
        while not stopping.is_set():
            since = time.time()
            while time.time() < since + args.watch and not stopping.is_set():
                for word in set(PROBE.findall(screen_text(app))) - seen:
                    seen.add(word)
                    log(probe=word, t=time.time(), since=since)
                await pilot.pause(0.05)
            rows = app.store.inbox.page(UNASSIGNED, 0, args.pick)
            if not rows or stopping.is_set():
                continue
            cid = rng.choice(rows).id
            app.open_conversation(cid)
            if not await until(
                lambda cid=cid: on("ConversationScreen", cid) and not app.keys_pending
            ):
                log(error=f"conversation {cid} did not open", t=time.time())
                continue
            shown = app.screen.conversation
            if shown is not None and shown.assignee is not None:  # the header says whose
                log(saw_taken=cid, t=time.time(), holder=shown.assignee)
            else:
                await take(cid)
            while not on("InboxScreen") and not stopping.is_set():
                await pilot.press("escape")  # (the composer first, if it has the focus)
                await until(lambda: on("InboxScreen"), 5)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("db")
    parser.add_argument("agent")
    parser.add_argument("log")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pick", type=int, default=3)
    parser.add_argument("--watch", type=float, default=3.0, help="seconds on the inbox per turn")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
