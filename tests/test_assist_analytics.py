"""Assist analytics: share of replies drafted with assist, sent as is or edited, and the
median edit distance, per agent, in ``agentdesk stats`` and on the stats screen."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import screen_text
from metrics_data import Desk, at

from agentdesk import cli, clock
from agentdesk.screens.stats import StatsScreen
from agentdesk.widgets.assist_panel import AssistPanel


@pytest.fixture
def assisted(tmp_path):
    clock.set_now(datetime(2026, 11, 6, 12, tzinfo=UTC))
    desk = Desk(tmp_path / "desk.db")
    for n, (distance, agent) in enumerate(
        [(0, "alice"), (3, "alice"), (None, "alice"), (5, "bob")]
    ):
        uid = f"A{n}"
        desk.inbound(uid, "Mon 09:00")
        desk.store.replies.add(
            desk.ids[uid], agent, "answer", at=at("Mon 09:30"),
            ai_assisted=distance is not None, edit_distance=distance,
        )  # fmt: skip
    desk.close()
    yield tmp_path / "desk.db"
    clock.set_now(None)


def test_stats_json_and_table_show_assist_use(assisted, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "alice"\n')
    base = ["--config", str(config), "stats", "--db", str(assisted), "--since", "2026-11-01"]
    assert cli.main([*base, "--format", "json"]) == 0
    rows = {row["agent"]: row for row in json.loads(capsys.readouterr().out)}
    alice = rows["alice"]
    assert alice["assisted_rate"] == {"count": 3, "assisted": 2, "percent": 66.7}
    assert alice["accepted_as_is_rate"] == {"count": 2, "as_is": 1, "percent": 50.0, "edited": 1}
    assert alice["edit_distance"] == {"count": 2, "median": 1.5, "p90": 3.0}
    assert rows["(team)"]["edit_distance"]["median"] == 3.0
    assert cli.main(base) == 0
    table = capsys.readouterr().out.splitlines()
    assert "Assisted" in table[1] and "As is" in table[1] and "Edits med" in table[1]
    line = next(row for row in table if row.startswith("alice"))
    assert line.split()[-7:] == ["66.7%", "(3)", "50%", "(2)", "1.5", "words", "(2)"]
    assert cli.main([*base, "--format", "csv"]) == 0
    assert "accepted_as_is_rate_edited" in capsys.readouterr().out.splitlines()[0]


async def test_an_accepted_draft_sent_as_is_shows_on_the_stats_screen(desk, alice):
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Ann's refund; the panel drafts offline
        panel = app.screen.query_one(AssistPanel)
        async with asyncio.timeout(10):
            while not panel.text or panel.streaming:
                await pilot.pause(0.05)
        panel.focus()
        await pilot.press("enter", "ctrl+s")  # use the draft, send it unedited
        await app.workers.wait_for_complete()
        clock.set_now(clock.now() + timedelta(minutes=1))  # the period ends before "now"
        await pilot.press("escape", "S")
        await pilot.pause()
        while any(not w.is_finished for w in app.workers if w.group.startswith("stats")):
            await asyncio.sleep(0.01)
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        header = next(line for line in screen_text(app).splitlines() if "Assisted" in line)
        row = next(line for line in screen_text(app).splitlines() if line.startswith(" alice"))
        at = header.index("Assisted")
        # alice's earlier reply was her own; this one was the draft, not edited at all
        assert row[at:].split()[:6] == ["50%", "(2)", "100%", "(1)", "0", "words"]
