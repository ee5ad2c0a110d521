"""The stats screen: the per-agent table of ``agentdesk stats``, trends and drill-down.

Figures are computed in thread workers (the event log can hold millions of rows); the
UI thread only lays out results. Names and uids are data: cells are ``rich.text.Text``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
from agentdesk.metrics.aggregate import StatsRow, summarize
from agentdesk.metrics.business_hours import BusinessClock
from agentdesk.metrics.collect import collect
from agentdesk.metrics.explain import COLUMNS as FACT_COLUMNS
from agentdesk.metrics.explain import Business, Explained, explained, table_cells
from agentdesk.metrics.explain import to_csv as explain_csv
from agentdesk.metrics.facts import DURATIONS, FRT, Fact
from agentdesk.metrics.period import Period, preset
from agentdesk.metrics.report import COLUMNS, FORMS, cell, change, duration_text
from agentdesk.metrics.settings import MetricsSettings
from agentdesk.metrics.trends import TREND_METRICS, Trend, trends
from agentdesk.screens.pickers import PromptScreen
from agentdesk.text import clean, count_of, one_line
from agentdesk.widgets.key_bar import KeyBar
from agentdesk.widgets.stats_table import StatsTable

PERIODS = ("today", "7d", "30d")
PERIOD_LABELS = {"today": "Today", "7d": "7 days", "30d": "30 days"}
TREND_WEEKS = 8

# Under the table in business time: why a duration can be 0s (docs/metrics.md).
BUSINESS_NOTE = (
    "business time counts only [business_hours] (default Mon-Fri 09:00-17:00 UTC):"
    " a wait wholly outside them is 0s"
)


class StatsScreen(Screen):
    """Per-agent (or per-channel) figures for today / 7 / 30 days; Enter drills down."""

    BINDINGS = [
        Binding("1", "period('today')", "Today", id="stats.today", tooltip="Stats for today"),
        Binding(
            "2", "period('7d')", "7 days", id="stats.week", tooltip="Stats for the last 7 days"
        ),
        Binding(
            "3", "period('30d')", "30 days", id="stats.month", tooltip="Stats for the last 30 days"
        ),
        Binding(
            "p",
            "cycle_period",
            "Period",
            show=False,
            id="stats.cycle_period",
            tooltip="Next stats period",
        ),
        Binding(
            "c",
            "toggle_channels",
            "By channel",
            id="stats.channels",
            tooltip="Stats per agent or per channel",
        ),
        Binding(
            "b",
            "toggle_business",
            "Business time",
            id="stats.business",
            tooltip="Stats in calendar or business time",
        ),
        Binding(
            "d",
            "toggle_compare",
            "Compare",
            id="stats.compare",
            tooltip="Compare with the previous period",
        ),
        Binding("w", "cycle_trend", "Trend", id="stats.trend", tooltip="Next weekly trend"),
        # Back before Online: at 100 columns the key bar has room for one of them.
        Binding("escape", "back", "Back", id="stats.back", tooltip="Back from the stats screen"),
        Binding("o", "app.online", "Online", id="stats.online", tooltip="Who is online now"),
    ]

    def __init__(
        self,
        store,
        config: Config,
        period: str = "7d",
        before_reading: Callable[[], None] | None = None,
    ) -> None:
        """``before_reading`` is called (in a worker) before each table is computed: the
        desk writes the events it still holds (``EventWriter.flush``)."""
        super().__init__()
        self.store = store
        self.config = config
        self.before_reading = before_reading
        self.period_name = period
        self.by_channel = False
        self.business = False
        self.compare = False
        self.rows: list[StatsRow] = []
        self.period: Period | None = None
        self.settings = config.metrics  # (validated with the whole config at start)
        self._trends_started = False
        self.trends: dict[str, list[Trend]] = {}
        self.trend_metric = FRT

    def compose(self) -> ComposeResult:
        yield Static(id="stats-title")
        # The agent column stays in place while the figures scroll right.
        yield StatsTable(list(COLUMNS), id="stats-table")
        yield Static(id="stats-note")
        yield Label(self._trend_title(), id="stats-trend-title", classes="pane-title")
        yield VerticalScroll(id="stats-trends")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(StatsTable).focus()
        self.refresh_table()

    # ---- the table ---------------------------------------------------------------------
    def refresh_table(self) -> None:
        """Recompute the table for the current period and toggles (in a worker)."""
        self.query_one(StatsTable).loading = True
        self._show_title(computing=True)
        self.compute_table(
            self.period_name, self.by_channel, self.business, self.compare, self.settings
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats-table")
    def compute_table(
        self,
        period_name: str,
        by_channel: bool,
        business: bool,
        compare: bool,
        settings: MetricsSettings,
    ) -> None:
        """The period's rows, and with ``compare`` the previous period's (by agent/channel)."""
        if self.before_reading is not None:
            self.before_reading()
        self.store.metrics.refresh()  # keep what changed since, so the next look is quick
        period = preset(period_name, settings.business_hours.zone)
        measure = BusinessClock(settings.business_hours).seconds if business else None

        def rows_of(when: Period) -> list[StatsRow]:
            facts = collect([self.store], when, settings)
            return summarize(facts, by_channel=by_channel, business=measure) if facts else []

        rows = rows_of(period)
        before = {(r.agent, r.channel): r for r in rows_of(period.previous)} if compare else {}
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_rows, period, rows, before)

    def show_rows(
        self,
        period: Period,
        rows: list[StatsRow],
        before: dict[tuple[str, str | None], StatsRow] | None = None,
    ) -> None:
        self.period, self.rows = period, rows
        table = self.query_one(StatsTable)
        table.set_rows(
            [
                [
                    self._cell(row, before.get((row.agent, row.channel)) if before else None, key)
                    for _, key in COLUMNS
                ]
                for row in rows
            ]
        )
        table.loading = False
        note = f"{FORMS}; Enter lists the facts" if rows else "No events in this period."
        if rows and self.business:
            note += f"\n{BUSINESS_NOTE}"
        self.query_one("#stats-note", Static).update(Text(note))  # plain: [brackets] stay
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
        if self.compare:
            title.append(", change since the period before")
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

    def action_toggle_compare(self) -> None:
        """``d``: each figure's change since the previous period of the same length."""
        self.compare = not self.compare
        self.refresh_table()

    def _cell(self, row: StatsRow, previous: StatsRow | None, key: str) -> Text:
        text = Text(one_line(clean(cell(row, key)), 80))
        if self.compare:
            moved, better = change(row, previous, key)
            style = "dim" if better is None else "green" if better else "red"
            text.append(f" {moved}" if moved else " (new)" if previous is None else "", style)
        return text

    def action_back(self) -> None:
        self.dismiss()

    def on_unmount(self) -> None:
        """The figures go with the screen: its widgets hold each other in cycles, so the
        facts behind the rows (70,000 for 30 days on 1M messages) would otherwise wait
        for the collector's next full pass, 0.3-0.5 s in the middle of whatever comes
        next. Freed here, they go at once."""
        self.rows, self.trends = [], {}

    @on(StatsTable.CellSelected, "#stats-table")
    def drill_down(self, event: StatsTable.CellSelected) -> None:
        """Enter on a figure: the conversations behind it."""
        if not self.rows or self.period is None:
            return
        row = self.rows[event.row]
        metric = event.column_key
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

    def show_trends(self, found: dict[str, list[Trend]]) -> None:
        """Keep every metric's trends; show the chosen one."""
        self.trends = found
        self._show_trend()

    def action_cycle_trend(self) -> None:
        """``w``: the next metric's weekly trend (first response, resolution, FCR, CSAT)."""
        metrics = list(TREND_METRICS)
        self.trend_metric = metrics[(metrics.index(self.trend_metric) + 1) % len(metrics)]
        self._show_trend()

    def _trend_title(self) -> str:
        return f"Weekly {TREND_METRICS[self.trend_metric]}, last {TREND_WEEKS} weeks (w: next)"

    def _show_trend(self) -> None:
        self.query_one("#stats-trend-title", Label).update(self._trend_title())
        box = self.query_one("#stats-trends", VerticalScroll)
        box.remove_children()
        shown = self.trends.get(self.trend_metric, [])
        if not shown:
            box.mount(Label("Nothing in these weeks."))
            return
        box.mount_all(
            Horizontal(
                Label(Text(one_line(clean(t.agent), 16)), classes="trend-agent"),
                Sparkline([v or 0.0 for v in t.weekly], summary_function=max, classes="trend-line"),
                Label(_trend_text(t), classes="trend-last"),
                classes="trend",
            )
            for t in shown
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
        Binding(
            "escape",
            "dismiss_none",
            "Back",
            id="stats.drill.back",
            tooltip="Close the drill-down list",
        ),
        Binding(
            "e",
            "export",
            "Export CSV",
            id="stats.drill.export",
            tooltip="Export the drill-down list as CSV",
        ),
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
        yield KeyBar()  # its own keys, over the stats screen's

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
        conversation_id = self.items[int(str(event.row_key.value))].fact.conversation_id
        opener = getattr(self.app, "open_conversation", None)
        if opener is None:
            self.dismiss(conversation_id)
        else:
            opener(conversation_id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def _trend_text(trend: Trend) -> str:
    """The latest week's value in words."""
    last = trend.weekly[-1]
    if last is None:
        return "-"
    return duration_text(last) if trend.metric in DURATIONS else f"{last:g}%"
