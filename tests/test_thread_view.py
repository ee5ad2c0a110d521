"""The thread widget's width: the whole width when the thread fits, beside a scroll bar
when it overflows (``ThreadView._lay_out`` wraps it at the width a count of its lines
predicts, and again only when the guess was wrong)."""

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


class CountedThread(ThreadView):
    """Counts the widths it wraps the thread at."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.wrapped_at: list[int] = []

    def _wrap_all(self, width: int):
        self.wrapped_at.append(width)
        return super()._wrap_all(width)


class OneThread(App):
    CSS = f"ThreadView {{ width: {WIDTH}; height: {HEIGHT}; }}"

    def compose(self) -> ComposeResult:
        yield CountedThread(id="thread")


async def shown(bodies: list[str]) -> tuple[int, int, bool, int]:
    """(width wrapped at, lines, scroll bar shown, wraps it took) for a thread of
    ``bodies``."""
    app = OneThread()
    async with app.run_test(size=(60, 20)) as pilot:
        thread = app.query_one(CountedThread)
        await until(pilot, lambda: thread.content_region.width > 0)
        thread.wrapped_at.clear()
        thread.show([message(n, body) for n, body in enumerate(bodies, 1)], "Ann")
        await pilot.pause()
        size, bar = thread.virtual_size, thread.show_vertical_scrollbar
        return size.width, size.height, bar, len(thread.wrapped_at)


async def test_a_thread_that_fits_takes_the_whole_width_without_a_scroll_bar():
    width, lines, bar, wraps = await shown(["Where is my parcel?", "Any news?"])
    assert (width, bar) == (WIDTH, False) and lines <= HEIGHT
    assert wraps == 1


async def test_a_thread_that_overflows_wraps_beside_the_scroll_bar():
    width, lines, bar, wraps = await shown([f"Message {n}: still waiting." for n in range(8)])
    assert bar and width < WIDTH and lines > HEIGHT
    assert wraps == 1


async def test_a_long_paragraph_that_overflows_wraps_beside_the_scroll_bar():
    # One line of text, but 12 lines wrapped: the guess counts its characters.
    width, lines, bar, wraps = await shown(["parcel " * 60])
    assert bar and width < WIDTH and lines > HEIGHT
    assert wraps == 1


async def test_white_space_dropped_where_lines_break_leaves_the_thread_the_whole_width():
    # 405 characters, but the runs of spaces where its lines break are dropped: 5 lines
    # (guessed 11: wrapped beside the bar first, then at the whole width).
    width, lines, bar, wraps = await shown([(" " * 100).join("abcde")])
    assert (width, bar) == (WIDTH, False) and lines <= HEIGHT
    assert wraps == 2


async def test_words_that_fill_half_a_line_each_overflow_where_the_guess_said_fit():
    # 12 words of 20 letters: 252 characters (guessed 7 lines), but one word per line.
    width, lines, bar, wraps = await shown([" ".join(["x" * 20] * 12)])
    assert bar and width < WIDTH and lines > HEIGHT
    assert wraps == 2
