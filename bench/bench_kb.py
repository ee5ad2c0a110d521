"""KB suggestions for a conversation over 10,000 articles (target: median < 20 ms).

    python bench/bench_kb.py [--articles 10000] [--runs 300] [--seed 1] [--db postgresql://...]

Generates Markdown articles in a temporary folder (support vocabulary with a Zipf-like
spread, so common words such as "order" or "account" match thousands of articles),
imports them with ``agentdesk kb import``'s function, then times ``suggest()`` -
keywords from the customer's latest messages, the FTS5 OR query ranked by BM25, the
intent re-ordering, snippets and matched terms - for a varied set of customer messages.
Prints import time, re-import time (nothing changed), and suggestion latency. The desk is
a temporary SQLite file, or with ``--db URL`` that PostgreSQL database, dropped and made
again empty first.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from agentdesk.assist.kb import suggest  # noqa: E402
from agentdesk.assist.kbimport import import_kb  # noqa: E402
from agentdesk.assist.mood import intent  # noqa: E402
from agentdesk.domain import Message  # noqa: E402
from agentdesk.store import Store  # noqa: E402
from bench import target  # noqa: E402

TOPICS = str.split(
    "refund return order payment invoice charge card subscription cancel account "
    "login password code email address delivery parcel tracking courier shipping "
    "kettle blender toaster warranty repair replacement discount voucher coupon gift "
    "price plan upgrade downgrade export import settings profile notification app "
    "phone tablet browser error crash sync backup privacy data delete receipt tax "
    "store pickup exchange size colour stock preorder bundle battery charger cable "
    "screen update firmware install reset pairing bluetooth wifi speaker headphones "
    "invoice bank transfer paypal instalment late fee dispute chargeback fraud"
)
FILLER = str.split(
    "the a to and of in for you your we our is on with can this that it be are "
    "from or if when will by at as have has not after before then within days "
    "working team help page open choose press select click find see check make "
    "sure also more most any each all new old first next"
)
MESSAGES = [
    "I returned the blue kettle two weeks ago and still have no refund!",
    "My parcel has not moved for five days, the tracking link shows nothing.",
    "I was charged twice for my subscription this month, please fix the invoice.",
    "The login code never arrives on my phone, I can't get into my account.",
    "How do I change the delivery address on my order?",
    "Please cancel my plan and delete my data.",
    "The app crashes after the firmware update when pairing bluetooth headphones.",
    "Can I use a gift voucher together with a discount coupon?",
    "Where can I download a receipt with tax for my order?",
    "My warranty repair was approved but no replacement was shipped yet.",
]


def zipf_choice(rng: random.Random, words: list[str]) -> str:
    return words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)]


def generate(folder: Path, count: int, rng: random.Random) -> None:
    topics = TOPICS[:]
    for n in range(count):
        if n % 500 == 0:
            rng.shuffle(topics)
        title_words = [zipf_choice(rng, topics) for _ in range(rng.randint(2, 5))]
        tags = sorted({zipf_choice(rng, topics) for _ in range(rng.randint(1, 4))})
        paragraphs = []
        for _ in range(rng.randint(2, 6)):
            words = [
                zipf_choice(rng, topics) if rng.random() < 0.3 else rng.choice(FILLER)
                for _ in range(rng.randint(20, 60))
            ]
            paragraphs.append(" ".join(words).capitalize() + ".")
        steps = "\n".join(
            f"{i}. {' '.join(rng.choice(FILLER + topics) for _ in range(8))}"
            for i in range(1, rng.randint(2, 6))
        )
        body = "\n\n".join(paragraphs[:1] + [steps] + paragraphs[1:])
        sub = folder / f"s{n // 1000:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"article-{n:05d}.md").write_text(
            f"---\ntitle: {' '.join(title_words).capitalize()} {n}\ntags: [{', '.join(tags)}]\n"
            f"url: https://help.example.com/a/{n}\n---\n{body}\n",
            encoding="utf-8",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="a postgresql:// URL (emptied first) instead of a temp file")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kb"
        folder.mkdir()
        started = time.perf_counter()
        generate(folder, args.articles, rng)
        print(f"generated {args.articles} articles in {time.perf_counter() - started:.1f} s")
        if args.db:
            target.exists(args.db)  # made when missing
            target.remove(args.db)
        with Store(args.db or Path(tmp) / "kb.db") as store:
            started = time.perf_counter()
            result = import_kb(store, folder)
            print(f"import: {result.line()} in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            result = import_kb(store, folder)
            print(f"re-import: {result.line()} in {time.perf_counter() - started:.1f} s")
            conversations = [
                [
                    Message(
                        i,
                        1,
                        "in",
                        "c@example.com",
                        "2026-01-01T00:00:00Z",
                        "",
                        text,
                        False,
                        False,
                        None,
                    )
                ]
                for i, text in enumerate(MESSAGES)
            ]
            for messages in conversations:  # warm up
                suggest(store, messages, "", 3, intent(messages[0].body))
            cpu_clock = target.cpu_clock(args.db or str(Path(tmp) / "kb.db"))
            times, cpu = [], []
            for run in range(args.runs):
                messages = conversations[run % len(conversations)]
                started, cpu_started = time.perf_counter(), cpu_clock()
                hits = suggest(store, messages, "", 3, intent(messages[0].body))
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((cpu_clock() - cpu_started) * 1000)
                assert hits, messages[0].body
            times.sort()
            print(
                f"suggestions over {store.kb.count()} articles ({args.runs} runs, "
                f"{len(MESSAGES)} conversations): median {statistics.median(times):.1f} ms, "
                f"p90 {times[int(len(times) * 0.9)]:.1f} ms, max {times[-1]:.1f} ms "
                f"(target: median < 20 ms); CPU median {statistics.median(cpu):.1f} ms, "
                f"total {sum(cpu) / 1000:.2f} s"
            )
            slowest = max(conversations, key=lambda m: _time(store, m))
            print(f"slowest query: {slowest[0].body!r}")
    print(f"uptime: {os.popen('uptime').read().strip()}")


def _time(store, messages) -> float:
    started = time.perf_counter()
    suggest(store, messages, "", 3, intent(messages[0].body))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
