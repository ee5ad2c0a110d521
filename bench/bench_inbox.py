"""Inbox, search and conversation figures on a large database.

    python bench/bench_inbox.py --db /work/bench-data/large.db

Prints: launch to a usable inbox (a fresh process, headless app, first page drawn),
page-down latency deep in the list, free-text search first page (median of several
words), opening a conversation with its customer and history (median), and the
resident memory of the app process with the database open.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import target  # noqa: E402

CHILD = r"""
import asyncio, json, resource, sys, time
start = float(sys.argv[2])
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.widgets.inbox_list import InboxList

async def main():
    app = make_app(Config(agent_name="agent01"), sys.argv[1], [])
    async with app.run_test(size=(160, 50)) as pilot:
        inbox = app.screen.query_one(InboxList)
        while inbox.total == 0 or inbox.row_at(0) is None:
            await asyncio.sleep(0.005)
        await pilot.pause()
        first_paint = time.time() - start
        if sys.argv[3] != "active":
            app.screen.filters.status = sys.argv[3]
            app.screen.refresh_list()
            await pilot.pause()
        height = inbox.scrollable_content_region.height

        def draw_after(action):
            # the work a key press causes: move, then render every visible line
            t = time.perf_counter()
            action()
            inbox.scroll_to(y=inbox._scroll_target(inbox.cursor), animate=False, immediate=True)
            for y in range(height):
                inbox.render_line(y)
            return time.perf_counter() - t

        pages = [draw_after(lambda: inbox.action_page(1)) for _ in range(60)]
        to_end = draw_after(lambda: inbox.action_jump(-1))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"first_paint": first_paint, "total": inbox.total, "pages": pages,
                          "to_end": to_end, "rss_mb": rss}))

asyncio.run(main())
"""


def launch(db: str, status: str = "active") -> dict:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, db, str(start), status],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def page_queries(store, cpu) -> dict[str, tuple]:
    """Per filter: median, min and max seconds of one inbox page query (PAGE rows, no
    drawing), CPU seconds per query (``cpu``: target.cpu_clock) and the list's length."""
    from agentdesk.domain import InboxFilter
    from agentdesk.widgets.inbox_list import PAGE

    figures = {}
    for label, filters in [
        ("active, oldest waiting", InboxFilter()),
        ("any, oldest waiting", InboxFilter(status="any")),
        ("any, newest", InboxFilter(status="any", sort="newest")),
        ("mine (agent01), active", InboxFilter(view="mine", me="agent01")),
    ]:
        total = store.inbox.count(filters)
        times = []
        offsets = (0, PAGE, total // 2 // PAGE * PAGE, max(total - PAGE, 0)) * 5
        spent = cpu()
        for offset in offsets:
            t = time.perf_counter()
            store.inbox.page(filters, offset, PAGE, total=total)  # as the inbox list asks
            times.append(time.perf_counter() - t)
        spent = (cpu() - spent) / len(offsets)
        figures[label] = (statistics.median(times), min(times), max(times), spent, total)
    return figures


def store_figures(db: str) -> dict:
    from agentdesk.domain import SearchQuery
    from agentdesk.store import Store

    store = Store(db)
    cpu = target.cpu_clock(db)
    pages = page_queries(store, cpu)
    words = [
        "refund",
        "parcel",
        "password",
        "invoice",
        "broken",
        "kettle",
        "zzzznothing",
        "delivery late",
        "from:example.com refund",
    ]
    search = {}
    spent = cpu()
    for word in words:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            ids, _more = store.inbox.search(SearchQuery.parse(word))
            store.inbox.rows_by_id(ids[:60])
            times.append(time.perf_counter() - t)
        search[word] = (statistics.median(times), min(times), len(ids))
    search_cpu = (cpu() - spent) / len(words) / 5
    total = max(store.conversations.all_ids())
    opens = []
    spent = cpu()
    for n in range(1, 201):
        conversation_id = (n * 7919) % total + 1
        t = time.perf_counter()
        conversation = store.conversations.get(conversation_id)
        store.messages.thread(conversation_id)
        store.customers.get(conversation.customer_id)
        store.inbox.history(conversation.customer_id, exclude=conversation_id)
        store.drafts.get(conversation_id)
        opens.append(time.perf_counter() - t)
    open_cpu = (cpu() - spent) / len(opens)
    store.close()
    return {
        "search_cpu": search_cpu,
        "open_cpu": open_cpu,
        "pages": pages,
        "search": search,
        "open_median": statistics.median(opens),
        "open_min": min(opens),
        "open_p90": sorted(opens)[int(len(opens) * 0.9)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database file, or a postgresql:// URL")
    parser.add_argument("--store-only", action="store_true", help="skip the app launches")
    args = parser.parse_args()
    if not target.exists(args.db):
        sys.exit(f"{args.db}: not found (make it with bench/generate.py)")
    for status in () if args.store_only else ("active", "any"):
        runs = [launch(args.db, status) for _ in range(3)]
        paint = statistics.median(r["first_paint"] for r in runs)
        pages = [p for r in runs for p in r["pages"]]
        print(f"[status {status}] conversations listed: {runs[0]['total']:,}")
        print(f"  launch to usable inbox:      {paint * 1000:.0f} ms (median of 3 fresh processes)")
        print(
            f"  page down (query + draw):    median {statistics.median(pages) * 1000:.1f} ms, "
            f"max {max(pages) * 1000:.1f} ms"
        )
        to_end = statistics.median(r["to_end"] for r in runs)
        print(f"  jump to last row (G):        {to_end * 1000:.1f} ms")
        print(f"  resident memory (max RSS):   {max(r['rss_mb'] for r in runs):.0f} MB")
    figures = store_figures(args.db)
    for label, (median, best, worst, spent, total) in figures["pages"].items():
        print(
            f"page query {label:24} median {median * 1000:6.2f} ms, min {best * 1000:6.2f} ms,"
            f" max {worst * 1000:6.2f} ms, CPU {spent * 1000:6.2f} ms"
            f" (first, 2nd, middle, last page of {total:,})"
        )
    for word, (seconds, best, count) in figures["search"].items():
        print(
            f"search {word!r:28} {seconds * 1000:7.1f} ms, min {best * 1000:7.1f} ms"
            f"  ({count} conversations)"
        )
    medians = [s for s, _, _ in figures["search"].values()]
    mins = [s for _, s, _ in figures["search"].values()]
    print(
        f"search first page, median:     {statistics.median(medians) * 1000:.1f} ms"
        f" (median of the words' minimums {statistics.median(mins) * 1000:.1f} ms),"
        f" CPU {figures['search_cpu'] * 1000:.1f} ms per search"
    )
    print(
        f"open conversation + history:   median {figures['open_median'] * 1000:.2f} ms, "
        f"p90 {figures['open_p90'] * 1000:.2f} ms, min {figures['open_min'] * 1000:.2f} ms,"
        f" CPU {figures['open_cpu'] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
