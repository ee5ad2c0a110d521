"""The desk on PostgreSQL when the server goes away and comes back (issue 10, failures)."""

from __future__ import annotations

from conftest import Notices, until
from desk_data import build_desk

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.store import Store


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
        assert notices.matching("database: connection to 127.0.0.1")  # one line, the cause
        assert app.screen.composer.text == "We reset your password."  # the UI answered
        await pilot.press(*" Log in again")
        private_postgres.start_server()
        await until(pilot, lambda: notices.matching("database: back; the draft is saved"))
        with Store(url) as other:
            assert other.drafts.get(ids["login"]) == "We reset your password. Log in again"


def test_an_unreachable_server_is_one_line_and_the_next_statement_reconnects(private_postgres):
    url = private_postgres.new_database()
    with Store(url) as store:
        private_postgres.stop_server()
        try:
            store.canned.all()
        except Exception as error:  # noqa: BLE001 - the message is what is checked
            assert str(error).startswith(
                f"database: connection to 127.0.0.1:{private_postgres.port} lost"
            )
        else:
            raise AssertionError("a read on a stopped server succeeded")
        private_postgres.start_server()
        store.canned.save("thanks", "Thank you!")  # reconnects by itself
        assert store.canned.all() == [("thanks", "Thank you!")]
