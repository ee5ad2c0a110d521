"""Change-to-screen latency between two desks on one database (issue 11).

    python bench/bench_team_live.py [--db FILE | --db postgresql://…/NAME] [--changes 60]
        [--interval 0.25]

A writer desk in its own process changes conversations (assigns them, adds notes) through
the store, as another agent's desk would; the reading desk, the real app under Pilot
(160x50), shows the inbox, or the conversation for notes. Each change is timed from the
writer's commit to the reading desk's screen showing it, with no key pressed, and to its
watcher reading the change (the part the wake-up decides). Without ``--db`` the demo desk is made in a temporary folder; a given file is copied first, so it
is never changed. A PostgreSQL ``--db`` is emptied (dropped and made again) and given
the demo desk. Prints p50, p95 and max per kind and overall, and the CPU seconds the
reading desk (and a local PostgreSQL server) spent per second while idle and per change.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDLE_SECONDS = 20

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench import target  # noqa: E402

WRITER = """
import sys, time
from agentdesk.store import Store
store = Store(sys.argv[1])
for line in sys.stdin:
    kind, conversation, word = line.split()
    conversation = int(conversation)
    if kind == "assign":
        store.conversations.assign(conversation, word, word)
    else:
        store.messages.add_note(conversation, "writer", word)
    print(time.time(), flush=True)
"""


def screen_text(app) -> str:
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


async def shown(pilot, word: str, timeout: float = 10.0) -> float:
    """Wall time at which ``word`` is on the reading desk's screen."""
    deadline = time.monotonic() + timeout
    while word not in screen_text(pilot.app):
        if time.monotonic() > deadline:
            raise SystemExit(f"{word!r} never showed")
        await pilot.pause(0.01)
    return time.time()


def figures(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"{name:<8} n={len(ms):<4} p50 {statistics.median(ms):6.0f} ms   p95 {p95:6.0f} ms"
        f"   max {ms[-1]:6.0f} ms"
    )


async def run(path: str, changes: int, interval: float) -> None:
    from agentdesk.app import make_app
    from agentdesk.config import Config
    from agentdesk.widgets.inbox_list import InboxList

    config = Config(agent_name="reader", raw={"team": {"poll_interval": interval}})
    app = make_app(config, path, [])
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER,
        path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert writer.stdin is not None and writer.stdout is not None
    latencies: dict[str, list[float]] = {"assign": [], "note": []}
    looked: list[float] = []  # commit to the reading desk's watcher reading the change
    read_at: dict[int, float] = {}
    report = app.watcher.on_change

    def noted(conversation_ids: frozenset[int]) -> None:
        for conversation_id in conversation_ids:
            read_at.setdefault(conversation_id, time.time())
        report(conversation_ids)

    app.watcher.on_change = noted

    async def change(kind: str, conversation: int, word: str) -> float:
        read_at.pop(conversation, None)
        writer.stdin.write(f"{kind} {conversation} {word}\n".encode())
        await writer.stdin.drain()
        return float((await writer.stdout.readline()).decode())

    async def timed(kind: str, conversation: int, word: str) -> None:
        committed = await change(kind, conversation, word)
        latencies[kind].append(await shown(pilot, word) - committed)
        looked.append(read_at[conversation] - committed)

    everything = target.cpu_clock(path)  # the desk, plus a local PostgreSQL server

    def cpu() -> tuple[float, float]:
        desk, total = time.process_time(), everything()
        return desk, total - desk

    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        inbox = app.screen.query_one(InboxList)
        visible = [inbox.row_at(i).id for i in range(min(30, inbox.total))]
        before = cpu()
        await asyncio.sleep(IDLE_SECONDS)  # the watcher on an idle database
        idle = [(after - start) / IDLE_SECONDS for after, start in zip(cpu(), before, strict=True)]
        before = cpu()
        for n in range(changes):
            await timed("assign", visible[n % len(visible)], f"a{n:04d}")
        await pilot.press("enter")  # the conversation under the cursor
        await pilot.pause(0.5)
        for n in range(changes // 2):
            await timed("note", app.screen.conversation_id, f"note{n:04d}")
        busy = [after - start for after, start in zip(cpu(), before, strict=True)]
    writer.stdin.close()
    await writer.wait()
    done = len(latencies["assign"]) + len(latencies["note"])
    print(
        f"{'PostgreSQL' if target.is_url(path) else 'SQLite'}, poll interval {interval} s;"
        f" {inbox.total} conversations in the reading inbox"
    )
    for kind, seconds in latencies.items():
        print(figures(kind, seconds))
    print(figures("all", [s for seconds in latencies.values() for s in seconds]))
    print(figures("read", looked), "(commit to the reading desk's watcher reading it)")
    print(
        f"idle: reading desk {idle[0] * 100:.2f} % of one core, server {idle[1] * 100:.2f} %;"
        f" per change: desk {busy[0] / done * 1000:.0f} ms CPU,"
        f" server {busy[1] / done * 1000:.1f} ms CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--db", help="a desk file (copied) or a postgresql:// URL (emptied)")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    from agentdesk.commands.demo import prepare
    from agentdesk.store.postgres import connect

    if args.db and target.is_url(args.db):
        target.remove(args.db)
        prepare(args.db, 7)
        settle = connect(args.db)
        settle.execute("VACUUM ANALYZE")  # not the autovacuum after the load, while idle
        settle.close()
        asyncio.run(run(args.db, args.changes, args.interval))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "team.db"
        if args.db:
            shutil.copyfile(args.db, path)
        else:
            prepare(path, 7)
        asyncio.run(run(str(path), args.changes, args.interval))


if __name__ == "__main__":
    main()
