"""Key press to drawn screen in the desk, beside a bare-Textual floor from the same run.

    python bench/bench_ui.py [--db /work/bench-data/large.db] [--opens 40] [--memory 500]

Every figure runs under Pilot at 160x50 from the key press until the app is idle and
the screen redrawn (``settle``). The floor is the same for a bare Textual app pushing
a one-widget screen; the two alternate in rounds, so a busy machine slows both.
Prints, each with its floor and target (issue 16):

- opening a conversation from the inbox, ``j`` and ``k`` inside one, and Esc back to
  the inbox (p50, p95);
- the first open after launch, in fresh processes, with Enter pressed at once and a
  quarter of a second after the first paint (as a fast agent would), and which heavy
  modules (openai, vaderSentiment) were imported on the UI thread by then;
- the assist panel's mood, articles and offline draft, after the conversation is drawn;
- the bench's own wait (``settle``) on the conversation and on the floor's screen with
  nothing to do: part of every figure on that screen that no user pays;
- keys typed at once while a ~256 KB chat conversation opens (Enter, ``r``, text);
- resident memory after opening ``--memory`` conversations one after another;
- inbox first paint on the large database against a bare app's first paint
  (fresh processes), and the stats screen's first table on 30 days (both on a copy of
  ``--db``: the desk writes to the file it opens).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Static  # noqa: E402

SIZE = (160, 50)
LOOK = 0.25  # seconds a person takes to see the inbox and press a key (a fast one)
HEAVY = ("openai", "vaderSentiment.vaderSentiment")


async def settle(pilot) -> None:
    """Until the app and every widget of its screen have handled their messages and the
    screen is redrawn; three times, so work scheduled by the first round (the new
    screen's messages, scrolling to the newest message) is counted. Unlike
    ``pilot.pause()`` this does not wait for threads to go idle: a worker still busy
    in the background is not part of the key's time."""
    for _ in range(3):
        await pilot.pause(0)


KEY_CHARACTERS = {"enter": "\r", "escape": "\x1b", "tab": "\t"}


async def press(pilot, *keys: str) -> None:
    """Keys as a terminal delivers them: all queued at once, nothing waited for."""
    for key in keys:
        character = key if len(key) == 1 else KEY_CHARACTERS.get(key)
        pilot.app.post_message(events.Key(key, character))


CPU: list[float] = []  # process time of every ``timed`` call, in order


async def idle_wait(pilot) -> float:
    """Seconds ``settle`` takes on a screen with nothing to do: the bench's own share of
    each figure on that screen (Pilot posts a callback to every widget of the screen and
    waits for each, so it grows with the widgets: the user never pays it)."""
    started = time.perf_counter()
    await settle(pilot)
    return time.perf_counter() - started


async def timed(pilot, *keys: str) -> float:
    """Wall seconds from pressing ``keys`` to the redrawn screen (the process time
    it took goes to ``CPU``: other jobs on the machine barely change it)."""
    started, cpu = time.perf_counter(), time.process_time()
    await press(pilot, *keys)
    await settle(pilot)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started


class OneWidget(Screen):
    BINDINGS = [("escape", "app.pop_screen")]

    def compose(self) -> ComposeResult:
        yield Static("one widget")


class BareApp(App):
    """The floor: a bare Textual app that pushes a one-widget screen on Enter."""

    BINDINGS = [("enter", "open")]

    def compose(self) -> ComposeResult:
        yield Static("bare")

    def action_open(self) -> None:
        self.push_screen(OneWidget())


async def floor_round(count: int) -> dict[str, list[float]]:
    """Push the one-widget screen and pop it again, ``count`` times: each key's wall
    and process times."""
    app = BareApp()
    names = ("push", "pop", "push cpu", "pop cpu", "wait")
    figures: dict[str, list[float]] = {name: [] for name in names}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(count):
            figures["push"].append(await timed(pilot, "enter"))
            figures["push cpu"].append(CPU[-1])
            figures["wait"].append(await idle_wait(pilot))
            figures["pop"].append(await timed(pilot, "escape"))
            figures["pop cpu"].append(CPU[-1])
    return figures


def demo_desk(folder: Path) -> Path:
    from agentdesk.commands.demo import prepare

    path = folder / "demo.db"
    prepare(path, 7)
    return path


def desk_app(path: Path):
    from agentdesk.commands.demo import demo_app
    from agentdesk.config import Config

    return demo_app(Config(), path)


def assist_ready(app) -> bool:
    """Mood, articles and the offline draft are on screen (no LLM is configured)."""
    from agentdesk.widgets.assist_panel import AssistPanel

    panels = app.screen.query(AssistPanel)
    if not panels:
        return False
    panel = panels.first()
    return (
        panel.context is not None
        and panel.conversation_id == app.screen.conversation_id
        and bool(panel.text)
        and not panel.streaming
    )


async def desk_round(path: Path, count: int) -> dict[str, list[float]]:
    """Open from the inbox, then ``j`` and ``k``, ``count`` times; and when the assist
    panel is filled after each open, and the bench's own wait on the conversation."""
    app = desk_app(path)
    names = ("open", "j", "k", "esc", "assist", "open cpu", "j cpu", "k cpu", "esc cpu", "wait")
    figures: dict[str, list[float]] = {name: [] for name in names}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(count):
            figures["open"].append(await timed(pilot, "enter"))
            figures["open cpu"].append(CPU[-1])
            drawn = time.perf_counter()
            while not assist_ready(app):
                await asyncio.sleep(0.002)
            figures["assist"].append(time.perf_counter() - drawn)
            await settle(pilot)  # drawn too: the next key's time is that key's alone
            figures["wait"].append(await idle_wait(pilot))
            for key in ("j", "k"):
                figures[key].append(await timed(pilot, key))
                figures[f"{key} cpu"].append(CPU[-1])
            figures["esc"].append(await timed(pilot, "escape"))
            figures["esc cpu"].append(CPU[-1])
            await timed(pilot, "down")
    return figures


# ---- fresh processes -----------------------------------------------------------------

CHILD = r"""
import asyncio, json, sys, threading, time
start = float(sys.argv[1])
kind, db = sys.argv[2], sys.argv[3]
heavy = {}
def audit(event, args):
    if event == "import" and args[0].split(".")[0] in ("openai", "vaderSentiment"):
        root = args[0].split(".")[0]
        heavy.setdefault(root, threading.current_thread() is threading.main_thread())
sys.addaudithook(audit)
sys.path[:0] = [sys.argv[4], sys.argv[4] + "/bench"]
from bench_ui import LOOK, BareApp, CPU, SIZE, desk_app, settle, timed

async def main():
    if kind == "bare":
        app = BareApp()
    elif kind in ("desk", "desk-look"):
        app = desk_app(db)
    else:
        from agentdesk.app import make_app
        from agentdesk.config import Config
        app = make_app(Config(agent_name="agent01"), db, [])
    async with app.run_test(size=SIZE) as pilot:
        if kind == "inbox":
            from agentdesk.widgets.inbox_list import InboxList
            inbox = app.screen.query_one(InboxList)
            while inbox.total == 0 or inbox.row_at(0) is None:
                await asyncio.sleep(0.005)
        await settle(pilot)
        paint = time.time() - start
        if kind == "desk-look":  # the agent takes in the inbox before pressing Enter
            await asyncio.sleep(LOOK)
        first = await timed(pilot, "enter") if kind != "inbox" else 0.0
        on_ui = sorted(name for name, main in heavy.items() if main)
    cpu = CPU[-1] if kind != "inbox" else 0.0
    print(json.dumps({"paint": paint, "first": first, "first_cpu": cpu, "heavy_on_ui": on_ui}))

asyncio.run(main())
"""


# Children start as an installed desk does: with the bytecode caches Python writes on the
# first run (PYTHONDONTWRITEBYTECODE, set here for development, made every child compile
# the desk's modules again: 0.1-0.2 s of each first paint that no user pays).
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def fresh(kind: str, db: Path | str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(time.time()), kind, str(db), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        env=CHILD_ENV,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def import_cost(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (beyond the start itself)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


# ---- keys while a big conversation opens, and memory ----------------------------------


def add_big_chat(path: Path, size: int = 256 * 1024) -> int:
    """A chat conversation of about ``size`` characters in 1,000 messages, made the
    oldest waiting one (Enter opens it); its id."""
    from agentdesk.domain import Inbound
    from agentdesk.store import Store

    line = "the parcel is still not here and nobody answers my messages, please help. "
    with Store(path) as store:
        count = 1000
        text = (line * (size // count // len(line) + 1))[: size // count]
        for n in range(count):
            conversation_id, _ = store.messages.record_inbound(
                Inbound(
                    channel="chat",
                    address="@big:example.org",
                    name="Big Chat",
                    text=f"{n:04d} {text}",
                    at=f"2020-01-01T{n // 60 // 60:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
                    thread_key="!big:example.org",
                    ext_id=f"$big{n}",
                )
            )
    return conversation_id


async def typed_during_open(path: Path, conversation_id: int) -> tuple[bool, str, float]:
    """Enter, ``r`` and text pressed at once: (composer holds the text, composer text,
    seconds for the open)."""
    app = desk_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        elapsed = await timed(pilot, "enter", "r", *"WQK")
        deadline = time.monotonic() + 60
        while getattr(app, "keys_pending", False) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await settle(pilot)
        screen = app.screen
        shown = getattr(screen, "conversation_id", None) == conversation_id
        text = screen.composer.text if hasattr(screen, "composer") else ""
    from agentdesk.store import Store

    with Store(path) as store:  # the next run starts with an empty composer
        store.drafts.save(conversation_id, "reply", "", app.agent.name)
    return shown and text == "WQK", text, elapsed


async def memory_after_opens(path: Path, count: int) -> tuple[float, float]:
    """Resident MB after the first open and after ``count`` opens (Enter, Esc, down)."""
    app = desk_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = 0.0
        for n in range(count):
            await timed(pilot, "enter")
            await timed(pilot, "escape")
            await timed(pilot, "down")
            if n == 0:
                await settle(pilot)
                first = rss_mb()
        await settle(pilot)
        return first, rss_mb()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# ---- report ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def line(what: str, measured: str, floor: str, target: str) -> None:
    print(f"{what:<44} {measured:<28} {floor:<22} {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/work/bench-data/large.db"))
    parser.add_argument("--opens", type=int, default=40, help="opens (and j, k) measured")
    parser.add_argument("--rounds", type=int, default=4, help="floor/desk rounds")
    parser.add_argument("--fresh", type=int, default=3, help="fresh processes per figure")
    parser.add_argument("--memory", type=int, default=500, help="opens before the memory figure")
    args = parser.parse_args()
    from agentdesk.screens.stats import StatsScreen  # noqa: F401 (imported before timing)

    folder = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    path = demo_desk(folder)
    floor: dict[str, list[float]] = {}
    desk: dict[str, list[float]] = {}
    per_round = max(1, args.opens // args.rounds)
    for _ in range(args.rounds):
        for figures, measured in (
            (floor, floor_round(per_round)),
            (desk, desk_round(path, per_round)),
        ):
            for name, values in asyncio.run(measured).items():
                figures[name] = figures.get(name, []) + values
    f50 = statistics.median(floor["push"])
    target = f"p50 ≤ 2× floor ({ms(2 * f50)}), p95 < 200 ms"
    line("figure", "measured", "floor (bare Textual)", "target")
    keys = (  # each beside the bare app's push, Esc beside its pop
        ("open", "open a conversation (Enter)", "push", target),
        ("j", "j: next", "push", target),
        ("k", "k", "push", target),
        ("esc", "Esc: back to the inbox", "pop", ""),
    )
    for name, label, bare, goal in keys:
        values = desk[name]
        line(
            label,
            f"p50 {ms(statistics.median(values))}, p95 {ms(p95(values))}",
            f"p50 {ms(statistics.median(floor[bare]))}, p95 {ms(p95(floor[bare]))}",
            goal,
        )
        line(
            "  process time of it",
            f"p50 {ms(statistics.median(desk[name + ' cpu']))}",
            f"p50 {ms(statistics.median(floor[bare + ' cpu']))}",
            "",
        )
    line(
        "the bench's own wait in each (idle screen)",
        f"p50 {statistics.median(desk['wait']) * 1000:.1f} ms (conversation)",
        f"p50 {statistics.median(floor['wait']) * 1000:.1f} ms (one widget)",
        "",
    )
    assist = desk["assist"]
    line(
        "assist panel filled, after the conversation",
        f"p50 {ms(statistics.median(assist))}, p95 {ms(p95(assist))}",
        "",
        "< 150 ms",
    )

    firsts, looked, bares = [], [], []
    heavy: set[str] = set()
    fresh("bare"), fresh("desk", path)  # not counted: writes the bytecode caches (CHILD_ENV)
    for _ in range(args.fresh):
        bares.append(fresh("bare"))
        firsts.append(fresh("desk", path))
        looked.append(fresh("desk-look", path))
        heavy.update(firsts[-1]["heavy_on_ui"], looked[-1]["heavy_on_ui"])
    bare_first = statistics.median(r["first"] for r in bares)
    line(
        "first open after launch (fresh process)",
        f"median {ms(statistics.median(r['first'] for r in firsts))}",
        f"first push {ms(bare_first)}",
        f"≤ 3× floor ({ms(3 * f50)})",
    )
    line(
        "  process time of it",
        f"median {ms(statistics.median(r['first_cpu'] for r in firsts))}",
        f"first push {ms(statistics.median(r['first_cpu'] for r in bares))}",
        "",
    )
    line(
        f"  Enter {LOOK * 1000:.0f} ms after the first paint",
        f"median {ms(statistics.median(r['first'] for r in looked))}",
        "",
        "",
    )
    costs = ", ".join(f"{m} {ms(import_cost(m))}" for m in HEAVY)
    line(
        "heavy imports on the UI thread by then",
        ", ".join(sorted(heavy)) or "none",
        f"({costs})",
        "none",
    )

    big = add_big_chat(path)
    results = [asyncio.run(typed_during_open(path, big)) for _ in range(3)]
    kept = sum(ok for ok, _, _ in results)
    line(
        "Enter r W Q K at once, ~256 KB chat",
        f"{kept}/3 in the composer ({results[-1][1]!r})",
        "",
        "3/3",
    )
    line(
        "  its open (key press to drawn)",
        f"median {ms(statistics.median(s for _, _, s in results))}",
        "",
        "",
    )
    first, after = asyncio.run(memory_after_opens(path, args.memory))
    line(
        f"resident memory after {args.memory} opens",
        f"{after:.0f} MB (after one: {first:.0f} MB)",
        "",
        "< 250 MB",
    )

    if args.db.is_file():
        large = folder / "large.db"  # the desk writes (presence, leases): never to --db
        shutil.copyfile(args.db, large)
        inbox, bare = [], []
        for _ in range(args.fresh):
            bare.append(fresh("bare")["paint"])
            inbox.append(fresh("inbox", large)["paint"])
        line(
            "inbox first paint, large database",
            f"median {ms(statistics.median(inbox))}",
            f"bare app {ms(statistics.median(bare))}",
            f"≤ 1.5× bare ({ms(1.5 * statistics.median(bare))})",
        )
        from bench_stats import screen_first_table

        tables = [asyncio.run(screen_first_table(large, "30d")) for _ in range(args.fresh)]
        line(
            "stats screen first table, 30 days",
            f"median {ms(statistics.median(wall for wall, _ in tables))}",
            "",
            "< 1 s",
        )
        line("  CPU of it", f"median {ms(statistics.median(cpu for _, cpu in tables))}", "", "")
    else:
        print(f"{args.db}: not found, so no large-database figures (bench/generate.py makes it)")


if __name__ == "__main__":
    main()
