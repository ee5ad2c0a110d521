"""Connector leases: one desk runs each connector for the team; another takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import NO_PRESEND, eventually, screen_lines, until, wait_until

from agentdesk import cli, clock
from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.connectors.demo import DemoConnector
from agentdesk.delivery import ChannelHost, Holder
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.store import Store

FAST = {"poll_interval": 0.1, "lease_ttl": 2.0, "lease_renew": 0.3}


def config(agent: str) -> Config:
    return Config(agent_name=agent, raw={**NO_PRESEND, "team": FAST})


def holder(path) -> str | None:
    with Store(path) as store, store.db.read() as conn:
        row = conn.execute("SELECT agent FROM connector_leases WHERE connector = 'demo'").fetchone()
    return row[0] if row else None


def test_a_lease_is_one_desks_until_it_expires_or_is_released(tmp_path):
    with Store(tmp_path / "desk.db") as store:
        leases = store.leases
        first = leases.hold(
            "email", "desk-a", "alice", "2026-01-07T12:00:00Z", "2026-01-07T12:00:20Z"
        )
        assert (first.desk, first.agent) == ("desk-a", "alice")
        other = leases.hold(
            "email", "desk-b", "bob", "2026-01-07T12:00:10Z", "2026-01-07T12:00:30Z"
        )
        assert other.desk == "desk-a"  # still alice's
        renewed = leases.hold(
            "email", "desk-a", "alice", "2026-01-07T12:00:15Z", "2026-01-07T12:00:35Z"
        )
        assert renewed.expires_at == "2026-01-07T12:00:35Z"
        taken = leases.hold(
            "email", "desk-b", "bob", "2026-01-07T12:00:36Z", "2026-01-07T12:00:56Z"
        )
        assert taken.desk == "desk-b"  # alice stopped renewing: bob's now
        leases.release("email", "desk-a")  # not alice's to release any more
        assert leases.hold("email", "desk-c", "carol", "2026-01-07T12:00:40Z", "x").desk == "desk-b"
        leases.release("email", "desk-b")
        assert leases.hold("email", "desk-c", "carol", "2026-01-07T12:00:41Z", "x").desk == "desk-c"


def test_the_connectors_command_says_which_desk_runs_each_one(desk, tmp_path, capsys):
    path, _ = desk
    toml = tmp_path / "config.toml"
    toml.write_text(
        '[[connectors]]\ntype = "demo"\n\n[[connectors]]\ntype = "demo"\nname = "chat2"\n'
    )
    now = clock.now()
    with Store(path) as store:
        store.leases.hold("demo", "host/42/ab", "bob", clock.to_iso(now), "2099-01-01T00:00:00Z")
        store.leases.hold(
            "chat2", "host/43/cd", "carol", "2000-01-01T00:00:00Z", "2000-01-01T00:00:20Z"
        )
    assert cli.main(["connectors", "--config", str(toml), "--db", str(path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("demo "))
    assert row.endswith("configured (demo), run by bob's desk (host/42/ab); configured (chat2)")


def test_the_connectors_command_lists_them_when_the_database_is_away(tmp_path, capsys):
    toml = tmp_path / "config.toml"
    toml.write_text('[[connectors]]\ntype = "demo"\n')
    away = "postgresql://nobody@127.0.0.1:1/desk"
    assert cli.main(["connectors", "--config", str(toml), "--db", away]) == 0
    out, err = capsys.readouterr()
    assert "configured (demo)" in out
    assert err == (
        "agentdesk: database: cannot connect to 127.0.0.1:1 (connection refused);"
        " who runs each connector is not known\n"
    )


def title(app) -> str:
    return screen_lines(app)[0]


async def test_one_desk_runs_the_connector_the_other_says_whose_and_takes_over(desk):
    path, ids = desk
    clock.set_now(None)  # leases expire in real time here
    alice_demo, bob_demo = DemoConnector(), DemoConnector()
    alice = make_app(config("alice"), path, [alice_demo])
    bob = make_app(config("bob"), path, [bob_demo])
    running_alice = alice.run_test(size=(160, 40))
    one = await running_alice.__aenter__()
    try:
        await until(one, lambda: holder(path) == "alice")
        async with bob.run_test(size=(160, 40)) as two:
            await until(two, lambda: "demo: run by alice's desk" in title(bob), timeout=5)
            await two.press("enter")  # bob replies: alice's desk sends it
            await until(two, lambda: isinstance(bob.screen, ConversationScreen))
            await two.press("r", *"Sent by alice's desk", "ctrl+s")
            await until(two, lambda: alice_demo.sent, timeout=5)
            assert [r.text for r in alice_demo.sent] == ["Sent by alice's desk"]
            assert bob_demo.sent == []
            await until(two, lambda: "sent" in "\n".join(screen_lines(bob)), timeout=5)
            await two.press("escape", "escape")  # back to the inbox, whose title says it
            await until(two, lambda: "demo: run by alice's desk" in title(bob), timeout=5)
            await running_alice.__aexit__(None, None, None)  # alice quits
            running_alice = None
            started = time.monotonic()
            await until(two, lambda: holder(path) == "bob", timeout=5)
            assert time.monotonic() - started < 2  # released at quit: taken at once
            await until(two, lambda: "run by" not in title(bob), timeout=5)
    finally:
        if running_alice is not None:
            await running_alice.__aexit__(None, None, None)


async def test_a_desk_renews_its_claims_on_the_replies_it_sends_while_it_lives(desk):
    """A reply being sent names its desk, whose claim the lease keeper renews: no other
    desk starts a send of it until the desk stops (then within a claim's length)."""
    path, ids = desk
    clock.set_now(None)  # claims expire in real time here
    with Store(path) as store, Store(path) as other:
        host = ChannelHost(store, [DemoConnector()], leased=True)
        holder = Holder("elsewhere/1/a", "alice", ttl=1.0, renew=0.2)
        leases = asyncio.create_task(
            host.keep_leases(holder, lambda _: None, lambda _: None, lambda _: None)
        )
        reply_id = store.replies.add(ids["login"], "alice", "On it.", delivery="queued")
        await eventually(lambda: store.replies.desk == holder.desk, 5, "claims named")
        assert store.replies.start_delivery(reply_id) == 1
        other.replies.send_as("elsewhere/2/b", 1.0)
        await asyncio.sleep(2.5)  # more than twice a claim's length: renewed meanwhile
        assert other.replies.claimed_elsewhere(reply_id) is not None
        assert other.replies.start_delivery(reply_id) is None
        leases.cancel()
        await eventually(lambda: other.replies.claimed_elsewhere(reply_id) is None, 5, "its end")
        assert other.replies.start_delivery(reply_id) == 2


def serve(tmp_path, path, agent="serve", ttl=3.0) -> subprocess.Popen:
    toml = tmp_path / "serve.toml"
    toml.write_text(
        f'[[connectors]]\ntype = "demo"\n[team]\nlease_ttl = {ttl}\nlease_renew = 0.5\n'
    )
    log = open(tmp_path / f"{agent}.log", "wb")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "agentdesk", "serve", "--config", str(toml), "--db", str(path)]
        + (["--agent", agent] if agent != "serve" else []),
        stderr=log,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )


@pytest.mark.slow  # runs agentdesk serve in a child process
def test_serve_logs_each_event_and_stops_cleanly_on_sigterm(tmp_path, desk):
    path, ids = desk
    child = serve(tmp_path, path)
    try:
        wait_until(lambda: holder(path) == "serve", what="serve holds the lease")
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=15) == 0
    finally:
        child.kill()
    assert holder(path) is None  # released on the way out
    lines = (tmp_path / "serve.log").read_text().splitlines()
    events = [line.split(" ", 1)[1] for line in lines if line.startswith("20")]
    assert "demo: this desk runs it" in events
    assert events[-2:] == ["stopping", "stopped"]
    assert len(events) == len(lines)  # every line is one timestamped event


@pytest.mark.slow  # runs agentdesk serve in a child process and SIGKILLs it
async def test_a_desk_takes_over_at_once_when_serve_on_its_host_is_killed(tmp_path, desk):
    path, ids = desk
    clock.set_now(None)
    child = serve(tmp_path, path, ttl=30.0)
    try:
        wait_until(lambda: holder(path) == "serve", what="serve holds the lease")
        demo = DemoConnector()
        alice = make_app(config("alice"), path, [demo])
        async with alice.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: "demo: run by serve's desk" in title(alice), timeout=5)
            child.send_signal(signal.SIGKILL)
            child.wait()
            killed = time.monotonic()
            await until(pilot, lambda: holder(path) == "alice", timeout=10)
            took = time.monotonic() - killed
            # Long before its 30 s lease ends: the desk sees the process on this host is gone.
            assert took < 5
            await until(pilot, lambda: "run by" not in title(alice), timeout=5)
    finally:
        child.kill()
