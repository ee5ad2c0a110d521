"""The inbox list read again (``InboxList.reload``): what changed is drawn, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from conftest import screen_lines
from textual.app import App, ComposeResult

from agentdesk.config import Config
from agentdesk.domain import InboxRow
from agentdesk.widgets.inbox_list import InboxList


def row(number: int) -> InboxRow:
    return InboxRow(
        id=number,
        uid=f"c{number}",
        channel="email",
        customer_name=f"Customer {number}",
        customer_address=f"c{number}@example.com",
        subject=f"Subject {number}",
        preview="",
        status="open",
        assignee=None,
        tags=(),
        waiting_since=None,
        last_message_at="2026-12-01T10:00:00Z",
        snoozed_until=None,
    )


class ListSource:
    """Rows from a list (the store's sources page an indexed query)."""

    def __init__(self, rows: list[InboxRow]) -> None:
        self.list = rows

    def count(self) -> int:
        return len(self.list)

    def page(self, offset: int, limit: int) -> list[InboxRow]:
        return self.list[offset : offset + limit]

    def position(self, conversation_id: int) -> int | None:
        return next((n for n, r in enumerate(self.list) if r.id == conversation_id), None)

    def rows(self, conversation_ids: list[int]) -> list[InboxRow]:
        return [r for r in self.list if r.id in conversation_ids]


class CountedList(InboxList):
    """Records the rows it draws."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.drawn: list[int] = []

    def render_line(self, y: int):
        self.drawn.append(self.scroll_offset.y + y)
        return super().render_line(y)


class OneList(App):
    def __init__(self, source: ListSource) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield CountedList(self.source, Config().sla_for, id="list")

    def on_mount(self) -> None:
        self.query_one(CountedList).reload()  # read first, as the inbox screen does


async def reloaded(change: Callable[[list[InboxRow]], None]) -> tuple[list[int], list[str]]:
    """40 rows shown, ``change`` made to them, the list read again: (the rows drawn
    after the change, the screen's lines)."""
    source = ListSource([row(n) for n in range(40)])
    app = OneList(source)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        inbox = app.query_one(CountedList)
        inbox.drawn = []
        change(source.list)
        inbox.reload(keep_id=0)
        await pilot.pause()
        return inbox.drawn, screen_lines(app)


async def test_a_reload_draws_only_the_rows_that_changed_and_shows_them():
    def subject_changed(rows: list[InboxRow]) -> None:
        rows[3] = replace(rows[3], subject="Refund sent")

    drawn, lines = await reloaded(subject_changed)
    assert sorted(set(drawn)) == [0, 3]  # the changed row, and the cursor's
    assert "Refund sent" in lines[3]


async def test_a_reload_after_a_row_left_shows_the_rows_below_moved_up():
    def left(rows: list[InboxRow]) -> None:
        del rows[2]  # a conversation left the view: the rows below move up

    drawn, lines = await reloaded(left)
    assert set(range(2, 20)) <= set(drawn)  # (the length changed: all of them)
    assert "Subject 3 " in lines[2] and "Subject 2 " not in "\n".join(lines)
