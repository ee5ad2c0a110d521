"""The customer pane: who this is on every channel, and their other conversations."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain import Customer, InboxRow
from agentdesk.text import count_of, one_line
from agentdesk.widgets.thread import local_time


def render_customer(customer: Customer) -> Text:
    text = Text(one_line(customer.name or customer.primary_address, 60), style="bold")
    for identity in customer.identities:
        text.append(f"\n{identity.channel:<6} ", style="cyan")
        text.append(one_line(identity.address, 60))
    text.append(f"\nfirst seen {local_time(customer.first_seen)}", style="dim")
    text.append(f"\n{count_of(customer.conversation_count, 'conversation')}", style="dim")
    if customer.tags:
        text.append("\n" + " ".join(f"#{one_line(t, 30)}" for t in customer.tags), style="blue")
    return text


class CustomerCard(Static):
    """Who the customer is; drawn again only when that changed."""

    _shown: Text | None = None

    def show(self, customer: Customer) -> None:
        text = render_customer(customer)
        if text != self._shown:  # (j between one customer's conversations: unchanged)
            self._shown = text
            self.update(text)


class HistoryList(OptionList):
    """Earlier conversations on any channel, newest first; Enter opens one beside the thread."""

    _shown: list | None = None  # (id, prompt) of the options shown

    def show(self, rows: list[InboxRow]) -> None:
        options = [
            Option(
                Text.assemble(
                    (local_time(row.last_message_at)[:10], "dim"),
                    " ",
                    (f"{row.channel:<5}", "cyan"),
                    " ",
                    (f"{row.status:<8}", "italic"),
                    " ",
                    one_line(row.subject or row.preview, 60),
                ),
                id=str(row.id),
            )
            for row in rows
        ] or [Option(Text("no other conversations", style="dim"), disabled=True)]
        shown = [(option.id, option.prompt) for option in options]
        if shown != self._shown:
            self._shown = shown
            self.set_options(options)  # at once: one layout, not one per row
