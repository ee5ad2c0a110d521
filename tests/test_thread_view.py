"""The thread widget's width: the whole width when the thread fits, beside a scroll bar
when it overflows (``ThreadView._lay_out`` wraps it beside the bar first)."""

from __future__ import annotations

from conftest import until
from textual.app import App, ComposeResult

from agentdesk.domain import Message
from agentdesk.widgets.thread import ThreadView

WIDTH, HEIGHT = 40, 12


def message(number: int, body: str) -> Message:
    return Message(
        id=number,
        conversation_id=1,
        direction="in",
        author="ann@example.com",
        at="2026-12-01T10:00:00Z",
        subject="Parcel",
        body=body,
        has_html=False,
        auto=False,
        delivery=None,
    )


class OneThread(App):
    CSS = f"ThreadView {{ width: {WIDTH}; height: {HEIGHT}; }}"

    def compose(self) -> ComposeResult:
        yield ThreadView(id="thread")


async def shown(bodies: list[str]) -> tuple[int, int, bool]:
    """(width wrapped at, lines, scroll bar shown) for a thread of ``bodies``."""
    app = OneThread()
    async with app.run_test(size=(60, 20)) as pilot:
        thread = app.query_one(ThreadView)
        await until(pilot, lambda: thread.content_region.width > 0)
        thread.show([message(n, body) for n, body in enumerate(bodies, 1)], "Ann")
        await pilot.pause()
        return thread.virtual_size.width, thread.virtual_size.height, thread.show_vertical_scrollbar


async def test_a_thread_that_fits_takes_the_whole_width_without_a_scroll_bar():
    width, lines, bar = await shown(["Where is my parcel?", "Any news?"])
    assert (width, bar) == (WIDTH, False) and lines <= HEIGHT


async def test_a_thread_that_overflows_wraps_beside_the_scroll_bar():
    width, lines, bar = await shown([f"Message {n}: still waiting." for n in range(8)])
    assert bar and width < WIDTH and lines > HEIGHT


async def test_white_space_dropped_where_lines_break_leaves_the_thread_the_whole_width():
    # 405 characters, but the runs of spaces where its lines break are dropped: 5 lines.
    width, lines, bar = await shown([(" " * 100).join("abcde")])
    assert (width, bar) == (WIDTH, False) and lines <= HEIGHT
