"""The desk on PostgreSQL when the server goes away and comes back (issue 10, failures)."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import threading

import pytest
from conftest import Notices, screen_text, until
from desk_data import build_desk

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.store import DATABASE_ERRORS, Store, StoreError
from agentdesk.store.database import ConnectionLost


async def test_a_draft_typed_while_the_server_is_away_is_saved_when_it_returns(
    private_postgres, alice, frozen_clock
):
    url = private_postgres.new_database()
    with Store(url) as store:
        ids = build_desk(store)
    app, notices = make_app(alice, url, [DemoConnector()]), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        private_postgres.stop_server()
        await pilot.press("r", *"We reset your password.")
        await until(pilot, lambda: notices.matching("the draft stays here"), timeout=10)
        # One line with the cause: "connection to HOST:PORT lost" or, when the live-update
        # thread met the drop first, "reconnecting to HOST:PORT (connection refused)".
        assert notices.matching(f"127.0.0.1:{private_postgres.port}")
        assert app.screen.composer.text == "We reset your password."  # the UI answered
        await pilot.press(*" Log in again")
        private_postgres.start_server()
        await until(pilot, lambda: notices.matching("database: back; the draft is saved"))
        with Store(url) as other:
            assert other.drafts.get(ids["login"]) == "We reset your password. Log in again"


async def test_typing_never_waits_for_a_stalled_server(postgres_url, alice, frozen_clock):
    """Drafts are written in a worker: with every server process of the desk's database
    stopped (SIGSTOP), keys typed into the composer are still answered at once, and the
    draft lands when the server goes on."""
    import psycopg

    with Store(postgres_url) as store:
        ids = build_desk(store)
    app = make_app(alice, postgres_url, [DemoConnector()])
    name = postgres_url.rsplit("/", 1)[1]
    async with app.run_test(size=(160, 40)) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        await pilot.press("r")
        with psycopg.connect(postgres_url.rsplit("/", 1)[0] + "/postgres") as admin:
            pids = [
                row[0]
                for row in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)
                )
            ]
        assert pids
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        # Let the server go on after 20 s whatever happens: a UI thread waiting for it
        # would hold this test (it runs on the app's loop) until then.
        resumed = threading.Event()

        def go_on_now() -> None:
            resumed.set()
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

        go_on = threading.Timer(20, go_on_now)
        go_on.start()
        try:
            for word in ("We reset ", "your password."):
                await pilot.press(*word)
                await pilot.pause(0.6)  # a draft save is due
            await until(pilot, lambda: app.screen.composer.text == "We reset your password.")
            assert not resumed.is_set()  # typed, and answered, while the server stood still
        finally:
            go_on.cancel()
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        # The write that stood still with the server may land first (with the text of its
        # time); the newest text is written after it, never before.
        final = "We reset your password."
        await until(pilot, lambda: app.store.drafts.get(ids["login"], "reply", "alice") == final)
        await pilot.pause(0.5)  # a window in which an older text must not land after it
        assert app.store.drafts.get(ids["login"], "reply", "alice") == final


async def test_a_connector_waits_for_the_database_and_runs_again_when_it_returns(
    private_postgres, alice
):
    """The lease keeper lives through the server going away: the connector stops once its
    lease may have ended, says why, and runs again when the lease can be taken."""
    url = private_postgres.new_database()
    with Store(url) as store:
        build_desk(store)
    team = {"poll_interval": 0.1, "lease_ttl": 1.0, "lease_renew": 0.2}
    config = dataclasses.replace(alice, raw={**alice.raw, "team": team})
    demo = DemoConnector()
    app = make_app(config, url, [demo])
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.host.leading)  # this desk runs it
        private_postgres.stop_server()
        await until(pilot, lambda: "demo: waiting for the database (" in demo.state, timeout=15)
        assert not app.host.leading  # stopped: its lease may be another desk's
        private_postgres.start_server()
        await until(pilot, lambda: app.host.leading, timeout=15)
        assert "waiting for the database" not in demo.state
    # (quitting released the lease instead of failing on the lost connection)
    with Store(url) as store, store.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM connector_leases").fetchone()[0] == 0


def test_an_unreachable_server_is_one_line_and_the_next_statement_reconnects(private_postgres):
    url = private_postgres.new_database()
    with Store(url) as store:
        private_postgres.stop_server()
        lost = f"database: connection to 127.0.0.1:{private_postgres.port} lost"
        with pytest.raises(ConnectionLost, match=lost):
            store.canned.all()
        private_postgres.start_server()
        store.canned.save("thanks", "Thank you!")  # reconnects by itself
        assert store.canned.all() == [("thanks", "Thank you!")]


def team_roles(owner_url: str) -> None:
    """The roles and grants docs/database.md gives a team: agents insert events but never
    change them; bob is an agent."""
    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute(
            "CREATE ROLE agents NOLOGIN;"
            f" GRANT CONNECT ON DATABASE {database} TO agents;"
            " GRANT USAGE ON SCHEMA public TO agents;"
            " GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO agents;"
            " GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO agents;"
            " REVOKE UPDATE, DELETE, TRUNCATE ON events FROM agents;"
            " CREATE ROLE bob LOGIN IN ROLE agents;"
        )


async def test_an_agent_works_as_their_own_login_with_the_documented_grants(
    private_postgres, alice, frozen_clock
):
    url = private_postgres.new_database()
    with Store(url) as store:  # the desk's owner makes the schema
        ids = build_desk(store)
    team_roles(url)
    as_bob = url.replace(f"{private_postgres.USER}@", "bob@")
    with pytest.raises(StoreError, match="you log in as bob, so you work as bob here"):
        make_app(alice, as_bob, [DemoConnector()])
    bob = dataclasses.replace(alice, agent_name="bob", agent_display_name="Bob")
    app = make_app(bob, as_bob, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        app.open_conversation(ids["login"])
        await pilot.pause()
        await pilot.press("r", *"Done, Ann.", "ctrl+s")
        await until(pilot, lambda: not app.screen.composer.text)
    with Store(as_bob) as store:
        assert [e["agent"] for e in store.events.read(ids["login"])][-1] == "bob"
        with store.db.read() as conn, pytest.raises(DATABASE_ERRORS, match="permission denied"):
            conn.execute("UPDATE events SET agent = 'mallory'")


async def test_the_demo_opens_on_postgresql(postgres_url, capsys):
    from agentdesk.cli import main
    from agentdesk.commands.demo import demo_app
    from agentdesk.config import Config

    assert main(["demo", "--db", postgres_url, "--no-open"]) == 0
    assert re.search(r"generated \d{3} conversations", capsys.readouterr().out)
    app = demo_app(Config(), postgres_url)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: "conversations" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ConversationScreen")
    assert main(["demo", "--db", postgres_url, "--regenerate", "--no-open"]) == 0
    assert "generated" in capsys.readouterr().out


def test_a_change_committed_after_a_later_one_is_still_seen(postgres_url, frozen_clock):
    """PostgreSQL commits ids out of order: the watcher's tail keeps the skipped id."""
    with Store(postgres_url) as first, Store(postgres_url) as second, Store(postgres_url) as desk:
        ids = build_desk(first)
        mark = desk.changes.mark()
        with first.atomic():  # takes the lower event id, commits last
            first.conversations.set_status(ids["login"], "pending", "alice")
            second.conversations.set_status(ids["refund"], "pending", "bob")
            changed, mark = desk.changes.since(mark)
            assert changed == {ids["refund"]}
        changed, mark = desk.changes.since(mark)
        assert changed == {ids["login"]}
        assert desk.changes.since(mark)[0] == set()
