"""The stats screen: the per-agent table of ``agentdesk stats``, trends and drill-down.

Figures are computed in thread workers (the event log can hold millions of rows); the
UI thread only lays out results. Names and uids are data: cells are ``rich.text.Text``.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Label, Sparkline, Static
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
from agentdesk.metrics.explain import COLUMNS as FACT_COLUMNS
from agentdesk.metrics.explain import Business, Explained, explained, table_cells
from agentdesk.metrics.explain import to_csv as explain_csv
from agentdesk.metrics.report import COLUMNS, FORMS, cell, duration_text
from agentdesk.metrics.trends import Trend, trends
from agentdesk.screens.pickers import PromptScreen
from agentdesk.text import clean, count_of, one_line

PERIODS = ("today", "7d", "30d")
PERIOD_LABELS = {"today": "Today", "7d": "7 days", "30d": "30 days"}
TREND_WEEKS = 8


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
        # The agent column stays in place while the figures scroll right.
        yield DataTable(id="stats-table", cursor_type="cell", zebra_stripes=True, fixed_columns=1)
        yield Static(id="stats-note")
        yield Label(
            f"Weekly median first response time, last {TREND_WEEKS} weeks", classes="pane-title"
        )
        yield VerticalScroll(id="stats-trends")
        yield Footer(compact=True)

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
        note = f"{FORMS}; Enter lists the facts" if rows else "No events in this period."
        self.query_one("#stats-note", Static).update(note)
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
        title = f"{metric} for {row.agent}" + (f" / {row.channel}" if row.channel else "")
        business = BusinessClock(self.settings.business_hours).seconds if self.business else None
        self.explain(f"{title}, {self.period.label}", row.facts_for(metric), business)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats-drill")
    def explain(self, title: str, facts: list[Fact], business: Business | None) -> None:
        """Look up the customers and subjects behind a figure, then show them."""
        items = explained([self.store], facts, business)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.app.push_screen, DrillDownScreen(title, items))

    # ---- trends ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="stats-trend")
    def compute_trends(self, settings: MetricsSettings) -> None:
        found = trends(self.store, clock.now(), TREND_WEEKS, settings)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_trends, found)

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
    BINDINGS = [
        Binding("escape", "dismiss_none", "Back", id="stats.drill.back"),
        Binding("e", "export", "Export CSV", id="stats.drill.export"),
    ]

    def __init__(self, title: str, items: list[Explained]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        yield Static(
            Text(f"{self.title_text}: {len(self.items)} (Enter opens, e exports CSV, Esc back)"),
            id="drill-title",
        )
        yield DataTable(id="drill-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(name.capitalize() for name in FACT_COLUMNS if name != "seconds"))
        keep = [i for i, name in enumerate(FACT_COLUMNS) if name != "seconds"]
        for index, item in enumerate(self.items):
            cells = table_cells(item)
            table.add_row(*(Text(cells[i]) for i in keep), key=str(index))
        table.focus()

    def action_export(self) -> None:
        """Ask where, then write the facts as CSV (the same columns as ``--explain``)."""
        name = "-".join(self.title_text.replace("/", " ").replace(",", " ").split())
        self.app.push_screen(
            PromptScreen("Export these facts as CSV to", value=f"{name}.csv"), self._export_to
        )

    def _export_to(self, path: str | None) -> None:
        if not path:
            return
        target = Path(path).expanduser()
        try:
            target.write_text(explain_csv(self.items), encoding="utf-8")
        except OSError as error:
            self.notify(f"cannot write {target}: {error.strerror}", severity="error")
            return
        self.notify(f"{count_of(len(self.items), 'fact')} written to {target}")

    @on(DataTable.RowSelected, "#drill-table")
    def open_selected(self, event: DataTable.RowSelected) -> None:
        conversation_id = self.items[int(event.row_key.value)].fact.conversation_id
        opener = getattr(self.app, "open_conversation", None)
        if opener is None:
            self.dismiss(conversation_id)
        else:
            opener(conversation_id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
