"""One headless desk of ``bench_team.py``: an agent working the shared queue, no Textual.

    python bench/team_desk.py CONFIG DB AGENT LOG [--seed N] [--pick 3] [--think 0.5]

It runs what the app runs, without the UI: the store, the watcher (live updates and
presence, ``agentdesk/live.py``), the claim compare-and-set, the composer's send
(``Store.queue_reply``), and the connector leases with reply delivery (``agentdesk
serve``'s ``serve``: like every desk of a team with ``[[connectors]]``, this one may run
the email connector). The agent: each time the watcher says something changed (or every
second), read the top of the unassigned queue as the inbox does, take one of the first
``--pick`` (the compare-and-set), read its thread, type for about ``--think`` seconds
(presence: replying), check that nobody else wrote meanwhile (the collision check),
send; then the next. Every look of the watcher that found changes, and every claim and
reply, is one JSON line in LOG. SIGTERM stops it as it stops ``serve``: leases
released, presence row removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from agentdesk.commands import as_agent  # noqa: E402
from agentdesk.commands.serve import log_to_stderr, serve  # noqa: E402
from agentdesk.config import load_config  # noqa: E402
from agentdesk.connectors.registry import load_connectors  # noqa: E402
from agentdesk.domain import InboxFilter  # noqa: E402
from agentdesk.live import Presences, Watcher  # noqa: E402
from agentdesk.store import Store  # noqa: E402

UNASSIGNED = InboxFilter(view="unassigned")


class Log:
    """JSON lines, one ``write`` per line, from any thread."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        self.lock = threading.Lock()

    def __call__(self, **fields: object) -> None:
        with self.lock:
            self.file.write(json.dumps(fields) + "\n")


class TimedWatcher(Watcher):
    """The app's watcher; each look that found changes is logged with when it began and
    ended (a change committed after a look began may be in it; one before, must be)."""

    def __init__(self, store: Store, log: Log, changed: threading.Event, **kwargs) -> None:
        super().__init__(store, lambda ids: changed.set(), **kwargs)
        self.log, self.changed = log, changed

    def look(self) -> frozenset[int]:
        began = time.time()
        changed = super().look()
        if changed:
            self.log(look=sorted(changed), began=began, ended=time.time())
        return changed


class Agent:
    """The agent at this desk: takes, reads, types and sends, as long as work waits."""

    def __init__(
        self, store: Store, config, presences: Presences, watcher: TimedWatcher, args
    ) -> None:
        self.store, self.config, self.presences, self.watcher = store, config, presences, watcher
        self.name, self.log, self.changed = config.agent_name, watcher.log, watcher.changed
        self.rng = random.Random(args.seed)
        self.pick, self.think = args.pick, args.think
        self.stopping = threading.Event()

    def here(self, conversation_id: int | None, activity: str = "viewing") -> None:
        self.presences.here = (conversation_id, activity)
        self.watcher.poke()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.changed.wait(1.0)
            self.changed.clear()
            try:
                while not self.stopping.is_set() and self.take_one():
                    pass
            except Exception as error:  # a locked file, a dropped connection: next round
                self.log(error=f"{type(error).__name__}: {error}", t=time.time())

    def take_one(self) -> bool:
        """Take and answer one unassigned conversation; False when none waits."""
        rows = self.store.inbox.page(UNASSIGNED, 0, self.pick)
        if not rows:
            return False
        row = self.rng.choice(rows)
        claim = self.store.conversations.claim(row.id, self.name, self.name, expected=None)
        at = time.time()
        if not claim.won:
            self.log(claim=row.id, t=at, won=False, holder=claim.holder, line=claim.lost_line())
            return True  # the next one
        self.log(claim=row.id, t=at, won=True)
        self.here(row.id)
        thread = self.store.messages.thread(row.id)
        seen = max(message.id for message in thread)
        time.sleep(self.think * self.rng.uniform(0.3, 0.7))  # reading
        self.here(row.id, "replying")
        time.sleep(self.think * self.rng.uniform(0.3, 0.7))  # typing
        others = self.store.messages.written_since(row.id, seen, self.name)
        if others:  # the app would show them and ask; this agent leaves it to them
            self.log(collision=row.id, t=time.time(), by=[m.author for m in others])
        else:
            reply = self.store.queue_reply(
                row.id,
                self.name,
                f"Hello, {self.name} here: your order is on its way.",
                assign=self.config.team.assign_on_reply,
            )
            self.log(reply=row.id, id=reply, t=time.time())
        self.here(None)
        return True


async def main(args: argparse.Namespace) -> int:
    config = as_agent(load_config(args.config, required=True), args.agent)
    log_to_stderr()  # what serve logs: leases, connector states, deliveries
    store = Store(args.db)
    store.agents.ensure(config.agent_name, config.agent_display_name, config.agent_email)
    log = Log(args.log)
    team = config.team
    presences = Presences(store, config.agent_name, team.presence_timeout, team.heartbeat)
    wakeup = store.wakeup(team.poll_interval, team.fallback_poll)  # as the app: NOTIFY or a poll
    watcher = TimedWatcher(store, log, threading.Event(), wakeup=wakeup, presences=presences)
    agent = Agent(store, config, presences, watcher, args)
    threads = [
        threading.Thread(target=watcher.run, name="live", daemon=True),
        threading.Thread(target=agent.run, name="agent", daemon=True),
    ]
    for thread in threads:
        thread.start()
    connectors, _ = load_connectors(config)
    log(ready=config.agent_name, t=time.time(), desk=presences.desk)
    try:
        return await serve(store, connectors, config)
    finally:
        agent.stopping.set()
        watcher.stop()
        for thread in threads:
            await asyncio.to_thread(thread.join, 10)
        store.close()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("db")
    parser.add_argument("agent")
    parser.add_argument("log")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pick", type=int, default=3, help="take one of the first N waiting")
    parser.add_argument("--think", type=float, default=0.5, help="seconds to read and type")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
