"""SIGKILL at every step of a send and of a sync, restart, compare with an unbroken run.

isync's ``run-tests.pl`` pattern: the desk runs in a process of its own
(``desk_process.py``, the real app with the configured email connector) against
dovecot and the SMTP sink; the test kills it with SIGKILL at one step, starts it
again on the same database and checks what reached the customer and the Sent folder.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import mail_samples as samples
import pytest
from conftest import wait_until

DRIVER = Path(__file__).with_name("desk_process.py")
REPLY = "Sorry Carol, order 7 ships today."

# step -> how many copies the customer gets (the DATA window is SMTP's own: the
# server has the mail, the desk never heard its 250; the reply then says so)
SEND_STEPS = {
    None: 1,
    "stored": 1,
    "ehlo": 1,
    "data": 2,
    "after_data": 2,
    "accepted": 1,
    "append": 1,
}


def write_config(path: Path, settings: dict) -> Path:
    lines = [
        "[agent]",
        'name = "alice"',
        "",
        "[[connectors]]",
        'type = "email"',
        'name = "support"',
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def start(mode: str, config: Path, db: Path, *args: str) -> subprocess.Popen:
    log = open(db.with_suffix(f".{mode}.log"), "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, str(DRIVER), mode, str(config), str(db), *args],
        stdout=log,
        stderr=log,
        env={**os.environ, "TERM": "dumb"},
    )


def query(db: Path, sql: str, *args) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # the schema is still being created
            return []


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)


def helpers_of(pid: int) -> set[int]:
    """Live multiprocessing children of process ``pid`` (pool workers, resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z" and b"multiprocessing" in cmdline:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def outbox_state(db: Path) -> str | None:
    rows = query(db, "SELECT state FROM mail_outbox")
    return rows[0][0] if rows else None


def sent_files(dovecot, folder: str) -> int:
    root = dovecot.root / "mail" / dovecot.user / f".{folder}"
    return sum(len(os.listdir(root / sub)) for sub in ("new", "cur") if (root / sub).exists())


@pytest.mark.parametrize("step", list(SEND_STEPS), ids=lambda s: s or "unbroken")
def test_sigkill_at_every_step_of_a_send(step, dovecot, smtp_server, tmp_path):
    smtp_server.reset()
    folder, sent = f"K-{tmp_path.name}"[:40], f"KS-{tmp_path.name}"[:40]
    dovecot.fill(folder, [samples.plain(7, message_id="<order7@example.com>")])
    with dovecot.client() as client:
        client.create(sent)
    config = write_config(
        tmp_path / "config.toml",
        dovecot.settings(
            folders=[folder],
            sent_folder=sent,
            smtp_host="localhost",
            smtp_port=smtp_server.port,
            smtp_security="starttls",
        ),
    )
    db = tmp_path / "desk.db"
    desk = start("reply", config, db, REPLY)
    try:
        if step in ("ehlo", "data", "after_data"):
            smtp_server.hooks[step] = lambda: kill(desk)
        if step == "stored":  # hold the SMTP dialogue so the kill lands before it
            smtp_server.hooks["ehlo"] = lambda: time.sleep(2)
        if step in (None, "ehlo", "data", "after_data"):
            wait_until(lambda: desk.poll() is not None or outbox_state(db) == "done", 60)
        elif step == "stored":
            wait_until(
                lambda: query(db, "SELECT 1 FROM messages WHERE direction = 'out'"), 60, every=0.001
            )
        elif step == "accepted":
            wait_until(lambda: outbox_state(db) in ("accepted", "saved", "done"), 60, every=0.001)
        elif step == "append":
            wait_until(
                lambda: sent_files(dovecot, sent) > 0 or outbox_state(db) == "done", 60, every=0.001
            )
        assert desk.poll() in (None, -signal.SIGKILL), db.with_suffix(".reply.log").read_text()
        if desk.poll() is None:
            kill(desk)
    finally:
        if desk.poll() is None:
            kill(desk)
        desk.wait(10)
    killed_in = outbox_state(db)
    smtp_server.hooks.clear()
    resumed = start("resume", config, db)
    assert resumed.wait(90) == 0, db.with_suffix(".resume.log").read_text()

    header = query(db, "SELECT message_id_header FROM mail_outbox")[0][0]
    copies = smtp_server.message_ids().count(header)
    delivery = query(db, "SELECT delivery FROM messages WHERE direction = 'out'")[0][0]
    replies = query(db, "SELECT count(*) FROM events WHERE kind = 'reply'")[0][0]
    assert copies == SEND_STEPS[step], (step, killed_in, copies)
    assert len(dovecot.mailbox_messages(sent)) == 1, (step, killed_in)
    assert outbox_state(db) == "done" and replies == 1
    if copies == 2:
        assert "may have been delivered twice" in delivery
    else:
        assert delivery == "sent", (step, killed_in, delivery)


def test_sigkill_during_a_sync_batch_loses_and_repeats_nothing(dovecot, tmp_path):
    count = 3000
    folder = f"KB-{tmp_path.name}"[:40]
    dovecot.fill(folder, [samples.plain(n, sender=f"c{n % 50}@example.com") for n in range(count)])
    config = write_config(tmp_path / "config.toml", dovecot.settings(folders=[folder]))
    db = tmp_path / "desk.db"
    stored = lambda: (query(db, "SELECT count(*) FROM messages") or [(0,)])[0][0]  # noqa: E731
    seen_workers: set[int] = set()
    for kill_at in (1, count // 3, 2 * count // 3):  # mid-batch, three times
        desk = start("sync", config, db)
        wait_until(
            lambda: stored() >= kill_at or desk.poll() is not None,  # noqa: B023
            120,
            every=0.001,
        )
        workers = helpers_of(desk.pid)
        if desk.poll() is None:
            kill(desk)
        desk.wait(10)
        seen_workers.update(workers)
        # the parsing workers end with the desk, even one killed by SIGKILL
        wait_until(lambda: not any(alive(pid) for pid in workers), 10)  # noqa: B023
    assert seen_workers, "no parsing worker was seen: the sync never used its pool"
    desk = start("sync", config, db)
    assert desk.wait(180) == 0, db.with_suffix(".sync.log").read_text()
    assert stored() == count
    assert query(db, "SELECT count(DISTINCT ext_id), count(*) FROM messages")[0] == (count, count)
    assert query(db, "SELECT count(*) FROM mail_messages")[0][0] == count
