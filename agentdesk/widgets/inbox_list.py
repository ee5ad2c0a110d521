"""The inbox list: virtualised, so 100k conversations cost what one screenful costs.

Rows come from a ``RowSource`` a page at a time (indexed SQL with LIMIT/OFFSET or
a bounded id list for search results) and are drawn with the line API.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from agentdesk import clock
from agentdesk.config import SlaTarget
from agentdesk.domain import InboxFilter, InboxRow, Presence
from agentdesk.store import Store
from agentdesk.text import one_line

PAGE = 100
COUNT_TIMEOUT = 0.6  # seconds a count prefix waits for its motion
CACHED_PAGES = 8


class RowSource(Protocol):
    def count(self) -> int: ...
    def page(self, offset: int, limit: int) -> list[InboxRow]: ...
    def position(self, conversation_id: int) -> int | None: ...
    def rows(self, conversation_ids: list[int]) -> list[InboxRow]: ...


class _Rows:
    """Rows as ``agent`` sees them: a row is marked for their own unsent draft."""

    def __init__(self, store: Store, agent: str) -> None:
        self.store, self.agent = store, agent

    def rows(self, conversation_ids: list[int]) -> list[InboxRow]:
        return self.store.inbox.rows_by_id(conversation_ids, drafts_of=self.agent)


class QuerySource(_Rows):
    """The inbox under a filter, paged by an indexed query (a page near the end read
    from the end, with the length last counted)."""

    def __init__(self, store: Store, filters: InboxFilter, agent: str) -> None:
        super().__init__(store, agent)
        self.filters = filters
        self.total: int | None = None

    def count(self) -> int:
        self.total = self.store.inbox.count(self.filters)
        return self.total

    def page(self, offset: int, limit: int) -> list[InboxRow]:
        return self.store.inbox.page(
            self.filters, offset, limit, drafts_of=self.agent, total=self.total
        )

    def position(self, conversation_id: int) -> int | None:
        return self.store.inbox.position(self.filters, conversation_id)


class IdSource(_Rows):
    """A bounded list of conversation ids (search results), in order."""

    def __init__(self, store: Store, ids: list[int], agent: str) -> None:
        super().__init__(store, agent)
        self.ids = ids

    def count(self) -> int:
        return len(self.ids)

    def page(self, offset: int, limit: int) -> list[InboxRow]:
        return self.rows(self.ids[offset : offset + limit])

    def position(self, conversation_id: int) -> int | None:
        return self.ids.index(conversation_id) if conversation_id in self.ids else None


@dataclass(frozen=True)
class RowChange:
    """What changed rows look like now in ``source``, read in a worker (``read_changes``)."""

    source: RowSource
    rows: dict[int, InboxRow]  # conversation id -> its row now
    positions: dict[int, int | None]  # ... -> its place in the list now (None: not in it)
    total: int
    cursor_at: int | None  # the place of the conversation the cursor was on


def read_changes(
    source: RowSource, conversation_ids: frozenset[int], current: int | None
) -> RowChange:
    """Read the changed rows and their places (a few indexed queries; not on the UI thread)."""
    return RowChange(
        source,
        {row.id: row for row in source.rows(sorted(conversation_ids))},
        {i: source.position(i) for i in conversation_ids},
        source.count(),
        source.position(current) if current is not None else None,
    )


CHANNEL_LABELS = {"email": "✉ email", "chat": "◆ chat"}
STATUS_STYLES = {"open": "bold", "pending": "italic", "snoozed": "dim", "resolved": "dim strike"}
Cell = tuple[str, str]  # a row's cell: its text, fitted to its column, and its style


def waiting_style(seconds: float | None, sla: SlaTarget) -> str:
    """Green under the warn target, yellow under the breach target, red beyond."""
    if seconds is None:
        return "dim"
    if seconds < sla.warn:
        return "green"
    if seconds < sla.breach:
        return "yellow"
    return "bold red"


class InboxList(ScrollView, can_focus=True):
    """A keyboard-driven list of conversations drawn a line at a time."""

    BINDINGS = [
        Binding(
            "j,down",
            "cursor(1)",
            "Next",
            show=False,
            id="inbox.next",
            tooltip="Next conversation in the list",
        ),
        Binding(
            "k,up",
            "cursor(-1)",
            "Previous",
            show=False,
            id="inbox.previous",
            tooltip="Previous conversation in the list",
        ),
        Binding(
            "pagedown,ctrl+d",
            "page(1)",
            "Page down",
            show=False,
            id="inbox.page_down",
            tooltip="Page down the list",
        ),
        Binding(
            "pageup,ctrl+u",
            "page(-1)",
            "Page up",
            show=False,
            id="inbox.page_up",
            tooltip="Page up the list",
        ),
        Binding(
            "g,home",
            "jump(0)",
            "First",
            show=False,
            id="inbox.first",
            tooltip="First conversation of the list",
        ),
        Binding(
            "G,end",
            "jump(-1)",
            "Last",
            show=False,
            id="inbox.last",
            tooltip="Last conversation of the list",
        ),
    ]

    DEFAULT_CSS = """
    InboxList { height: 1fr; overflow-x: hidden; }
    InboxList > .inbox-list--cursor { background: $accent 40%; }
    InboxList:focus > .inbox-list--cursor { background: $accent; color: $text; }
    """
    COMPONENT_CLASSES = {"inbox-list--cursor"}

    # Not repainted whole: the watcher draws the two rows the cursor left and reached
    # (a repaint drew all 46 rows of a 160x50 list, 4-5 ms of each move).
    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class CountUnused(Message):
        """Digits were typed and no motion followed them within ``COUNT_TIMEOUT``."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class Opened(Message):
        """The agent pressed Enter on a row."""

        def __init__(self, row: InboxRow) -> None:
            super().__init__()
            self.row = row

    class Moved(Message):
        def __init__(self, index: int, total: int) -> None:
            super().__init__()
            self.index, self.total = index, total

    def __init__(
        self,
        source: RowSource,
        sla_for: Callable[[str], SlaTarget],
        presence: Callable[[int], tuple[Presence, ...]] = lambda _id: (),
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.sla_for = sla_for
        self.presence = presence  # who else is in a conversation (other desks)
        self.total = 0
        self._pages: OrderedDict[int, list[InboxRow]] = OrderedDict()
        self.marked: set[int] = set()  # conversation ids marked for a bulk action
        self._count = ""  # digits typed for the next motion
        self._count_timer: Timer | None = None
        self._line_style: Style | None = None  # the widget's style, read as drawing begins

    # ---- data ---------------------------------------------------------------------------
    def set_source(self, source: RowSource, keep_id: int | None = None) -> None:
        """Show ``source``; keep the cursor on ``keep_id`` if it is on the first pages."""
        self.source = source
        self.reload(keep_id)

    def reload(self, keep_id: int | None = None) -> None:
        """Re-read the list (after a change); rows are fetched again as they are drawn.

        Only the rows in view that changed are drawn again: back from a conversation,
        most are as they were (a whole list drew 46 rows, 3 ms of each Esc).
        """
        top = self.scroll_offset.y
        shown = [self._read_row(index) for index in range(top, top + self.size.height)]
        self._pages.clear()
        self._set_total(self.source.count())
        index = self.cursor
        if keep_id is not None:  # the same conversation, wherever it is now in the list
            found = self.source.position(keep_id)
            index = index if found is None else found
        self.cursor = max(0, min(index, self.total - 1))
        if self.scroll_offset.y != top or not any(shown):
            self.refresh()
            return
        for index, row in enumerate(shown, top):
            if row is None or self.row_at(index) != row:
                self.refresh_lines(index)

    def _read_row(self, index: int) -> InboxRow | None:
        """The row at ``index`` if it was read already (None: not read, or no row)."""
        page = self._pages.get(index // PAGE)
        return page[index % PAGE] if page is not None and index % PAGE < len(page) else None

    def cached_index(self, conversation_id: int) -> int | None:
        """Where ``conversation_id`` is among the rows read so far (None: not read)."""
        for number, page in self._pages.items():
            for offset, row in enumerate(page):
                if row.id == conversation_id:
                    return number * PAGE + offset
        return None

    def apply_changes(self, change: RowChange) -> None:
        """Show rows another desk changed, read off the UI thread (``RowChange``).

        Rows that kept their place are replaced where they are. When rows moved, came
        or went, only the pages from the first place touched on are read again (as they
        are drawn); the cursor stays on its conversation wherever it went.
        """
        if change.source is not self.source:  # the list was read afresh meanwhile
            return
        before = {i: self.cached_index(i) for i in change.positions}
        if change.total == self.total and all(
            before[i] == place for i, place in change.positions.items()
        ):
            for conversation_id, index in before.items():
                row = change.rows.get(conversation_id)
                if index is not None and row is not None:
                    self._pages[index // PAGE][index % PAGE] = row
            self.refresh()
            return
        touched = [p for p in (*before.values(), *change.positions.values()) if p is not None]
        first_page = min(touched, default=0) // PAGE
        for number in [n for n in self._pages if n >= first_page]:
            del self._pages[number]
        self._set_total(change.total)
        index = self.cursor if change.cursor_at is None else change.cursor_at
        self.cursor = max(0, min(index, self.total - 1))
        self.refresh()

    def row_at(self, index: int) -> InboxRow | None:
        """The row at ``index``, its page read when it was not yet."""
        if not 0 <= index < self.total:
            return None
        number = index // PAGE
        if number in self._pages:
            self._pages.move_to_end(number)
        else:
            self._pages[number] = self.source.page(number * PAGE, PAGE)
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        return self._read_row(index)

    @property
    def current(self) -> InboxRow | None:
        return self.row_at(self.cursor)

    # ---- cursor -------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        if old != new:  # (refresh_lines takes the row's place in the list, not the view)
            self.refresh_lines(old)
        self.refresh_lines(new)
        self.scroll_to(y=self._scroll_target(new), animate=False)
        self.post_message(self.Moved(new, self.total))

    def _scroll_target(self, index: int) -> float:
        top, height = self.scroll_offset.y, max(1, self.scrollable_content_region.height)
        if index < top:
            return index
        if index >= top + height:
            return index - height + 1
        return top

    # ---- count prefixes (3j, 5k, 10G) -----------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        """Digits make a count for the next motion, as in vim and aerc: ``3j`` moves three
        rows, ``10G`` goes to row 10. Digits with no motion after them are handed to the
        screen (``CountUnused``) once ``COUNT_TIMEOUT`` has passed."""
        character = event.character if event.is_printable else None
        if character and character.isdigit() and (self._count or character != "0"):
            self._count += character
            if self._count_timer is not None:
                self._count_timer.stop()
            self._count_timer = self.set_timer(COUNT_TIMEOUT, self._count_timed_out)
        elif self._count:
            count = int(self._count)
            self._drop_count()
            if event.key in ("j", "down"):
                self.move(count)
            elif event.key in ("k", "up"):
                self.move(-count)
            elif event.key == "G":
                self.action_jump(min(count, self.total) - 1)
            else:
                return  # another key: the count is dropped, the key does what it does
        else:
            return
        event.stop()
        event.prevent_default()

    def _drop_count(self) -> None:
        self._count = ""
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None

    def _count_timed_out(self) -> None:
        number = int(self._count)
        self._drop_count()
        self.post_message(self.CountUnused(number))

    # ---- marks ------------------------------------------------------------------------
    def toggle_mark(self) -> None:
        """Mark or unmark the row under the cursor, then move to the next one."""
        row = self.current
        if row is not None:
            self.marked.symmetric_difference_update({row.id})
            self.move(1)
            self.refresh()

    def _set_total(self, total: int) -> None:
        """The list's length, and a virtual size of one line per row, as wide as the list:
        a width here (it was the widget's, the padding and the scrollbar included) showed
        a horizontal scrollbar until the first resize, and the whole list was drawn twice
        as the desk started (0.1 s)."""
        self.total = total
        self.virtual_size = Size(0, total)

    def all_ids(self) -> list[int]:
        """Every conversation id of the list, in its order (paged from the source, counted
        afresh: pages near the end are read from the end of the count)."""
        ids: list[int] = []
        for offset in range(0, self.source.count(), PAGE):
            ids.extend(row.id for row in self.source.page(offset, PAGE))
        return ids

    def set_marks(self, ids: set[int]) -> None:
        self.marked = ids
        self.refresh()

    def move(self, delta: int) -> InboxRow | None:
        """Move the cursor by ``delta`` rows (clamped); returns the new row."""
        if self.total:
            self.cursor = max(0, min(self.cursor + delta, self.total - 1))
        return self.current

    def action_cursor(self, delta: int) -> None:
        self.move(delta)

    def action_page(self, direction: int) -> None:
        self.move(direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        if self.total:
            self.cursor = index if index >= 0 else self.total - 1

    def action_open(self) -> None:
        if (row := self.current) is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self.total:
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    # ---- drawing ------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """The widget's own style is read once per drawing, not for each line (Textual
        works it out through every ancestor: a fifth of drawing the list)."""
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        line_style = self.rich_style if self._line_style is None else self._line_style
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, line_style)
        cursor = (
            self.get_component_rich_style("inbox-list--cursor") if index == self.cursor else None
        )
        segments = [
            Segment(text, Style.parse(style) + cursor if cursor else Style.parse(style))
            for text, style in fitted(self.row_cells(row, width), width)
            if text
        ]
        return Strip(segments, width)  # fitted: exactly ``width`` cells, one Strip made

    @staticmethod
    def subject_width(width: int) -> int:
        """Room left for the subject once the fixed columns are laid out."""
        return max(10, width - (7 + 9 + 22 + 10 + 12 + InboxList.tags_width(width)))

    @staticmethod
    def tags_width(width: int) -> int:
        """Tags get 20 columns on wide terminals and give way to the subject on narrow ones."""
        return 20 if width >= 140 else 10

    def row_cells(self, row: InboxRow, width: int) -> list[Cell]:
        """One row as its cells, each fitted to its column: customer text is only ever
        a segment's text, never parsed as markup."""
        waited = clock.since(row.waiting_since)
        waiting = clock.humanize_duration(waited) if waited is not None else "—"
        subject_width = self.subject_width(width)
        cells: list[Cell] = [
            ("●" if row.id in self.marked else " ", "bold magenta"),
            (f"{waiting:>5} ", waiting_style(waited, self.sla_for(row.channel))),
            (_column(CHANNEL_LABELS.get(row.channel, row.channel), 8, 9), "cyan"),
            (_column(row.customer_name or row.customer_address, 20, 22), "bold"),
        ]
        if row.draft:  # an unsent reply waits here
            cells.append(("✎ ", "yellow"))
            subject_width -= 2
        for presence in self.presence(row.id):  # «bob» is viewing it, «bob ✎» typing in it
            who = f"«{one_line(presence.agent, 12)}{' ✎' if presence.typing else ''}» "
            if cell_len(who) < subject_width - 10:
                cells.append((who, "bold yellow" if presence.typing else "cyan"))
                subject_width -= cell_len(who)
        cells += [
            (_column(row.subject or row.preview, subject_width - 1, subject_width), ""),
            (_column(row.status, 9, 10), STATUS_STYLES.get(row.status, "")),
            (
                _column(row.assignee or "unassigned", 11, 12),
                "dim" if row.assignee is None else "magenta",
            ),
            (one_line(" ".join(f"#{t}" for t in row.tags), self.tags_width(width)), "blue"),
        ]
        return cells

    def header(self, width: int) -> Text:
        """Column titles aligned with ``row_cells``."""
        return Text(
            f"{'wait':>6} {'channel':<9}{'customer':<21} {'subject':<{self.subject_width(width)}}"
            f"{'status':<9} {'assignee':<12}{'tags'}",
            style="bold",
            no_wrap=True,
        )


# The emoji variation selector (❤️, ⚠️): terminals disagree on the pair's width (tmux
# 3.3 draws it in one cell, Rich counts two), so rows drop it and ❤ is one cell in both.
EMOJI_SELECTOR = "\ufe0f"


def _column(value: str, cells: int, width: int) -> str:
    """``value`` on one line in ``cells`` terminal cells, cut with … when longer, padded
    to ``width``: wide characters (李小龙, emoji) take two cells, so columns stay aligned."""
    text = one_line(value, cells).replace(EMOJI_SELECTOR, "")
    if cell_len(text) > cells:
        text = set_cell_size(text, cells - 1) + "…"
    return set_cell_size(text, width)


def fitted(cells: list[Cell], width: int) -> list[Cell]:
    """``cells`` filling ``width`` terminal cells: padded with a blank cell, or cut with
    … (in the style of the cell it replaces) when a narrow terminal leaves too little."""
    if (used := sum(cell_len(text) for text, _ in cells)) <= width:
        return [*cells, (" " * (width - used), "")] if used < width else cells
    kept: list[Cell] = []
    room = width - 1
    for text, style in cells:
        size = cell_len(text)
        if size > room:
            if room:
                kept.append((set_cell_size(text, room), style))
            kept.append(("…", style))
            return kept
        kept.append((text, style))
        room -= size
    return kept
