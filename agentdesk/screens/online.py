"""Who is online: every desk on the database, what it shows and whether its agent types.

The lead's view (docs/teams.md): read from the presence table in a worker every second
and whenever someone comes to, leaves or types in a conversation; Enter opens the
conversation the agent under the cursor has open. Names, customers and subjects are
data: cells are ``rich.text.Text``.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from agentdesk.online import HEADERS, OnlineRow, online_now
from agentdesk.screens.desk import DeskScreen
from agentdesk.widgets.key_bar import KeyBar

REFRESH_SECONDS = 1.0  # the durations tick, and a desk that timed out drops out


class OnlineScreen(DeskScreen):
    """One row per desk online now; refreshed live."""

    DEFAULT_CSS = """
    OnlineScreen #online-title { height: 1; padding: 0 1; text-style: bold; }
    OnlineScreen #online-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="online.back", tooltip="Back from who is online"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[OnlineRow] = []

    def compose(self) -> ComposeResult:
        yield Static(id="online-title")
        yield DataTable(id="online-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for header in HEADERS:
            table.add_column(header, key=header)
        table.focus()
        self.desk.presence_changed.subscribe(self, lambda _ids: self.read())
        self.set_interval(REFRESH_SECONDS, self.read)
        self.read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="online")
    def read(self) -> None:
        rows = online_now(self.desk.store, self.desk.config.team.presence_timeout)
        self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[OnlineRow]) -> None:
        """Lay out ``rows``: the same desks are updated in place (cursor and scroll stay),
        others make the table again with the cursor on its desk."""
        table = self.query_one(DataTable)
        desks = [row.desk for row in rows]
        if desks == [row.desk for row in self.rows] and table.row_count == len(rows):
            for row in rows:
                for header, cell in zip(HEADERS, row.cells(), strict=True):
                    table.update_cell(row.desk, header, Text(cell), update_width=True)
        else:
            on = self.rows[table.cursor_row].desk if self.rows and table.row_count else None
            table.clear()
            for row in rows:
                table.add_row(*(Text(cell) for cell in row.cells()), key=row.desk)
            if on in desks:
                table.move_cursor(row=desks.index(on))
        self.rows = rows
        title = (
            f"Who is online: {len(rows)} desk{'' if len(rows) == 1 else 's'}"
            "  (Enter opens the conversation an agent views, Esc back)"
        )
        self.query_one("#online-title", Static).update(Text(title))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter: open the conversation the agent under the cursor views."""
        row = next((r for r in self.rows if r.desk == event.row_key.value), None)
        if row is None:
            return
        if row.conversation_id is None:
            self.notify(f"{row.agent} is in the inbox.")
            return
        self.desk.open_conversation(row.conversation_id)

    def action_back(self) -> None:
        self.app.pop_screen()
