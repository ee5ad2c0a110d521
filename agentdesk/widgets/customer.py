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


def customer_name(customer: Customer) -> str:
    """The customer's name as one clean line (their first address when they have none)."""
    return one_line(customer.name or customer.primary_address, 40)


def customer_choice(customer: Customer, this: bool = False) -> str:
    """A customer in the link-or-merge picker, enough to tell people apart: name, every
    address with its channel, conversations and last contact (plain text)."""
    head = customer_name(customer) + ("  (this customer)" if this else "")
    addresses = " · ".join(f"{i.channel} {one_line(i.address, 50)}" for i in customer.identities)
    last = f" · last contact {local_time(customer.last_contact)}" if customer.last_contact else ""
    conversations = count_of(customer.conversation_count, "conversation")
    return f"{head}\n  {addresses or '(no address)'}\n  {conversations}{last}"


def moving(merged: Customer, kept: Customer) -> str:
    """What merging ``merged`` into ``kept`` moves: ``2 conversations, email ann@old.example,
    #vip`` (its conversations, its addresses, the tags ``kept`` lacks)."""
    tags = sorted(set(merged.tags) - set(kept.tags))
    return ", ".join(
        [
            count_of(merged.conversation_count, "conversation"),
            *(f"{i.channel} {one_line(i.address, 50)}" for i in merged.identities),
            *(f"#{one_line(tag, 30)}" for tag in tags),
        ]
    )


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
