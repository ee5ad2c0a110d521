"""The lead's view: who is online, what each agent views and types (screen and CLI)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import NO_PRESEND, run_command, screen_lines, screen_text, until
from desk_data import build_desk

from agentdesk import clock
from agentdesk.app import make_app
from agentdesk.cli import main
from agentdesk.config import Config
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.screens.online import OnlineScreen
from agentdesk.store import Store


def config(agent: str) -> Config:
    team = {"poll_interval": 0.1, "presence_timeout": 6.0, "heartbeat": 0.5}
    return Config(agent_name=agent, raw={**NO_PRESEND, "team": team})


def line(app, words: str) -> str:
    return next((text for text in screen_lines(app) if words in text), "")


async def test_the_lead_sees_who_is_online_what_they_view_and_a_dead_desk_drop_out(desk):
    path, ids = desk
    clock.set_now(None)  # presence ages in real time here
    lead, bob = make_app(config("lena"), path, []), make_app(config("bob"), path, [])
    async with lead.run_test(size=(160, 40)) as one, bob.run_test(size=(160, 40)) as two:
        await two.pause()
        await two.press("enter")  # bob opens the refund (the first row)
        await until(two, lambda: isinstance(bob.screen, ConversationScreen))
        await one.pause()
        await run_command(one, "Who is online")
        await until(one, lambda: isinstance(lead.screen, OnlineScreen))
        await until(one, lambda: "Ann Lee · Refund for order 1042" in line(lead, "bob"), timeout=10)
        assert "viewing" in line(lead, "bob")
        assert "inbox" in line(lead, "lena")  # the lead's own desk
        with Store(path) as gone:  # a desk that showed the hostile conversation, then died
            gone.presence.beat("dead-desk", "dev", ids["hostile"], "noting", clock.now_iso())
        await until(one, lambda: "typing a note" in line(lead, "dev"), timeout=5)
        dev = line(lead, "dev")
        assert "Mallory" in dev and "prize" in dev
        assert "\x1b" not in screen_text(lead) and "[bold red]" in dev  # text, not markup
        await two.press("r", *"Hello Ann")
        await until(one, lambda: "typing a reply" in line(lead, "bob"), timeout=10)
        await until(one, lambda: not line(lead, "dev"), timeout=10)  # its timeout passed
        await two.press("escape", "escape")  # bob back to the inbox
        await until(one, lambda: "inbox" in line(lead, "bob"), timeout=10)
        await one.press("escape")
        await until(one, lambda: not isinstance(lead.screen, OnlineScreen))


async def test_the_stats_screen_opens_who_is_online_and_enter_joins_the_agent(desk):
    path, ids = desk
    with Store(path) as other:  # bob's desk, beating at the frozen time
        other.presence.beat("bob-desk", "bob", ids["login"], "viewing", clock.now_iso())
    lead = make_app(config("lena"), path, [])
    async with lead.run_test(size=(160, 40)) as pilot:
        await pilot.press("S", "o")
        await until(pilot, lambda: isinstance(lead.screen, OnlineScreen))
        await until(pilot, lambda: "Zoë Ångström" in line(lead, "bob"))
        assert lead.screen.rows[0].agent == "bob"  # the cursor's row
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(lead.screen, ConversationScreen))
        await until(pilot, lambda: lead.screen.conversation_id == ids["login"])


def test_agentdesk_online_lists_each_desk_in_every_format(desk, capsys):
    path, ids = desk
    now = clock.now_iso()
    with Store(path) as store:
        store.presence.beat("bob-desk", "bob", ids["hostile"], "replying", now)
        store.presence.beat("alice-desk", "alice", None, "viewing", now)
        store.presence.beat("gone", "dev", ids["refund"], "viewing", "2020-01-01T00:00:00Z")
    assert main(["online", "--db", str(path)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0] == "Online now: 2 desks"
    assert "dev" not in table and "\x1b" not in table
    bob = next(text for text in table.splitlines() if text.startswith("bob"))
    assert "typing a reply" in bob and "Mallory" in bob
    assert main(["online", "--db", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["agent"], r["conversation_id"], r["activity"]) for r in rows] == [
        ("alice", None, "viewing"),
        ("bob", ids["hostile"], "replying"),
    ]
    assert "\x1b" not in rows[1]["customer"] + rows[1]["subject"]
    assert rows[1]["online_seconds"] == 0 and rows[1]["last_seen"] == now
    assert main(["online", "--db", str(path), "--format", "csv"]) == 0
    assert list(csv.DictReader(io.StringIO(capsys.readouterr().out))) == [
        {key: "" if value is None else str(value) for key, value in row.items()} for row in rows
    ]


async def test_a_read_only_lead_role_runs_agentdesk_online(private_postgres, frozen_clock, capsys):
    import psycopg

    url = private_postgres.new_database()
    with Store(url) as store:
        ids = build_desk(store)
        store.presence.beat("bob-desk", "bob", ids["refund"], "viewing", clock.now_iso())
    with psycopg.connect(url, autocommit=True) as conn:  # the grants of docs/database.md
        database = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute(
            "CREATE ROLE leads NOLOGIN;"
            f" GRANT CONNECT ON DATABASE {database} TO leads;"
            " GRANT USAGE ON SCHEMA public TO leads;"
            " GRANT SELECT ON ALL TABLES IN SCHEMA public TO leads;"
            " CREATE ROLE lena LOGIN IN ROLE leads;"
        )
    as_lena = url.replace(f"{private_postgres.USER}@", "lena@")
    assert main(["online", "--db", as_lena, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["agent"], r["subject"]) for r in rows] == [("bob", "Refund for order 1042")]
    with psycopg.connect(as_lena) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM presence")  # a lead only reads
