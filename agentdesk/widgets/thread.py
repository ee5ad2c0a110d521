"""A conversation's messages: customer, agent reply and internal note look different."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from agentdesk import clock
from agentdesk.domain import Message
from agentdesk.text import clean, human_size

AUTHOR_LABELS = {"in": "customer", "out": "reply", "note": "internal note"}


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
    if message.attempts:
        parts.append(f"attempt {message.attempts}")
    if state.startswith("retry") and message.next_attempt_at:
        parts.append(f"next try {local_time(message.next_attempt_at, '%H:%M:%S')}")
    return " · ".join(parts)


def render_message(message: Message, customer_name: str = "") -> Text:
    """A message as plain Text (never markup), with header, body and attachments."""
    author = clean(customer_name or message.author) if message.direction == "in" else clean(
        message.author)
    header = Text.assemble((author, "bold"), "  ", (AUTHOR_LABELS[message.direction], "italic"),
                           "  ", (local_time(message.at), "dim"))
    if message.auto:
        header.append("  auto-reply", style="dim italic")
    if message.has_html:
        header.append("  html", style="dim")
    delivery = delivery_text(message) if message.direction == "out" else ""
    if delivery:
        style = ("dim" if message.delivery == "sent" else "bold red"
                 if (message.delivery or "").startswith("failed") else "yellow")
        header.append(f"  {delivery}", style=style)
    body = Text(clean(message.body).strip() or "(no text)")
    parts = [header, body]
    for attachment in message.attachments:
        parts.append(Text.assemble(("📎 ", ""), (clean(attachment.filename), "underline"),
                                   (f"  {human_size(attachment.size)}", "dim")))
    return Text("\n").join(parts)


class ThreadView(VerticalScroll, can_focus=True):
    """Scrollable thread; newest message at the bottom."""

    DEFAULT_CSS = """
    ThreadView > .message { margin: 0 0 1 0; padding: 0 1; }
    ThreadView > .message.in { border-left: thick $secondary; }
    ThreadView > .message.out { border-left: thick $success; background: $success 8%; }
    ThreadView > .message.note { border-left: thick $warning; background: $warning 15%; }
    """

    def show(self, messages: list[Message], customer_name: str = "") -> None:
        """Replace the thread with ``messages`` and scroll to the newest."""
        self.remove_children()
        self.mount_all([
            Static(render_message(m, customer_name), classes=f"message {m.direction}")
            for m in messages
        ])
        self.call_after_refresh(self.scroll_end, animate=False)
