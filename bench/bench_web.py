"""``agentdesk web`` in headless Chromium: page load to inbox shown, and ``S`` to the stats
screen, on a demo desk; saves the stats screen as ``bench/web_stats.png``.

    python bench/bench_web.py [--loads 5] [--db DEMO.db] [--screenshot bench/web_stats.png]

Each load is a fresh tab (so a fresh ``agentdesk open`` behind it). Prints, per load and
as medians: wall seconds from ``page.goto`` to the inbox in the terminal, from ``S`` to
the stats table, and the CPU seconds the tab's desk process had used by then (from
/proc), beside ``uptime``: other sessions' load swings the wall figures several-fold.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import (  # noqa: E402
    TERMINAL_HOOK,
    descendants,
    launch_chromium,
    press,
    start_web,
    wait_for_screen,
)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> float:
    """User and system CPU seconds of ``pids`` so far (those still running)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--db", help="a demo database (default: a new one in a temp dir)")
    parser.add_argument("--screenshot", default=str(ROOT / "bench" / "web_stats.png"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "config.toml"
        config.write_text('[agent]\nname = "alice"\n')
        database = args.db or str(Path(scratch) / "demo.db")
        agentdesk = [sys.executable, "-m", "agentdesk", "--config", str(config)]
        subprocess.run([*agentdesk, "demo", "--db", database, "--no-open"], check=True)
        print(
            f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}"
        )
        desk = start_web(
            ["--config", str(config), "web", "--db", database, "--port", "0"],
            Path(scratch) / "web.log",
        )
        loads, stats, cpus = [], [], []
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                for number in range(args.loads):
                    page = browser.new_page(viewport={"width": 1100, "height": 640})
                    page.add_init_script(TERMINAL_HOOK)
                    before = descendants(desk.process.pid)
                    started = time.monotonic()
                    page.goto(desk.url)
                    wait_for_screen(page, lambda text: "conversations" in text, "the inbox")
                    loads.append(time.monotonic() - started)
                    cpus.append(cpu_seconds(descendants(desk.process.pid) - before))
                    started = time.monotonic()
                    press(page, "S")
                    wait_for_screen(page, lambda text: "(team)" in text, "the stats figures")
                    stats.append(time.monotonic() - started)
                    print(
                        f"load {number + 1}: inbox shown {loads[-1]:.2f} s (desk process"
                        f" CPU {cpus[-1]:.2f} s), stats screen {stats[-1]:.2f} s"
                    )
                    if number == args.loads - 1:  # with the trend drawn (it loads after)
                        wait_for_screen(page, lambda text: "▁" in text, "the trend")
                        page.screenshot(path=args.screenshot)
                    page.close()
                browser.close()
        finally:
            desk.stop()
    print(
        f"median of {args.loads}: page load to inbox shown {statistics.median(loads):.2f} s"
        f" (desk process CPU {statistics.median(cpus):.2f} s), S to stats screen"
        f" {statistics.median(stats):.2f} s; screenshot {args.screenshot}"
        f" ({Path(args.screenshot).stat().st_size // 1024} KB)"
    )
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
