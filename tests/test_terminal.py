"""The real program in a real terminal (tmux): start-up, $EDITOR round trip, quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest
from conftest import wait_until

from agentdesk.store import Store

pytestmark = [
    pytest.mark.slow,  # a real terminal and the desk in it as a child process
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    """A tmux server of this test's own (its own socket), holding one session."""

    def __init__(self) -> None:
        self.name = f"agentdesk-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str, check: bool = True, **options) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.name, *args], check=check, **options)

    def start(self, command: str) -> None:
        # The pane's size, not inherited COLUMNS/LINES (pytest-xdist workers set 80x24).
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        self.run("new-session", "-d", "-s", self.name, "-x", "160", "-y", "40", command, env=env)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        """Type ``text`` as it is (no key names)."""
        self.run("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self.run(
            "capture-pane", "-p", "-t", self.name, check=False, capture_output=True, text=True
        ).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        try:
            wait_until(lambda: text in self.screen(), timeout, f"{text!r} on screen", every=0.1)
        except AssertionError as error:
            raise AssertionError(f"{error}; the screen:\n{self.screen()}") from None

    def alive(self) -> bool:
        return (
            self.run("has-session", "-t", self.name, check=False, capture_output=True).returncode
            == 0
        )


@pytest.fixture
def tmux():
    terminal = Tmux()
    yield terminal
    terminal.run("kill-server", check=False, capture_output=True)


def reply_in_the_first_conversation(tmux, config, path) -> None:
    """Start the desk, open Ann's refund mail and start a reply (the composer has focus)."""
    tmux.start(f"{sys.executable} -m agentdesk --config {config} open --db {path}")
    tmux.wait_for("Refund for order 1042")
    tmux.keys("Enter")
    tmux.wait_for("still have no refund")
    tmux.keys("r")
    tmux.wait_for("^s Send")


def quit_desk(tmux) -> None:
    """Quit the desk with Ctrl+Q and wait until it has gone (its draft saved)."""
    tmux.keys("C-q")
    wait_until(lambda: not tmux.alive(), 10, "the desk to quit")


def test_reply_written_in_external_editor_lands_in_composer(desk, tmp_path, tmux):
    path, ids = desk
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Written in my editor.\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'editor = "{editor}"\n[agent]\nname = "alice"\n')
    reply_in_the_first_conversation(tmux, config, path)
    tmux.type("Best, Alice")
    tmux.wait_for("Best, Alice")
    tmux.keys("C-e")
    tmux.wait_for("Written in my editor.")
    # The editor's line starts a line of its own, and typing goes on after the text.
    tmux.type(" Bye.")
    tmux.wait_for("Written in my editor. Bye.")
    quit_desk(tmux)
    with Store(path) as store:
        assert store.drafts.get(ids["refund"]) == "Best, Alice\nWritten in my editor. Bye."
        views = [e["payload"] for e in store.events.read(ids["refund"]) if e["kind"] == "viewed"]
    assert views[-1] == {"focus": False, "reason": "exit"}


def test_an_editor_that_changes_nothing_gives_the_text_back_as_it_was(desk, tmp_path, tmux):
    """A reply ending with an empty line keeps it: typing goes on on that line."""
    path, ids = desk
    config = tmp_path / "config.toml"
    started = tmp_path / "editor-started"  # the editor touches it (and the text, unchanged)
    config.write_text(f'editor = "touch {started}"\n[agent]\nname = "alice"\n')
    reply_in_the_first_conversation(tmux, config, path)
    tmux.type("Hi Ann,")
    tmux.keys("Enter")
    tmux.wait_for("Hi Ann,")
    tmux.keys("C-e")
    wait_until(started.exists, 10, "the editor to start")  # keys typed now come after it
    tmux.type("Your refund")
    tmux.wait_for("Your refund")
    quit_desk(tmux)
    with Store(path) as store:
        assert store.drafts.get(ids["refund"]) == "Hi Ann,\nYour refund"


def test_the_whole_thread_opens_in_the_pager_cleaned(desk, tmp_path, tmux):
    path, ids = desk
    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f'#!/bin/sh\ncp "$1" {paged}\n')
    pager.chmod(0o755)
    tmux.start(f"env PAGER={pager} {sys.executable} -m agentdesk open --db {path}")
    tmux.wait_for("Refund for order 1042")
    tmux.keys("o", "g", "Enter")
    tmux.wait_for("[b]not bold[/b]")  # newest first: Mallory's mail
    tmux.keys("V")
    wait_until(paged.exists, 30, "the pager")
    tmux.wait_for("[b]not bold[/b]")  # back in the desk
    text = paged.read_text(encoding="utf-8")
    assert "[bold red]Mallory[/]" in text and "customer" in text
    assert "[b]not bold[/b]  body" in text  # every body in full, the escapes removed
    assert "\x1b" not in text and "\x07" not in text
