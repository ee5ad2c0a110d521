"""The stats table: a header, a fixed first column and a cell cursor, drawn as lines.

Each cell's text is cut into styled runs once per table, and each line drawn is one
``Strip`` of segments made from them: a 30-day table on 1M messages has 51 rows of 18
figures, and Textual's ``DataTable`` rendered each cell through rich one by one
(padding, styling, cropping), twice as the table first showed (250 ms of CPU). Cells are ``rich.text.Text``: customer and agent
names are data, never markup.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

PADDING = 1  # blank cells either side of each cell's text

Pieces = list[tuple[str, Style | None]]  # a cell's text in runs of one style


def _pieces(cell: Text, console: Console) -> Pieces:
    """The cell's text as runs of one style each (its spans)."""
    if not cell.spans and not cell.style:
        return [(cell.plain, None)]
    return [(segment.text, segment.style) for segment in cell.render(console) if segment.text]


class StatsTable(ScrollView, can_focus=True):
    """Rows of figures under a header; the first column stays while the rest scroll.

    Enter (or a click) on a cell posts ``CellSelected`` with its row and column key.
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "column(0)", "First column", show=False),
        Binding("end", "column(-1)", "Last column", show=False),
        Binding("ctrl+home", "row(0)", "First row", show=False),
        Binding("ctrl+end", "row(-1)", "Last row", show=False),
        Binding("enter", "select", "Select", show=False),
    ]
    COMPONENT_CLASSES = {
        "stats-table--header",
        "stats-table--fixed",
        "stats-table--even-row",
        "stats-table--cursor",
    }
    DEFAULT_CSS = """
    StatsTable {
        background: $surface;
        color: $foreground;
        overflow: auto auto;
        &:focus {
            background-tint: $foreground 5%;
            & > .stats-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:focus > .stats-table--header { background-tint: $foreground 5%; }
        & > .stats-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .stats-table--fixed { background: $secondary-muted; color: $foreground; }
        & > .stats-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .stats-table--even-row { background: $surface-darken-1 40%; }
        & > .stats-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class CellSelected(Message):
        """A cell was chosen (Enter or a click): its row index and column key."""

        def __init__(self, table: StatsTable, row: int, column_key: str) -> None:
            super().__init__()
            self.table, self.row, self.column_key = table, row, column_key

        @property
        def control(self) -> StatsTable:
            return self.table

    def __init__(self, columns: list[tuple[str, str]], *, id: str | None = None) -> None:
        """``columns``: (header, key) pairs, the first one fixed."""
        super().__init__(id=id)
        self.keys = [key for _, key in columns]
        self._headers = [header for header, _ in columns]
        self._header_cells: list[Pieces] = [[(header, None)] for header in self._headers]
        self._rows: list[list[Text]] = []
        self._cells: list[list[Pieces]] = []
        self._widths = [cell_len(header) + 2 * PADDING for header in self._headers]
        self._cursor = Coordinate(0, 0)

    # ---- content ------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of row ``index``, as given."""
        return self._rows[index]

    def set_rows(self, rows: list[list[Text]]) -> None:
        """Show these rows (one ``Text`` per column), keeping the cursor where it fits."""
        self._rows = rows
        console = self.app.console
        self._cells = [[_pieces(cell, console) for cell in row] for row in rows]
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(self.keys)
        self._widths = [
            max([cell_len(header), *(cell.cell_len for cell in column)]) + 2 * PADDING
            for header, column in zip(self._headers, columns, strict=True)
        ]
        self.virtual_size = Size(sum(self._widths), len(rows) + 1)
        self._cursor = self._clamped(self._cursor)
        self.refresh()
        # Scrolled to once laid out: wider cells may bring a horizontal scrollbar.
        self.call_after_refresh(self._scroll_to_cursor)

    # ---- the cursor ---------------------------------------------------------------------
    @property
    def cursor_coordinate(self) -> Coordinate:
        return self._cursor

    @cursor_coordinate.setter
    def cursor_coordinate(self, value: Coordinate) -> None:
        self._cursor = self._clamped(value)
        self._scroll_to_cursor()
        self.refresh()

    def _clamped(self, value: Coordinate) -> Coordinate:
        """``value`` moved onto the table (the nearest row and column there are)."""
        row = min(max(value.row, 0), max(len(self._rows) - 1, 0))
        return Coordinate(row, min(max(value.column, 0), len(self.keys) - 1))

    def _scroll_to_cursor(self) -> None:
        """Scroll so that the cursor's cell is in view (rows under the header, columns
        right of the fixed one; on the fixed one, back to the first figures)."""
        row, column = self._cursor
        rows_shown = max(self.scrollable_content_region.height - 1, 1)
        y = self.scroll_offset.y
        if row < y:
            y = row
        elif row >= y + rows_shown:
            y = row - rows_shown + 1
        x = 0  # the fixed column: the figures from the first one
        if column > 0:
            x = self.scroll_offset.x
            shown = max(self.scrollable_content_region.width - self._widths[0], 1)
            start = sum(self._widths[1:column])
            end = start + self._widths[column]
            if start < x:
                x = start
            elif end > x + shown:
                x = end - shown
        self.scroll_to(x, y, animate=False, immediate=True)

    def action_move(self, rows: int, columns: int) -> None:
        row, column = self._cursor
        self.cursor_coordinate = Coordinate(row + rows, column + columns)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.scrollable_content_region.height - 1, 1), 0)

    def action_row(self, row: int) -> None:
        """To row ``row`` (-1: the last) in the cursor's column."""
        row = row if row >= 0 else len(self._rows) - 1
        self.cursor_coordinate = Coordinate(row, self._cursor.column)

    def action_column(self, column: int) -> None:
        """To column ``column`` (-1: the last) in the cursor's row."""
        column = column if column >= 0 else len(self.keys) - 1
        self.cursor_coordinate = Coordinate(self._cursor.row, column)

    def action_select(self) -> None:
        if self._rows:
            row, column = self._cursor
            self.post_message(self.CellSelected(self, row, self.keys[column]))

    def on_click(self, event: events.Click) -> None:
        """A click on a figure moves the cursor there; a click on the cursor's figure
        selects it (as ``DataTable`` does)."""
        event.stop()
        row = self.scroll_offset.y + event.y - 1
        if event.y == 0 or not 0 <= row < len(self._rows):
            return
        x = event.x
        if x >= self._widths[0]:
            x += self.scroll_offset.x
        edge = 0
        for column, width in enumerate(self._widths):
            edge += width
            if x < edge:
                if self._cursor == (row, column):
                    self.action_select()
                self.cursor_coordinate = Coordinate(row, column)
                return

    # ---- drawing ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header_style = base + self.get_component_rich_style("stats-table--header")
            return self._line(self._header_cells, header_style, header_style, None, width, base)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._cells):
            return Strip.blank(width, base)
        style = base
        if index % 2 == 0:  # rows 0, 2, ... as DataTable stripes them
            style += self.get_component_rich_style("stats-table--even-row")
        fixed = style + self.get_component_rich_style("stats-table--fixed")
        cursor = self._cursor.column if index == self._cursor.row else None
        return self._line(self._cells[index], style, fixed, cursor, width, base)

    def _line(
        self,
        cells: list[Pieces],
        style: Style,
        fixed_style: Style,
        cursor: int | None,
        width: int,
        base: Style,
    ) -> Strip:
        """One line: the fixed cell, then the others scrolled by ``scroll_x``."""
        cursor_style = self.get_component_rich_style("stats-table--cursor")

        def cell(column: int, cell_style: Style) -> list[Segment]:
            if column == cursor:
                cell_style += cursor_style
            gap = self._widths[column] - PADDING - sum(cell_len(text) for text, _ in cells[column])
            return [
                Segment(" " * PADDING, cell_style),
                *(
                    Segment(text, cell_style + piece if piece else cell_style)
                    for text, piece in cells[column]
                ),
                Segment(" " * gap, cell_style),
            ]

        fixed = Strip(cell(0, fixed_style), self._widths[0])
        rest = [segment for column in range(1, len(cells)) for segment in cell(column, style)]
        shown = max(width - self._widths[0], 0)
        scrolled = Strip(rest).crop(self.scroll_offset.x, self.scroll_offset.x + shown)
        return Strip.join([fixed, scrolled]).extend_cell_length(width, base).crop(0, width)
