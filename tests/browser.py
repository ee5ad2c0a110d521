"""``agentdesk web`` in a process of its own and Chromium (from apt) to look at it, driven
by playwright with ``executable_path``: playwright's own browser download is never used.

Fixtures: ``web_desk`` starts ``agentdesk web`` (stopped by PID at teardown, and every
desk process it ran checked gone); ``chromium`` is a headless browser. Helpers read the
terminal's text from xterm.js's buffer. Also used by ``bench/bench_web.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Chromium as root on a machine without internet: no sandbox (root), no GPU, and none of
# the background fetches (updates, sync, QUIC probes) that would wait on the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# textual-serve keeps its xterm.js Terminal in a closure and draws on a canvas, so the
# page has no text to read. Before the page's script runs, this catches the first object
# stored as ``.terminal`` that has a ``.buffer`` (textual-serve's ``this.terminal = new
# Terminal(...)``) and keeps it as ``window.__terminal``.
TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true});
    if (value && value.buffer && !window.__terminal) window.__terminal = value;
  },
});
"""
# The terminal's visible rows, as text.
READ_SCREEN = """() => {
  const terminal = window.__terminal;
  if (!terminal) return '';
  const buffer = terminal.buffer.active, rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
}"""


def screen_text(page) -> str:
    """What the desk in ``page`` shows now."""
    return page.evaluate(READ_SCREEN)


def wait_for_screen(page, condition: Callable[[str], bool], what: str, timeout=60.0) -> str:
    """The screen's text once ``condition`` holds for it."""
    deadline = time.monotonic() + timeout
    while True:
        text = screen_text(page)
        if condition(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}:\n{text}")
        time.sleep(0.1)


def press(page, key: str) -> None:
    """``key`` typed into the terminal (xterm.js listens on its hidden textarea)."""
    page.locator(".xterm-helper-textarea").focus()
    page.keyboard.press(key)


def non_loopback_address() -> str | None:
    """This host's own address on its default route, if it has one (no packet is sent:
    connecting a UDP socket only picks the route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("198.51.100.1", 9))
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has ended
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class WebDesk:
    """A running ``agentdesk web``: its process, the address it printed (with the token
    when it has one) and the desk processes seen under it."""

    process: subprocess.Popen
    log: Path
    url: str = ""
    line: str = ""
    seen: set[int] = field(default_factory=set)

    def desk_processes(self) -> set[int]:
        """The processes under the server now (a shell and a desk per browser tab)."""
        found = descendants(self.process.pid)
        self.seen |= found
        return found

    def stop(self) -> None:
        """SIGTERM by PID; the server and every desk process it ran must end."""
        self.desk_processes()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"agentdesk web ignored SIGTERM:\n{self.log.read_text()}"
            ) from None
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in self.seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in self.seen if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, f"desk processes outlived agentdesk web: {left}"


def start_web(arguments: list[str], log: Path) -> WebDesk:
    """``agentdesk ARGUMENTS`` (a ``web`` command line), once it says where it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "agentdesk", *arguments],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    desk = WebDesk(process, log)
    deadline = time.monotonic() + 60
    while not (found := re.search(r"^agentdesk web: .* at (\S+) \(", log.read_text(), re.M)):
        if process.poll() is not None or time.monotonic() > deadline:
            desk.stop()
            raise AssertionError(f"agentdesk web did not start:\n{log.read_text()}")
        time.sleep(0.05)
    desk.url, desk.line = found.group(1), found.group(0)
    return desk


@pytest.fixture
def web_desk(tmp_path) -> Iterator[Callable[..., WebDesk]]:
    """Starts ``agentdesk web`` with the arguments given; all stopped at teardown."""
    started: list[WebDesk] = []

    def start(*arguments: str) -> WebDesk:
        desk = start_web(list(arguments), tmp_path / f"web-{len(started)}.log")
        started.append(desk)
        return desk

    yield start
    for desk in started:
        desk.stop()


def launch_chromium(playwright):
    """Headless Chromium from apt; playwright gives each launch a fresh profile directory."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture
def chromium():
    """A headless Chromium (skipped where it is not installed)."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (scripts/test.sh installs chromium with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
