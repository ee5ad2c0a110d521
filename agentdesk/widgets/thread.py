"""A conversation's messages: customer, agent reply and internal note look different.

A long body is shown cut short (its first ``PREVIEW_CHARS`` / ``PREVIEW_LINES``) with a
marker saying how much more there is, so a 10 MB mail is never laid out whole; ``more``
shows ``GROWTH`` times as much of each cut body, and ``thread_text`` is the whole
thread for a pager.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from agentdesk import clock
from agentdesk.domain import Message
from agentdesk.text import clean, human_size

AUTHOR_LABELS = {"in": "customer", "out": "reply", "note": "internal note"}
PREVIEW_CHARS = 16 * 1024  # of a body shown at first
PREVIEW_LINES = 100
GROWTH = 4  # each "more" shows this many times as much


def local_time(iso: str | None, form: str = "%a %d %b %H:%M") -> str:
    """A timestamp in the agent's local time, e.g. ``Mon 05 Jan 09:00`` (a value that is
    not a time is shown as it is stored)."""
    instant = clock.try_parse_iso(iso)
    return instant.astimezone().strftime(form) if instant else clean(str(iso))


def delivery_text(message: Message) -> str:
    """A reply's delivery state in one line: ``retry: … · attempt 3 · next try 11:42:05``,
    ``sent · <the channel's id>``; empty for a sent reply without an id."""
    state = message.delivery or ""
    if state == "sent":
        return f"sent · {clean(message.external_id)}" if message.external_id else ""
    parts = [clean(state)]
    if state.startswith("sent") and message.external_id:  # e.g. "sent · may have been …"
        parts.append(clean(message.external_id))
    if message.attempts:
        parts.append(f"attempt {message.attempts}")
    if state.startswith("retry") and message.next_attempt_at:
        parts.append(f"next try {local_time(message.next_attempt_at, '%H:%M:%S')}")
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


def render_message(message: Message, customer_name: str = "", scale: int = 1) -> Text:
    """A message as plain Text (never markup), with header, body and attachments.

    At most ``scale`` times the preview of the body is cleaned and shown; a marker
    line says how much more there is.
    """
    cut = cut_point(message.body, PREVIEW_CHARS * scale, PREVIEW_LINES * scale)
    parts = [header(message, customer_name), Text(clean(message.body[:cut]).strip() or "(no text)")]
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
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.customer_name = ""
        self.scales: dict[int, int] = {}  # message id -> how far "more" grew its preview
        self._shown: list[tuple[Message, Static]] = []

    def show(self, messages: list[Message], customer_name: str = "") -> None:
        """Replace the thread with ``messages`` and scroll to the newest (a message
        shown longer with ``more`` stays so)."""
        self.customer_name = customer_name
        self.scales = {m.id: self.scales[m.id] for m in messages if m.id in self.scales}
        self.remove_children()
        self._shown = [
            (
                m,
                Static(
                    render_message(m, customer_name, self.scales.get(m.id, 1)),
                    classes=f"message {m.direction}",
                ),
            )
            for m in messages
        ]
        self.mount_all([widget for _, widget in self._shown])
        self.call_after_refresh(self.scroll_end, animate=False)

    def full_text(self) -> str:
        """The whole thread shown, for a pager (see ``thread_text``)."""
        return thread_text([message for message, _ in self._shown], self.customer_name)

    def more(self) -> bool:
        """Show ``GROWTH`` times more of every cut body; False when none is cut."""
        grown = False
        for message, widget in self._shown:
            scale = self.scales.get(message.id, 1)
            if cut_point(message.body, PREVIEW_CHARS * scale, PREVIEW_LINES * scale) < len(
                message.body
            ):
                self.scales[message.id] = scale * GROWTH
                widget.update(render_message(message, self.customer_name, scale * GROWTH))
                grown = True
        return grown
