"""A conversation's messages: customer, agent reply and internal note look different.

A long body is shown cut short (its first ``PREVIEW_CHARS`` / ``PREVIEW_LINES``) with a
marker saying how much more there is, so a 10 MB mail is never laid out whole; a long
thread shows its newest ``PREVIEW_MESSAGES`` messages under a line counting the earlier
ones. ``more`` shows ``GROWTH`` times as much of each, and ``thread_text`` is the whole
thread for a pager. Showing another thread updates the widgets already mounted (one per
message shown) instead of mounting new ones.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from agentdesk import clock
from agentdesk.domain import Message
from agentdesk.quotes import quoted_runs
from agentdesk.text import clean, count_of, human_size

AUTHOR_LABELS = {"in": "customer", "out": "reply", "note": "internal note"}
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
    """Author, kind and time of a message (plus auto-reply, html and delivery marks)."""
    author = (
        clean(customer_name or message.author)
        if message.direction == "in"
        else clean(message.author)
    )
    line = Text.assemble(
        (author, "bold"),
        "  ",
        (AUTHOR_LABELS[message.direction], "italic"),
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


class ThreadView(VerticalScroll, can_focus=True):
    """Scrollable thread; newest message at the bottom."""

    DEFAULT_CSS = """
    ThreadView > .message { margin: 0 0 1 0; padding: 0 1; }
    ThreadView > .message.in { border-left: thick $secondary; }
    ThreadView > .message.out { border-left: thick $success; background: $success 8%; }
    ThreadView > .message.note { border-left: thick $warning; background: $warning 15%; }
    ThreadView > .earlier { margin: 0 0 1 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.customer_name = ""
        self.messages: list[Message] = []
        self.scales: dict[int, int] = {}  # message id -> how far "more" grew its preview
        self.limit = PREVIEW_MESSAGES  # newest messages shown
        self.quotes_shown = False  # quoted history in full, not one line per run
        self._earlier = Static(classes="earlier")
        self._earlier.display = False
        self._widgets: list[Static] = []  # one per message shown, oldest first

    def compose(self):
        yield self._earlier

    def show(self, messages: list[Message], customer_name: str = "") -> None:
        """Show ``messages`` and scroll to the newest (in the same thread, a message
        shown longer with ``more`` stays so)."""
        if not messages or not self.messages or messages[0].id != self.messages[0].id:
            self.limit = PREVIEW_MESSAGES  # another thread
            self.quotes_shown = False
        self.customer_name, self.messages = customer_name, messages
        self.scales = {m.id: self.scales[m.id] for m in messages if m.id in self.scales}
        self._draw()
        self.call_after_refresh(self.scroll_end, animate=False)

    def _draw(self) -> None:
        shown = self.messages[-self.limit :]
        earlier = len(self.messages) - len(shown)
        self._earlier.display = earlier > 0
        if earlier:
            self._earlier.update(
                Text(
                    f"… {count_of(earlier, 'earlier message')} · v: more · V: all in $PAGER",
                    style="bold reverse",
                )
            )
        added = []
        for index, message in enumerate(shown):
            content = render_message(
                message, self.customer_name, self.scales.get(message.id, 1), self.quotes_shown
            )
            if index < len(self._widgets):
                widget = self._widgets[index]
                widget.update(content)
                if not widget.has_class(message.direction):
                    widget.set_classes(f"message {message.direction}")
            else:
                added.append(Static(content, classes=f"message {message.direction}"))
        for widget in self._widgets[len(shown) :]:
            widget.remove()
        del self._widgets[len(shown) :]
        if added:
            self.mount_all(added)
            self._widgets += added

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
