"""The stats screen in a tiny app: table, toggles, period switch, trends and drill-down."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import screen_lines
from metrics_data import Desk, worked_example
from textual.app import App
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Sparkline

import agentdesk
from agentdesk import clock
from agentdesk.config import Config
from agentdesk.metrics.explain import explained
from agentdesk.metrics.facts import FRT, REPLY_TIME
from agentdesk.metrics.report import COLUMNS
from agentdesk.screens.stats import DrillDownScreen, StatsScreen
from agentdesk.widgets.key_bar import KeyBar
from agentdesk.widgets.stats_table import StatsTable


class StatsApp(App):
    """Pushes the stats screen; records which conversation the drill-down opens."""

    CSS_PATH = str(Path(agentdesk.__file__).parent / "screens" / "stats.tcss")  # as the desk

    def __init__(self, store) -> None:
        super().__init__()
        self.store = store
        self.opened: list[int] = []

    def on_mount(self) -> None:
        self.push_screen(StatsScreen(self.store, Config()))

    def open_conversation(self, conversation_id: int) -> None:
        self.opened.append(conversation_id)


@pytest.fixture
def desk(tmp_path):
    clock.set_now(datetime(2026, 11, 6, 12, tzinfo=UTC))  # Friday after the worked example
    desk = Desk(tmp_path / "desk.db")
    worked_example(desk)
    yield desk
    desk.close()
    clock.set_now(None)


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def cells(table: DataTable | StatsTable) -> list[list[str]]:
    return [[str(value) for value in table.get_row_at(i)] for i in range(table.row_count)]


async def test_table_toggles_and_drill_down(desk, tmp_path):
    app = StatsApp(desk.store)
    async with app.run_test(size=(220, 50)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        table = screen.query_one("#stats-table", StatsTable)
        rows = cells(table)
        assert [row[0] for row in rows] == ["alice", "bob", "(team)"]
        assert rows[0][3] == "30m/30m (3)"  # FRT
        assert rows[0][4] == "50% (2, 1 prov.)"  # C1 resolved 4 days ago: provisional

        await pilot.press("c")
        await settle(app, pilot)
        assert [row[0] for row in cells(table)] == ["(team) / chat", "(team) / email"]
        await pilot.press("c")
        await settle(app, pilot)

        table.cursor_coordinate = Coordinate(0, 3)  # alice, first response time
        await pilot.press("enter")
        await pilot.pause()
        drill = app.screen
        assert isinstance(drill, DrillDownScreen)
        listed = cells(drill.query_one(DataTable))
        assert [(row[0], row[5]) for row in listed] == [("C1", "30m"), ("C3", "10m"), ("C3", "30m")]
        assert listed[0][1] == "c1@customer.example"  # the customer (no name here)
        assert listed[0][2] == "hello"  # no subject: the first line, as the inbox shows it
        assert listed[0][7] == "Mon 02 Nov 09:00"  # local time (the tests run in UTC)
        bar = drill.query_one(KeyBar).render().plain  # its own keys, not the stats screen's
        assert "esc Back" in bar and "e Export CSV" in bar and "Today" not in bar

        await pilot.press("e")  # export: the file name is asked, then the CSV written
        await pilot.pause()
        target = tmp_path / "frt.csv"
        prompt = app.screen.query_one(Input)
        prompt.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        lines = target.read_text().splitlines()
        assert (
            lines[0]
            == "conversation,customer,subject,channel,agent,value,seconds,between,from,to,state"
        )
        assert lines[1].startswith("C1,c1@customer.example,hello,email,alice,30m,1800,")
        assert len(lines) == 4 and app.screen is drill
        await pilot.press("enter")
        await pilot.pause()
        assert app.opened == [desk.ids["C1"]]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        sparklines = list(screen.query(Sparkline))
        assert len(sparklines) == 2  # alice and bob replied in the last weeks
        assert list(sparklines[1].data)[-1] == 1200.0  # bob's median FRT this week

        await pilot.press("1")  # today: nothing happened yet on Friday
        await settle(app, pilot)
        assert table.row_count == 0
        assert "No events" in str(screen.query_one("#stats-note").render())


async def test_drill_down_without_an_opener_dismisses_with_the_id(desk):
    from agentdesk.metrics.collect import collect
    from agentdesk.metrics.period import parse_period
    from agentdesk.metrics.settings import MetricsSettings

    facts = [
        f
        for f in collect([desk.store], parse_period("2026-11-01", "2026-11-30"), MetricsSettings())
        if f.metric == "fcr"
    ]
    results: list[int | None] = []
    app = App()
    async with app.run_test() as pilot:
        app.push_screen(
            DrillDownScreen("fcr", explained([desk.store], facts, None)), results.append
        )
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
    assert results == [desk.ids["C2"]]


async def test_the_desk_opens_stats_with_S_and_a_drilled_conversation(desk, tmp_path):
    from agentdesk.app import make_app
    from agentdesk.screens.conversation import ConversationScreen

    app = make_app(Config(agent_name="alice"), desk.store.path, [])
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await pilot.press("S")
        await settle(app, pilot)
        assert isinstance(app.screen, StatsScreen)
        table = app.screen.query_one("#stats-table", StatsTable)
        table.cursor_coordinate = Coordinate(1, [k for _, k in COLUMNS].index(REPLY_TIME))
        await pilot.press("enter")  # bob's reply time: C2
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == desk.ids["C2"]


async def test_leaving_before_the_figures_arrive_is_harmless(desk):
    app = StatsApp(desk.store)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await pilot.press("3", "c", "escape")  # new computations, then leave at once
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)
        assert app.is_running


async def test_a_narrow_table_scrolls_right_with_the_agent_column_in_place(desk):
    """Issue 12.15: columns come in priority order (a lead's first questions first) and
    the agent column stays while the least used figures scroll into view."""
    from conftest import screen_text

    app = StatsApp(desk.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        first = screen_text(app)
        for header in ("Agent", "FRT", "FCR (prov.)", "CSAT", "Resolution"):
            assert header in first
        assert "Full res. med" not in first
        bar = first.splitlines()[-1]  # the key bar keeps Back at 100 columns
        assert "w Trend esc Back" in bar, bar
        for _ in COLUMNS:
            await pilot.press("right")
        await pilot.pause()
        last = screen_text(app)
        assert "Full res. med" in last and "Reopen" in last
        assert "alice" in last and "(team)" in last  # the fixed column
        assert "FRT" not in last  # scrolled away


async def test_w_cycles_the_weekly_trends(desk):
    """Issue 12.17: trends of resolution time, FCR and CSAT beside first response."""
    from conftest import screen_text

    app = StatsApp(desk.store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert "Weekly median first response time" in screen_text(app)
        await pilot.press("w")
        await pilot.pause()
        shown = screen_text(app)
        assert "Weekly median resolution time, last 8 weeks" in shown
        assert [list(s.data)[-1] for s in screen.query(Sparkline)] == [1860.0, 2460.0]
        assert "31m" in shown and "41m" in shown  # alice's and bob's this week
        await pilot.press("w")
        await pilot.pause()
        assert "Weekly first contact resolution %" in screen_text(app)
        assert [list(s.data)[-1] for s in screen.query(Sparkline)] == [50.0, 0.0]
        await pilot.press("w")
        await pilot.pause()
        assert "Weekly satisfied customers (CSAT %), last 8 weeks" in screen_text(app)
        await pilot.press("w")
        await pilot.pause()
        assert "Weekly median first response time" in screen_text(app)


async def test_d_compares_with_the_previous_period(desk):
    """Issue 12.17: each figure's change since the period before, green when better."""
    from agentdesk.domain import Inbound

    cid, _ = desk.store.messages.record_inbound(
        Inbound(
            channel="email",
            address="c0@customer.example",
            text="hello",
            at="2026-10-27T09:00:00Z",  # the week before the 7 days on screen
            thread_key="C0",
            ext_id="c0",
        )
    )
    desk.store.replies.add(cid, "alice", "answer", at="2026-10-27T09:10:00Z")
    app = StatsApp(desk.store)
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        table = app.screen.query_one("#stats-table", StatsTable)
        keys = [key for _, key in COLUMNS]
        alice = table.get_row_at(0)
        assert alice[keys.index("conversations")].plain == "2 +1"
        frt = alice[keys.index(FRT)]
        assert frt.plain == "30m/30m (3) +20m"  # slower than the 10m the week before
        assert any(span.style == "red" for span in frt.spans)
        assert table.get_row_at(1)[keys.index(FRT)].plain.endswith("(new)")  # bob: no row before
        assert "change since the period before" in str(
            app.screen.query_one("#stats-title").render()
        )
        await pilot.press("d")
        await settle(app, pilot)
        assert table.get_row_at(0)[keys.index(FRT)].plain == "30m/30m (3)"


async def test_business_time_says_why_a_figure_can_be_0s(desk):
    """Issue 12.18: in business time the note under the table says that a wait wholly
    outside the opening hours is 0s; an agent's answered rate says "team only"."""
    from conftest import screen_text

    app = StatsApp(desk.store)
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(app, pilot)
        assert "wholly outside" not in screen_text(app)
        assert "team only" in screen_text(app)
        await pilot.press("b")
        await settle(app, pilot)
        shown = screen_text(app)
        assert "business time" in shown
        assert "business time counts only [business_hours]" in shown
        assert "a wait wholly outside them is 0s" in shown
        await pilot.press("b")
        await settle(app, pilot)
        assert "wholly outside" not in screen_text(app)


async def test_the_agent_column_stays_while_the_figures_scroll_and_a_click_drills_down(desk):
    """At 100 columns the last figures are off to the right: the cursor walks there with
    the agent names still on screen, Home / End and Ctrl+Home / Ctrl+End go to the first
    or last column or row, and a click on bob's first response time
    lists its facts (the first click moves the cursor there, as DataTable's did)."""
    app = StatsApp(desk.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#stats-table", StatsTable)
        last = COLUMNS[-1][0]

        def table_lines() -> list[str]:
            top = table.region.y
            return screen_lines(app)[top : top + table.row_count + 1]

        assert last not in table_lines()[0]
        await pilot.press(*["right"] * len(COLUMNS))  # one more than there are: it stays
        await pilot.pause()
        assert table.cursor_coordinate == Coordinate(0, len(COLUMNS) - 1)
        header, alice = table_lines()[:2]
        assert header.startswith(" Agent ") and last in header and " FRT " not in header
        assert alice.startswith(" alice ")
        await pilot.press("home", "ctrl+end")
        assert table.cursor_coordinate == Coordinate(table.row_count - 1, 0)
        await pilot.press("end", "home", "ctrl+home", "down")
        await pilot.pause()
        assert table.cursor_coordinate == Coordinate(1, 0)
        header, _alice, bob = table_lines()[:3]
        column = header.index(" FRT ") + 1
        assert bob.startswith(" bob ") and bob[column:].startswith("20m/20m (1) ")
        await pilot.click("#stats-table", offset=(column, 2))  # the cursor goes there
        await settle(app, pilot)
        assert table.cursor_coordinate == Coordinate(1, 3) and app.screen is table.screen
        await pilot.click("#stats-table", offset=(column, 2))  # and a click on it drills down
        await settle(app, pilot)
        drill = app.screen
        assert isinstance(drill, DrillDownScreen)
        assert drill.title_text.startswith(f"{FRT} for bob")


async def test_leaving_the_stats_screen_lets_its_figures_go_at_once(desk):
    """The screen's widgets hold each other in cycles; its rows (and the facts behind
    them) do not wait for the cycle collector's next full pass to be freed."""
    app = StatsApp(desk.store)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.rows
        first = weakref.ref(screen.rows[0])
        del screen
        gc.disable()
        try:
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, StatsScreen)
            assert first() is None
        finally:
            gc.enable()
