"""The real program in a real terminal (tmux): start-up, $EDITOR round trip, quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from agentdesk.store import Store

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen:\n{screen}")


@pytest.fixture
def tmux_session():
    name = f"agentdesk-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_reply_written_in_external_editor_lands_in_composer(desk, tmp_path, tmux_session):
    path, ids = desk
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Written in my editor.\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'editor = "{editor}"\n[agent]\nname = "alice"\n')
    env = {**os.environ, "TERM": "xterm-256color"}
    command = f"{sys.executable} -m agentdesk --config {config} open --db {path}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", tmux_session, "-x", "160", "-y", "40", command],
        check=True,
        env=env,
    )
    wait_for(tmux_session, "Refund for order 1042")
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "Enter"], check=True)
    wait_for(tmux_session, "still have no refund")
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "r"], check=True)
    wait_for(tmux_session, "^s Send")  # the composer has focus
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "-l", "Best, Alice"], check=True)
    wait_for(tmux_session, "Best, Alice")
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "C-e"], check=True)
    wait_for(tmux_session, "Written in my editor.")
    # The editor's line starts a line of its own, and typing goes on after the text.
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "-l", " Bye."], check=True)
    wait_for(tmux_session, "Written in my editor. Bye.")
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "C-q"], check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = (
            subprocess.run(
                ["tmux", "has-session", "-t", tmux_session], capture_output=True
            ).returncode
            == 0
        )
        if not alive:
            break
        time.sleep(0.2)
    with Store(path) as store:
        assert store.drafts.get(ids["refund"]) == "Best, Alice\nWritten in my editor. Bye."
        views = [e["payload"] for e in store.events.read(ids["refund"]) if e["kind"] == "viewed"]
    assert views[-1] == {"focus": False, "reason": "exit"}


def test_the_whole_thread_opens_in_the_pager_cleaned(desk, tmp_path, tmux_session):
    path, ids = desk
    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f'#!/bin/sh\ncp "$1" {paged}\n')
    pager.chmod(0o755)
    env = {**os.environ, "TERM": "xterm-256color"}
    command = f"env PAGER={pager} {sys.executable} -m agentdesk open --db {path}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", tmux_session, "-x", "160", "-y", "40", command],
        check=True,
        env=env,
    )
    wait_for(tmux_session, "Refund for order 1042")
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "o", "g", "Enter"], check=True)
    wait_for(tmux_session, "[b]not bold[/b]")  # newest first: Mallory's mail
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "V"], check=True)
    deadline = time.monotonic() + 30
    while not paged.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    wait_for(tmux_session, "[b]not bold[/b]")  # back in the desk
    text = paged.read_text(encoding="utf-8")
    assert "[bold red]Mallory[/]" in text and "customer" in text
    assert "[b]not bold[/b]  body" in text  # every body in full, the escapes removed
    assert "\x1b" not in text and "\x07" not in text
