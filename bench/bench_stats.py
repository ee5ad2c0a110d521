"""Time ``agentdesk stats`` and the stats screen over a large desk database.

    python bench/bench_stats.py [--db /work/bench-data/large.db] [--runs 5]

Prints: the wall time of ``agentdesk stats --since 30d`` in a fresh process (the target
is under 2 s), a few variants (JSON, by channel, business time, 7 days), the time of each
query behind the figures in this process, and the time from pushing the stats screen in
a headless app to its first table on screen (target: under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.app import App  # noqa: E402

from agentdesk.config import Config  # noqa: E402
from agentdesk.metrics.aggregate import summarize  # noqa: E402
from agentdesk.metrics.collect import collect  # noqa: E402
from agentdesk.metrics.period import preset  # noqa: E402
from agentdesk.metrics.settings import MetricsSettings  # noqa: E402
from agentdesk.screens.stats import StatsScreen  # noqa: E402
from agentdesk.store import Store  # noqa: E402
from agentdesk.widgets.stats_table import StatsTable  # noqa: E402
from bench import target  # noqa: E402


def cli_runs(db: str, config: Path, args: list[str], runs: int) -> tuple[list[float], float]:
    """Wall seconds of ``agentdesk stats ARGS`` in fresh processes, and the median CPU
    seconds of a run (the process and, on PostgreSQL here, the server)."""
    times, cpu_times = [], []
    cpu = target.cpu_clock(db)
    # The CLI's server backend is still exiting when it returns: its CPU counts once the
    # postmaster has reaped it (read at once, a run missed 0.3-0.5 s of server CPU).
    settle = 0.5 if target.server_clock(db) is not None else 0.0
    for _ in range(runs):
        spent = cpu()
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "agentdesk",
                "--config",
                str(config),
                "stats",
                "--db",
                str(db),
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
        time.sleep(settle)
        cpu_times.append(cpu() - spent)
        if done.returncode:
            raise SystemExit(f"agentdesk stats failed: {done.stderr.strip()}")
    return times, statistics.median(cpu_times)


def queries(db: str, period_name: str) -> None:
    """Each store query behind the figures, timed once in this process."""
    period = preset(period_name)
    since, until = period.since_iso, period.until_iso
    cpu = target.cpu_clock(db)
    with Store(db) as store:
        for name, call in [
            ("waits and resolves", lambda: store.metrics.waits_and_resolves(since, until)),
            ("replies (every reply event)", lambda: store.metrics.replies(since, until)),
            ("created", lambda: store.metrics.created(since, until)),
            ("csat", lambda: store.metrics.csat(since, until)),
            ("handle time", lambda: store.metrics.handle(since, until, 120)),
        ]:
            spent, start = cpu(), time.perf_counter()
            rows = call()
            print(
                f"  {name:<20} {len(rows):>7} rows  {time.perf_counter() - start:6.3f} s,"
                f" CPU {cpu() - spent:6.3f} s"
            )
        start = time.perf_counter()
        facts = collect([store], period, MetricsSettings())
        middle = time.perf_counter()
        rows = summarize(facts)
        print(
            f"  collect {len(facts)} facts {middle - start:.3f} s, summarize {len(rows)} rows "
            f"{time.perf_counter() - middle:.3f} s"
        )


async def screen_first_table(db: str, period: str) -> tuple[float, float]:
    """Seconds from pushing the stats screen to the refresh that draws its first table,
    and the CPU seconds spent meanwhile (this process and, on PostgreSQL here, the server)."""
    cpu = target.cpu_clock(db)
    with Store(db) as store:
        app = App(css_path=str(ROOT / "agentdesk/screens/stats.tcss"))  # as the desk styles it
        async with app.run_test(size=(200, 60)):
            spent, start = cpu(), time.perf_counter()
            screen = StatsScreen(store, Config(), period=period)
            shown = asyncio.Event()
            show_rows = screen.show_rows

            def show_and_signal(*args) -> None:  # the worker's rows reach the table
                show_rows(*args)
                shown.set()

            screen.show_rows = show_and_signal
            await app.push_screen(screen)
            await shown.wait()
            drawn = asyncio.Event()
            screen.call_after_refresh(drawn.set)
            await drawn.wait()
            elapsed, spent = time.perf_counter() - start, cpu() - spent
            assert screen.query_one("#stats-table", StatsTable).row_count > 0
            await app.workers.wait_for_complete()  # the trends, computed after the table
        return elapsed, spent


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
        f"max {max(times):.2f} s ({len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default="/work/bench-data/large.db", help="database file, or a postgresql:// URL"
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not target.exists(args.db):
        raise SystemExit(f"{args.db}: no such database (generate it with bench/generate.py)")
    with Store(args.db) as store:
        counts = store.transfer.table_counts()
    events, messages = counts["events"], counts["messages"]
    print(f"{args.db}: {messages:,} messages, {events:,} events")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text("", encoding="utf-8")
        for label, extra in [
            ("stats --since 30d (target < 2 s)", ["--since", "30d"]),
            ("stats --since 30d --format json", ["--since", "30d", "--format", "json"]),
            ("stats --since 30d --by channel", ["--since", "30d", "--by", "channel"]),
            ("stats --since 30d --business-hours", ["--since", "30d", "--business-hours"]),
            ("stats (last 7 days)", []),
        ]:
            times, spent = cli_runs(args.db, config, extra, args.runs)
            print(f"{label}: {summary(times)}, CPU {spent:.2f} s")
    print("queries for 30 days, in process:")
    queries(args.db, "30d")
    for period in ("7d", "30d"):
        runs = [asyncio.run(screen_first_table(args.db, period)) for _ in range(args.runs)]
        print(
            f"stats screen first table, {period} (target < 1 s): {summary([t for t, _ in runs])},"
            f" CPU {statistics.median(c for _, c in runs):.2f} s"
        )


if __name__ == "__main__":
    main()
