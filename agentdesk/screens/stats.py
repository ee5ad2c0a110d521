"""The stats screen: the per-agent table of ``agentdesk stats``, trends and drill-down.

Figures are computed in thread workers (the event log can hold millions of rows); the
UI thread only lays out results. Names and uids are data: cells are ``rich.text.Text``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Sparkline, Static
from textual.worker import get_current_worker

from agentdesk import clock
from agentdesk.config import Config
from agentdesk.metrics import (
    BusinessClock,
    Fact,
    MetricsSettings,
    Period,
    StatsRow,
    collect,
    preset,
    summarize,
)
from agentdesk.metrics.facts import DURATIONS, FRT
from agentdesk.metrics.report import COLUMNS, cell, duration_text
from agentdesk.text import clean, one_line
from agentdesk.widgets.key_bar import KeyBar

PERIODS = ("today", "7d", "30d")
PERIOD_LABELS = {"today": "Today", "7d": "7 days", "30d": "30 days"}
TREND_WEEKS = 8


@dataclass(frozen=True)
class Trend:
    """An agent's weekly median first response time, oldest week first (0 = no reply)."""

    agent: str
    weekly: list[float]


class StatsScreen(Screen):
    """Per-agent (or per-channel) figures for today / 7 / 30 days; Enter drills down."""

    CSS_PATH = "stats.tcss"
    BINDINGS = [
        Binding("1", "period('today')", "Today", id="stats.today"),
        Binding("2", "period('7d')", "7 days", id="stats.week"),
        Binding("3", "period('30d')", "30 days", id="stats.month"),
        Binding("p", "cycle_period", "Period", show=False, id="stats.cycle_period"),
        Binding("c", "toggle_channels", "By channel", id="stats.channels"),
        Binding("b", "toggle_business", "Business time", id="stats.business"),
        Binding("escape", "back", "Back", id="stats.back"),
    ]

    def __init__(self, store, config: Config, period: str = "7d") -> None:
        super().__init__()
        self.store = store
        self.config = config
        self.period_name = period
        self.by_channel = False
        self.business = False
        self.rows: list[StatsRow] = []
        self.period: Period | None = None
        self.settings = config.metrics  # (validated with the whole config at start)
        self._trends_started = False

    def compose(self) -> ComposeResult:
        yield Static(id="stats-title")
        yield DataTable(id="stats-table", cursor_type="cell", zebra_stripes=True)
        yield Static(id="stats-note")
        yield Label(
            f"Weekly median first response time, last {TREND_WEEKS} weeks", classes="pane-title"
        )
        yield VerticalScroll(id="stats-trends")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for header, key in COLUMNS:
            table.add_column(header, key=key)
        table.focus()
        self.refresh_table()

    # ---- the table ---------------------------------------------------------------------
    def refresh_table(self) -> None:
        """Recompute the table for the current period and toggles (in a worker)."""
        self.query_one(DataTable).loading = True
        self._show_title(computing=True)
        self.compute_table(self.period_name, self.by_channel, self.business, self.settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats-table")
    def compute_table(
        self, period_name: str, by_channel: bool, business: bool, settings: MetricsSettings
    ) -> None:
        period = preset(period_name, settings.business_hours.zone)
        facts = collect([self.store], period, settings)
        measure = BusinessClock(settings.business_hours).seconds if business else None
        rows = summarize(facts, by_channel=by_channel, business=measure) if facts else []
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_rows, period, rows)

    def show_rows(self, period: Period, rows: list[StatsRow]) -> None:
        self.period, self.rows = period, rows
        table = self.query_one(DataTable)
        cursor = table.cursor_coordinate
        table.clear()
        for index, row in enumerate(rows):
            table.add_row(
                *(Text(one_line(clean(cell(row, key)), 80)) for _, key in COLUMNS), key=str(index)
            )
        if rows:
            table.cursor_coordinate = table.validate_cursor_coordinate(cursor)
        table.loading = False
        self.query_one("#stats-note", Static).update("" if rows else "No events in this period.")
        self._show_title()
        if not self._trends_started:  # once the first table is on screen
            self._trends_started = True
            self.call_after_refresh(self.compute_trends, self.settings)

    def _show_title(self, computing: bool = False) -> None:
        title = Text("Stats  ", style="bold")
        for name in PERIODS:
            label = f" {PERIODS.index(name) + 1} {PERIOD_LABELS[name]} "
            title.append(label, style="reverse" if name == self.period_name else "")
            title.append(" ")
        title.append("  by channel" if self.by_channel else "  by agent")
        title.append(", business time" if self.business else ", calendar time")
        if computing:
            title.append("  computing…", style="italic")
        elif self.period:
            title.append(f"  {self.period.label}", style="dim")
        self.query_one("#stats-title", Static).update(title)

    def action_period(self, name: str) -> None:
        self.period_name = name
        self.refresh_table()

    def action_cycle_period(self) -> None:
        self.action_period(PERIODS[(PERIODS.index(self.period_name) + 1) % len(PERIODS)])

    def action_toggle_channels(self) -> None:
        self.by_channel = not self.by_channel
        self.refresh_table()

    def action_toggle_business(self) -> None:
        self.business = not self.business
        self.refresh_table()

    def action_back(self) -> None:
        self.dismiss()

    @on(DataTable.CellSelected, "#stats-table")
    def drill_down(self, event: DataTable.CellSelected) -> None:
        """Enter on a figure: the conversations behind it."""
        if not self.rows or self.period is None:
            return
        row = self.rows[int(event.cell_key.row_key.value)]
        metric = str(event.cell_key.column_key.value)
        if metric in ("agent", "conversations"):
            metric = "conversations"
        facts = row.facts_for(metric)
        title = f"{metric} for {row.agent}" + (f" / {row.channel}" if row.channel else "")
        business = BusinessClock(self.settings.business_hours).seconds if self.business else None
        self.app.push_screen(DrillDownScreen(f"{title}, {self.period.label}", facts, business))

    # ---- trends ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="stats-trend")
    def compute_trends(self, settings: MetricsSettings) -> None:
        now = clock.now()
        weeks = [now - timedelta(weeks=TREND_WEEKS - i) for i in range(TREND_WEEKS + 1)]
        facts = collect([self.store], Period(weeks[0], now), settings)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_trends, weekly_trends(facts, weeks))

    def show_trends(self, trends: list[Trend]) -> None:
        box = self.query_one("#stats-trends", VerticalScroll)
        box.remove_children()
        if not trends:
            box.mount(Label("No replies in these weeks."))
            return
        box.mount_all(
            Horizontal(
                Label(Text(one_line(clean(t.agent), 16)), classes="trend-agent"),
                Sparkline(t.weekly, summary_function=max, classes="trend-line"),
                Label(duration_text(t.weekly[-1]) if t.weekly[-1] else "-", classes="trend-last"),
                classes="trend",
            )
            for t in trends
        )


def weekly_trends(facts: list[Fact], weeks: list) -> list[Trend]:
    """Median FRT per agent per week (``weeks`` are the boundaries, oldest first)."""
    edges = [edge.timestamp() for edge in weeks]
    per_agent: dict[str, list[list[float]]] = {}
    for fact in facts:
        if fact.metric != FRT or fact.agent is None or fact.value is None:
            continue
        for index in range(len(edges) - 1):
            if edges[index] <= fact.end < edges[index + 1]:
                buckets = per_agent.setdefault(fact.agent, [[] for _ in edges[1:]])
                buckets[index].append(fact.value)
                break
    return [
        Trend(agent, [float(statistics.median(b)) if b else 0.0 for b in buckets])
        for agent, buckets in sorted(per_agent.items())
    ]


class DrillDownScreen(ModalScreen[int | None]):
    """The facts behind one figure, one line each; Enter opens the conversation."""

    DEFAULT_CSS = """
    DrillDownScreen {
        align: center middle;
    }
    DrillDownScreen #drill-title {
        width: 90%;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    DrillDownScreen #drill-table {
        width: 90%;
        height: 80%;
        background: $surface;
    }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Back", id="stats.drill.back")]

    def __init__(self, title: str, facts: list[Fact], business=None) -> None:
        super().__init__()
        self.title_text = title
        self.facts = sorted(facts, key=lambda f: (f.end or f.start or 0, f.uid))
        self.business = business

    def compose(self) -> ComposeResult:
        yield Static(
            Text(f"{self.title_text}: {len(self.facts)} (Enter opens, Esc back)"), id="drill-title"
        )
        yield DataTable(id="drill-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "Conversation", "Channel", "Agent", "Value", "Between", "From", "To", "State"
        )
        for index, fact in enumerate(self.facts):
            table.add_row(
                *(
                    Text(one_line(clean(str(value)), 60))
                    for value in (
                        fact.uid,
                        fact.channel,
                        fact.agent or "-",
                        self._value(fact),
                        fact.what,
                        _when(fact.start),
                        _when(fact.end),
                        fact.state,
                    )
                ),
                key=str(index),
            )
        table.focus()

    def _value(self, fact: Fact) -> str:
        if fact.value is None:
            return "waiting"
        if fact.metric in DURATIONS:
            seconds = fact.value
            if self.business and fact.start is not None and fact.metric != "handle_time":
                seconds = self.business(fact.start, fact.end)
            return duration_text(seconds)
        if fact.metric == "replies":
            return f"{int(fact.value)} replies"
        return "yes" if fact.value else "no"

    @on(DataTable.RowSelected, "#drill-table")
    def open_selected(self, event: DataTable.RowSelected) -> None:
        conversation_id = self.facts[int(event.row_key.value)].conversation_id
        opener = getattr(self.app, "open_conversation", None)
        if opener is None:
            self.dismiss(conversation_id)
        else:
            opener(conversation_id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def _when(epoch: float | None) -> str:
    return "-" if epoch is None else clock.to_iso(datetime.fromtimestamp(epoch, UTC))
