"""A conversation's messages: customer, agent reply and internal note look different.

A long body is shown cut short (its first ``PREVIEW_CHARS`` / ``PREVIEW_LINES``) with a
marker saying how much more there is, so a 10 MB mail is never laid out whole; a long
thread shows its newest ``PREVIEW_MESSAGES`` messages under a line counting the earlier
ones. ``more`` shows ``GROWTH`` times as much of each, and ``thread_text`` is the whole
thread for a pager. The thread is one line-API widget (``ThreadView``), not a widget per
message.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual, visualize

from agentdesk import clock
from agentdesk.domain import Message
from agentdesk.quotes import quoted_runs
from agentdesk.text import clean, count_of, human_size

AUTHOR_LABELS = {"in": "customer", "out": "reply", "note": "internal note"}
SURVEY_LABELS = {"csat": "satisfaction survey", "ces": "effort survey"}
PREVIEW_CHARS = 16 * 1024  # of a body shown at first
PREVIEW_LINES = 100
PREVIEW_MESSAGES = 30  # newest messages of a thread shown at first
GROWTH = 4  # each "more" shows this many times as much


def local_time(iso: str | None, form: str = "%a %d %b %H:%M") -> str:
    """A timestamp in the agent's local time, e.g. ``Mon 05 Jan 09:00`` (a value that is
    not a time is shown as it is stored)."""
    instant = clock.try_parse_iso(iso)
    return instant.astimezone().strftime(form) if instant else clean(str(iso))


def delivery_text(message: Message) -> str:
    """A reply's delivery state in one line: ``queued · sends at 11:42:05 · u: undo``,
    ``retry: … · attempt 3 · next try 11:42:05``, ``failed: <the channel's words>``,
    ``sent · <the channel's id>`` (or ``sent``)."""
    state = message.delivery or ""
    if state == "sent":
        return f"sent · {clean(message.external_id)}" if message.external_id else "sent"
    parts = [clean(state)]
    if state.startswith("sent") and message.external_id:  # e.g. "sent · may have been …"
        parts.append(clean(message.external_id))
    if message.attempts:
        parts.append(f"attempt {message.attempts}")
    if state.startswith("retry") and message.next_attempt_at:
        parts.append(f"next try {local_time(message.next_attempt_at, '%H:%M:%S')}")
    if state == "queued" and message.next_attempt_at:  # held for undo send
        parts.append(f"sends at {local_time(message.next_attempt_at, '%H:%M:%S')} · u: undo")
    elif state.startswith(("retry", "failed")):
        parts.append("R: resend · u: edit")
    return " · ".join(parts)


def cut_point(body: str, chars: int, lines: int) -> int:
    """Where a preview of ``body`` ends: at most ``chars`` characters and ``lines`` lines
    (``len(body)`` when it all fits, trailing white space aside)."""
    size = len(body.rstrip())
    if size <= chars and body.count("\n", 0, size) < lines:
        return len(body)
    end, newline = min(chars, size), -1
    for _ in range(lines):
        newline = body.find("\n", newline + 1, end)
        if newline < 0:
            return end
    return newline


def header(message: Message, customer_name: str = "") -> Text:
    """Author, kind (a survey the desk sent says so) and time of a message (plus
    auto-reply, html and delivery marks)."""
    author = (
        clean(customer_name or message.author)
        if message.direction == "in"
        else clean(message.author)
    )
    line = Text.assemble(
        (author, "bold"),
        "  ",
        (SURVEY_LABELS.get(message.survey, AUTHOR_LABELS[message.direction]), "italic"),
        "  ",
        (local_time(message.at), "dim"),
    )
    if message.auto:
        line.append("  auto-reply", style="dim italic")
    if message.has_html:
        line.append("  html", style="dim")
    delivery = delivery_text(message) if message.direction == "out" else ""
    if delivery:
        style = (
            "bold red"
            if message.delivery_failed
            else "dim"
            if message.delivery == "sent"
            else "yellow"
        )
        line.append(f"  {delivery}", style=style)
    return line


def body_text(body: str, quotes_shown: bool = False) -> Text:
    """A cleaned body; each run of quoted history (``agentdesk.quotes``) is one line
    saying how long it is, or shown dimmed when ``quotes_shown``."""
    text = Text()
    for index, (quoted, lines) in enumerate(quoted_runs(body)):
        if index:
            text.append("\n")
        if not quoted:
            text.append("\n".join(lines))
        elif quotes_shown:
            text.append("\n".join(lines), style="dim")
        else:
            text.append(
                f"… {count_of(len(lines), 'quoted line')} · Enter shows them", style="dim italic"
            )
    return text


def render_message(
    message: Message, customer_name: str = "", scale: int = 1, quotes_shown: bool = False
) -> Text:
    """A message as plain Text (never markup), with header, body and attachments.

    At most ``scale`` times the preview of the body is cleaned and shown; a marker
    line says how much more there is. Quoted history is collapsed unless ``quotes_shown``.
    """
    cut = cut_point(message.body, PREVIEW_CHARS * scale, PREVIEW_LINES * scale)
    body = clean(message.body[:cut]).strip() or "(no text)"
    parts = [header(message, customer_name), body_text(body, quotes_shown)]
    if cut < len(message.body):
        rest = human_size(len(message.body[cut:].encode()))
        parts.append(Text(f"… {rest} more · v: more · V: all in $PAGER", style="bold reverse"))
    for attachment in message.attachments:
        parts.append(
            Text.assemble(
                ("📎 ", ""),
                (clean(attachment.filename), "underline"),
                (f"  {human_size(attachment.size)}", "dim"),
            )
        )
    return Text("\n").join(parts)


def thread_text(messages: list[Message], customer_name: str = "") -> str:
    """The whole thread, every body in full and cleaned, as plain text for a pager."""
    return "\n\n".join(
        f"{header(m, customer_name).plain}\n{clean(m.body).strip()}" for m in messages
    )


class ThreadView(ScrollView, can_focus=True):
    """Scrollable thread; newest message at the bottom.

    Drawn with Textual's line API: one widget for the whole thread, each message wrapped
    once per width into cached lines (an edge in the author's colour, the message's
    background, a blank line after it), and only the lines in view drawn. Showing
    another conversation lays out nothing but the text, and the scroll to the newest
    message happens at once (the height is known without a layout pass).
    """

    COMPONENT_CLASSES = {
        "thread--in-edge",
        "thread--out",
        "thread--out-edge",
        "thread--note",
        "thread--note-edge",
        "thread--earlier",
    }
    DEFAULT_CSS = """
    ThreadView { overflow-x: hidden; }
    ThreadView > .thread--in-edge { color: $secondary; }
    ThreadView > .thread--out { background: $success 8%; }
    ThreadView > .thread--out-edge { color: $success; background: $success 8%; }
    ThreadView > .thread--note { background: $warning 15%; }
    ThreadView > .thread--note-edge { color: $warning; background: $warning 15%; }
    """
    EDGE = "\u2588"  # a thick left border

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.customer_name = ""
        self.messages: list[Message] = []
        self.scales: dict[int, int] = {}  # message id -> how far "more" grew its preview
        self.limit = PREVIEW_MESSAGES  # newest messages shown
        self.quotes_shown = False  # quoted history in full, not one line per run
        self._blocks: list[tuple[str, Text]] = []  # (kind, text) shown, oldest first
        self._lines: list[Strip] = []  # every line of the blocks, at ``_width``
        self._width = 0
        self._blank: Strip | None = None  # a blank line at the width last wrapped at
        self._wrapped: dict[tuple, list[Strip]] = {}  # (width, kind, text) -> lines
        self._follow = False  # scroll to the newest once the width is known
        self._last_palette: dict[str, tuple] = {}

    def show(self, messages: list[Message], customer_name: str = "", follow: bool = True) -> None:
        """Show ``messages`` and (``follow``) scroll to the newest (in the same thread, a
        message shown longer with ``more`` stays so)."""
        if not messages or not self.messages or messages[0].id != self.messages[0].id:
            self.limit = PREVIEW_MESSAGES  # another thread
            self.quotes_shown = False
        self.customer_name, self.messages = customer_name, messages
        self.scales = {m.id: self.scales[m.id] for m in messages if m.id in self.scales}
        self._follow = self._follow or follow
        self._draw()

    def shown(self) -> list[Text]:
        """What the thread shows, as text: the earlier-messages line (when some are left
        out), then each message shown."""
        return [text for _, text in self._blocks]

    def _draw(self) -> None:
        shown = self.messages[-self.limit :]
        earlier = len(self.messages) - len(shown)
        self._blocks = []
        if earlier:
            line = f"… {count_of(earlier, 'earlier message')} · v: more · V: all in $PAGER"
            self._blocks.append(("earlier", Text(line, style="bold reverse")))
        for message in shown:
            text = render_message(
                message, self.customer_name, self.scales.get(message.id, 1), self.quotes_shown
            )
            self._blocks.append((message.direction, text))
        self._lay_out()

    def on_resize(self) -> None:
        if self._content_width() != self._width:
            self._lay_out(layout=True)  # (the scroll bar is placed in a layout pass)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self._lines and self._palette() != self._last_palette:
            self._lay_out()  # the colours changed (a theme)

    def _palette(self) -> dict[str, tuple]:
        """Per kind of block: its text style and its edge's style."""
        palette: dict[str, tuple] = {"earlier": (self.get_visual_style(), None)}
        for kind in ("in", "out", "note"):
            names = () if kind == "in" else (f"thread--{kind}",)
            edge = self.get_component_rich_style(f"thread--{kind}-edge")
            palette[kind] = (self.get_visual_style(*names), edge)
        return palette

    def _content_width(self, scrollbar: bool = False) -> int:
        width = self.content_region.width
        return max(1, width - self.styles.scrollbar_size_vertical) if scrollbar else width

    def _lay_out(self, layout: bool = False) -> None:
        """Wrap the blocks at the width there is (less a scroll bar's when they overflow),
        and (when asked to follow) scroll to the newest."""
        if not self.content_region.width:
            return  # not laid out yet: on_resize does it
        height = self.content_region.height
        whole, beside_bar = self._content_width(), self._content_width(scrollbar=True)
        # Wrapped first at the width a quick count of its lines predicts (beside a
        # scroll bar when they overflow the view), and again only when the wrapped lines
        # say the guess was wrong: most threads are wrapped once, none more than twice.
        width = beside_bar if self._guessed_lines(whole) > height else whole
        lines = self._wrap_all(width)
        if width == whole and len(lines) > height:
            width, lines = beside_bar, self._wrap_all(beside_bar)
        elif width == beside_bar and len(lines) <= height:
            width, lines = whole, self._wrap_all(whole)
        self._width, self._lines = width, lines
        self.virtual_size = Size(width, len(lines))
        if self._follow:
            self._follow = False
            newest = max(0, len(lines) - self.content_region.height)
            self.scroll_to(y=newest, animate=False, immediate=True, force=True)
        self.refresh(layout=layout)

    def _guessed_lines(self, width: int) -> int:
        """About how many lines the blocks take at ``width`` (a line of text takes one per
        ``width`` characters; blanks where lines break are not counted out)."""
        lines = 0
        for kind, text in self._blocks:
            cells = max(1, width if kind == "earlier" else width - 3)
            lines += 1 + sum(len(line) // cells + 1 for line in text.plain.split("\n"))
        return lines

    def _wrap_all(self, width: int) -> list[Strip]:
        palette = self._last_palette = self._palette()
        wrapped: dict[tuple, list[Strip]] = {}
        lines: list[Strip] = []
        # The space after each block, and each line below the thread (render_line: the
        # widget's style takes 17 us a line to work out).
        blank = self._blank = Strip.blank(width, self.rich_style)
        for kind, text in self._blocks:
            key = (width, palette[kind], text.plain, tuple(text.spans), text.style)
            block = self._wrapped.get(key) or self._wrap(kind, text, width, *palette[kind])
            wrapped[key] = block
            lines += block
            lines.append(blank)
        self._wrapped = wrapped  # blocks no longer shown are forgotten
        return lines

    def _wrap(self, kind: str, text: Text, width: int, style, edge_style) -> list[Strip]:
        """``text`` as lines ``width`` wide (a message behind its edge and padding)."""
        if edge_style is None:
            return Visual.to_strips(self, visualize(self, text), width, None, style, pad=True)
        edge, pad = Segment(self.EDGE, edge_style), Segment(" ", style.rich_style)
        body = Visual.to_strips(
            self, visualize(self, text), max(1, width - 3), None, style, pad=True
        )
        return [Strip([edge, pad, *line, pad], width) for line in body]

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        if 0 <= index < len(self._lines):
            return self._lines[index]
        return self._blank or Strip.blank(self._width, self.rich_style)

    def _cut(self, message: Message) -> int:
        """Where the shown part of ``message``'s body ends."""
        scale = self.scales.get(message.id, 1)
        return cut_point(message.body, PREVIEW_CHARS * scale, PREVIEW_LINES * scale)

    def toggle_quotes(self) -> bool:
        """Show the quoted history in full, or collapse it again; False when no message
        shown quotes any."""
        bodies = [m.body[: self._cut(m)] for m in self.messages[-self.limit :]]
        if not any(quoted for body in bodies for quoted, _ in quoted_runs(clean(body))):
            return False
        self.quotes_shown = not self.quotes_shown
        self._draw()
        return True

    def full_text(self) -> str:
        """The whole thread, for a pager (see ``thread_text``)."""
        return thread_text(self.messages, self.customer_name)

    def more(self) -> bool:
        """Show ``GROWTH`` times more of every cut body and of the earlier messages;
        False when nothing is cut."""
        grown = len(self.messages) > self.limit
        if grown:
            self.limit *= GROWTH
        for message in self.messages[-self.limit :]:
            if self._cut(message) < len(message.body):
                self.scales[message.id] = self.scales.get(message.id, 1) * GROWTH
                grown = True
        if grown:
            self._draw()
        return grown
