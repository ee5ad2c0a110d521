"""Everything the drafters need about one conversation, read from the store at once."""

from __future__ import annotations

from dataclasses import dataclass

from agentdesk import clock
from agentdesk.assist import kb
from agentdesk.assist.mood import Mood, analyse
from agentdesk.assist.words import language, newest_text
from agentdesk.domain import Conversation, Customer, Direction, InboxRow, Message
from agentdesk.store.kb import KbHit


@dataclass(frozen=True)
class AssistContext:
    conversation: Conversation
    customer: Customer | None
    messages: list[Message]
    history: list[InboxRow]
    mood: Mood
    suggestions: list[KbHit]
    language: str
    agent_display_name: str

    @property
    def first_name(self) -> str:
        return self.customer.first_name if self.customer else ""

    @property
    def customer_texts(self) -> list[str]:
        """The customer's latest substantive messages, newest first."""
        return kb.latest_customer_texts(self.messages)


def load_context(
    store, conversation_id: int, agent_display_name: str = "", suggestions: int = 3
) -> AssistContext | None:
    """The context for ``conversation_id`` (None if it does not exist)."""
    conversation = store.conversations.get(conversation_id)
    if conversation is None:
        return None
    customer = store.customers.get(conversation.customer_id)
    messages = store.messages.thread(conversation_id)
    history = store.inbox.history(conversation.customer_id, exclude=conversation_id)
    mood = analyse(messages, conversation, history, clock.now())
    hits = kb.suggest(store, messages, conversation.subject, suggestions, mood.intent)
    inbound = [newest_text(m.body) for m in messages if m.direction == Direction.IN and not m.auto]
    return AssistContext(
        conversation,
        customer,
        messages,
        history,
        mood,
        hits,
        language(" ".join(inbound[-2:])),
        agent_display_name,
    )
