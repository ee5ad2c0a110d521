"""Assist analytics: share of replies drafted with assist, sent as is or edited, the
median edit distance, rewrites used and articles inserted, per agent, in ``agentdesk
stats`` and on the stats screen."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from assist_data import write_kb
from conftest import Notices, screen_text, until
from metrics_data import MONDAY, Desk, at

from agentdesk import cli, clock
from agentdesk.assist.kbimport import import_kb
from agentdesk.domain import EventKind
from agentdesk.metrics.aggregate import summarize
from agentdesk.metrics.collect import collect
from agentdesk.metrics.period import parse_period
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.screens.stats import StatsScreen
from agentdesk.store import Store
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
    assert line[table[1].index("Assisted") :].split() == [
        *("66.7%", "(3)", "50%", "(2)", "1.5", "words", "(2)"),
        *("0", "0"),  # no rewrite used, no article inserted
    ]
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


def _use(store: Store, cid: int, agent: str, when: str, kind: EventKind, **payload) -> None:
    store.events.append(cid, kind, at(when), agent, None, payload)


def test_rewrites_and_articles_are_counted_per_agent_in_the_period(desk_target):
    """On both engines: each use counts for the agent who made it, in the period its
    event falls in; a rewrite's tone and an article's slug are in the drill-down."""
    desk = Desk(desk_target)
    cid = desk.inbound("U1", "Mon 09:00")
    other = desk.inbound("U2", "Mon 10:00")
    _use(
        desk.store, cid, "alice", "Mon 09:10", EventKind.REWRITE_USED, tone="concise", by="offline"
    )
    _use(desk.store, cid, "alice", "Mon 09:11", EventKind.REWRITE_USED, tone="formal", by="model")
    _use(
        desk.store,
        cid,
        "alice",
        "Mon 09:12",
        EventKind.ARTICLE_INSERTED,
        article="billing/refunds",
        **{"as": "answer"},
    )
    _use(
        desk.store,
        other,
        "bob",
        "Tue 11:00",
        EventKind.ARTICLE_INSERTED,
        article="billing/refunds",
        **{"as": "link"},
    )
    _use(
        desk.store,
        other,
        "bob",
        "Tue 11:00",
        EventKind.ARTICLE_INSERTED,
        article="shipping/track-parcel",
        **{"as": "link"},
    )
    _use(
        desk.store,
        other,
        "bob",
        "+1 Mon 09:00",
        EventKind.REWRITE_USED,
        tone="friendlier",
        by="offline",
    )
    period = parse_period("2026-11-02", "2026-11-08")
    facts = collect([desk.store], period, MetricsSettings(), now=MONDAY.timestamp())
    rows = {row.agent: row for row in summarize(facts)}
    assert (rows["alice"].rewrites_used, rows["alice"].articles_inserted) == (2, 1)
    assert (rows["bob"].rewrites_used, rows["bob"].articles_inserted) == (
        0,
        2,
    )  # next week's is out
    assert (rows["(team)"].rewrites_used, rows["(team)"].articles_inserted) == (2, 3)
    assert rows["alice"].replies == 0 and rows["alice"].conversations == 0  # uses are no replies
    assert sorted(f.state for f in rows["alice"].facts_for("rewrites_used")) == [
        "concise (offline)",
        "formal (model)",
    ]
    assert sorted(f.state for f in rows["bob"].facts_for("articles_inserted")) == [
        "billing/refunds (link)",
        "shipping/track-parcel (link)",
    ]
    desk.close()


def test_stats_formats_show_rewrites_and_articles(tmp_path, capsys):
    desk = Desk(tmp_path / "desk.db")
    cid = desk.inbound("U1", "Mon 09:00")
    _use(
        desk.store, cid, "alice", "Mon 09:10", EventKind.REWRITE_USED, tone="concise", by="offline"
    )
    _use(
        desk.store,
        cid,
        "alice",
        "Mon 09:12",
        EventKind.ARTICLE_INSERTED,
        article="billing/refunds",
        **{"as": "answer"},
    )
    desk.close()
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "alice"\n')
    base = ["--config", str(config), "stats", "--db", str(tmp_path / "desk.db")]
    base += ["--since", "2026-11-01", "--until", "2026-11-08"]
    assert cli.main([*base, "--format", "json"]) == 0
    alice = next(r for r in json.loads(capsys.readouterr().out) if r["agent"] == "alice")
    assert (alice["rewrites_used"], alice["articles_inserted"]) == (1, 1)
    assert cli.main([*base, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, alice_line = lines[0].split(","), next(x for x in lines if x.startswith("alice"))
    cells = dict(zip(header, alice_line.split(","), strict=True))
    assert (cells["rewrites_used"], cells["articles_inserted"]) == ("1", "1")
    assert cli.main(base) == 0
    table = capsys.readouterr().out.splitlines()
    line = next(row for row in table if row.startswith("alice"))
    assert line[table[1].index("Rewrites") :].split() == ["1", "1"]
    assert (
        cli.main([*base, "--explain", "articles_inserted", "--agent", "alice", "--format", "json"])
        == 0
    )
    [fact] = json.loads(capsys.readouterr().out)["facts"]
    assert (fact["value"], fact["state"]) == ("used", "billing/refunds (answer)")


async def test_a_rewrite_and_an_article_used_in_the_app_show_in_stats(
    desk, alice, tmp_path, capsys
):
    """Through the app: draft, a friendlier rewrite accepted, an article inserted, sent;
    the stats screen and ``agentdesk stats --format json`` count both uses for alice."""
    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector
    from agentdesk.screens.conversation import ConversationScreen

    path, ids = desk
    with Store(path) as db:
        import_kb(db, write_kb(tmp_path / "kb"))
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Ann's refund; the panel drafts offline
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        panel = screen.query_one(AssistPanel)
        await until(pilot, lambda: panel.text and not panel.streaming and panel.context)
        panel.focus()
        await pilot.press("enter")  # use the draft: the composer has the focus now
        await pilot.press("escape", "a", "f")  # back to the panel: friendlier
        await until(pilot, lambda: panel.rewrite_of is not None and not panel.streaming)
        await pilot.press("enter")  # accept the rewrite
        await pilot.pause()
        assert "rewrite accepted" in screen_text(app)
        await pilot.press("escape", "a", "1")  # the first article, before the signature
        await pilot.pause()
        assert "How refunds work:" in screen.composer.text
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        clock.set_now(clock.now() + timedelta(minutes=1))  # the period ends before "now"
        await pilot.press("escape", "S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen) and app.screen.rows)
        await pilot.press(*["right"] * 20)  # the last columns scroll into view
        await pilot.pause()
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "Rewrites" in line)
        row = next(line for line in lines if line.startswith(" alice"))
        assert row[header.index("Rewrites") :].split()[:2] == ["1", "1"]
    with Store(path) as db:
        uses = [
            (e["kind"], e["agent"], e["payload"])
            for e in db.events.read(ids["refund"])
            if e["kind"] in ("rewrite_used", "article_inserted")
        ]
    assert uses == [
        ("rewrite_used", "alice", {"tone": "friendlier", "by": "offline"}),
        ("article_inserted", "alice", {"article": "billing/refunds", "as": "answer"}),
    ]
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "alice"\n')
    assert cli.main(["--config", str(config), "stats", "--db", str(path), "--format", "json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["agent"] == "alice")
    assert (row["rewrites_used"], row["articles_inserted"]) == (1, 1)
    assert row["assisted_rate"]["assisted"] == 1


def test_assist_uses_change_nothing_another_desk_shows(desk_target):
    """Live updates skip them, as they skip focus events: no desk re-reads for them."""
    desk = Desk(desk_target)
    cid = desk.inbound("U1", "Mon 09:00")
    mark = desk.store.changes.mark()
    _use(desk.store, cid, "alice", "Mon 09:10", EventKind.REWRITE_USED, tone="formal", by="model")
    _use(
        desk.store,
        cid,
        "alice",
        "Mon 09:11",
        EventKind.ARTICLE_INSERTED,
        article="a",
        **{"as": "link"},
    )
    changed, mark = desk.store.changes.since(mark)
    assert changed == set()
    desk.reply("U1", "alice", "Mon 09:12")
    assert desk.store.changes.since(mark)[0] == {cid}
    desk.close()


async def test_an_article_inserted_while_the_server_is_away_is_recorded_when_it_returns(
    private_postgres, alice, frozen_clock, tmp_path
):
    from desk_data import build_desk

    from agentdesk.app import make_app
    from agentdesk.connectors.demo import DemoConnector

    url = private_postgres.new_database()
    with Store(url) as store:
        ids = build_desk(store)
        import_kb(store, write_kb(tmp_path / "kb"))
    app, notices = make_app(alice, url, [DemoConnector()]), Notices()
    async with app.run_test(size=(200, 40), message_hook=notices) as pilot:
        app.open_conversation(ids["refund"])
        await until(
            pilot,
            lambda: app.screen.query(AssistPanel) and app.screen.query_one(AssistPanel).context,
        )
        private_postgres.stop_server()
        await pilot.press("a", "1")  # the panel, then the first article: the database is away
        await until(pilot, lambda: "How refunds work:" in app.screen.composer.text)
        await asyncio.sleep(0.3)  # the writer has tried meanwhile: refused
        assert app.event_writer.unwritten  # kept, not lost
        private_postgres.start_server()
        await until(pilot, lambda: not app.event_writer.unwritten)  # the writer tries again
        await pilot.press("escape", "a", "2")
        await until(pilot, lambda: not app.event_writer.unwritten)
    with Store(url) as store:
        inserted = [
            e["payload"]["article"]
            for e in store.events.read(ids["refund"])
            if e["kind"] == "article_inserted"
        ]
    assert inserted[0] == "billing/refunds" and len(inserted) == 2
