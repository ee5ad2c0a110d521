"""A big mail: storing it, analysing it, opening it and the keys after, in a headless app.

    python bench/bench_bigmail.py [--sizes 40000,1000000,10000000]

For each size, a small desk (the test desk) gets one mail of that many characters (a
new line on top, then quoted history in numbered lines: sentences for the sentiment
analysis, many distinct words for the full-text index) as its oldest-waiting
conversation. Prints the time ``record_inbound``
took, the assist analysis (``load_context``), and key press to redrawn screen for
opening it from the inbox, a page down, typing in the composer, leaving it, and moving
off the conversation and back onto it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from desk_data import NOW, at, build_desk  # noqa: E402

from agentdesk import clock  # noqa: E402
from agentdesk.app import make_app  # noqa: E402
from agentdesk.assist.context import load_context  # noqa: E402
from agentdesk.config import Config  # noqa: E402
from agentdesk.connectors.demo import DemoConnector  # noqa: E402
from agentdesk.domain import Inbound  # noqa: E402
from agentdesk.screens.conversation import ConversationScreen  # noqa: E402, F401 (warm import)
from agentdesk.store import Store  # noqa: E402

KEYS = [
    ("open", ("enter",)),
    ("page down", ("pagedown",)),
    ("reply", ("r",)),
    ("type", ("H",)),
    ("leave composer", ("escape",)),
    ("next", ("j",)),
    ("back onto it", ("k",)),
]


WORDS = (
    "the",
    "order",
    "arrived",
    "late",
    "and",
    "I",
    "am",
    "still",
    "waiting",
    "for",
    "my",
    "refund",
    "please",
    "help",
    "this",
    "is",
    "terrible",
    "again",
    "kettle",
    "box",
)


def body(size: int) -> str:
    pick = random.Random(1).choice
    lines = [
        "My refund never came and I am still waiting!!",
        "",
        "On Mon, 5 Jan 2026 at 09:00, Big Mail <big@example.com> wrote:",
    ]
    length = sum(len(line) + 1 for line in lines)
    while length < size:
        lines.append(f"> {len(lines):07d} " + " ".join(pick(WORDS) for _ in range(10)) + ".")
        length += len(lines[-1]) + 1
    return "\n".join(lines)


async def keys(path: Path) -> list[tuple[str, float]]:
    config = Config(agent_name="alice", agent_display_name="Alice Martin")
    app = make_app(config, path, [DemoConnector()])
    times = []
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for name, pressed in KEYS:
            started = time.perf_counter()
            await pilot.press(*pressed)
            await pilot.pause()
            times.append((name, time.perf_counter() - started))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40000,1000000,10000000")
    args = parser.parse_args()
    clock.set_now(NOW)
    for size in (int(s) for s in args.sizes.split(",")):
        path = Path(tempfile.mkdtemp()) / "desk.db"
        text = body(size)
        with Store(path) as store:
            build_desk(store)
            started = time.perf_counter()
            conversation_id, _ = store.messages.record_inbound(
                Inbound(
                    channel="email",
                    address="big@example.com",
                    name="Big Mail",
                    subject="Huge log",
                    text=text,
                    at=at(400),
                )
            )
            stored = time.perf_counter() - started
            started = time.perf_counter()
            load_context(store, conversation_id)
            analysed = time.perf_counter() - started
        figures = [("store", stored), ("analyse", analysed), *asyncio.run(keys(path))]
        print(
            f"{len(text) / 1e6:6.2f} MB  "
            + "  ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in figures)
        )


if __name__ == "__main__":
    main()
