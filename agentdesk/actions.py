"""Changing conversations in one go: a macro (status, tags, assignee, a drafted canned
reply) on one conversation, and any change on many (the inbox's marked rows), counting
what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from agentdesk.domain import Agent, Macro, Status, render_canned
from agentdesk.store import Store
from agentdesk.text import count_of


class ActionError(Exception):
    """An action that cannot be done as configured (one line)."""


@dataclass
class Outcome:
    """What a change on several conversations did."""

    changed: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self, done: str) -> str:
        """``Resolved 4 conversations (1 already was).`` for ``done = "Resolved"``."""
        text = f"{done} {count_of(self.changed, 'conversation')}"
        if self.unchanged:
            text += f" ({self.unchanged} already {'was' if self.unchanged == 1 else 'were'})"
        if self.problems:
            text += f"; {self.problems[0]}"
        return text + "."


def on_each(ids: Iterable[int], change: Callable[[int], bool]) -> Outcome:
    """``change`` on every conversation in ``ids``; a conversation gone meanwhile is a
    problem, not a stop."""
    outcome = Outcome()
    for conversation_id in ids:
        try:
            changed = change(conversation_id)
        except KeyError:
            outcome.problems.append(f"conversation {conversation_id} no longer exists")
            continue
        except ActionError as error:
            outcome.problems.append(str(error))
            continue
        if changed:
            outcome.changed += 1
        else:
            outcome.unchanged += 1
    return outcome


def apply_macro(store: Store, conversation_id: int, macro: Macro, agent: Agent) -> tuple[bool, str]:
    """``macro`` on one conversation as ``agent``: whether anything changed, and its canned
    reply filled in for this customer (empty when it has none). Nothing is sent."""
    changed = False
    if macro.status:
        changed |= store.conversations.set_status(conversation_id, Status(macro.status), agent.name)
    conversation = store.conversations.get(conversation_id)
    if conversation is None:
        raise KeyError(conversation_id)
    for tag in macro.remove_tags:
        changed |= store.conversations.set_tag(conversation_id, tag, False, agent.name)
    for tag in macro.add_tags:
        changed |= store.conversations.set_tag(conversation_id, tag, True, agent.name)
    if macro.assign is not None:
        changed |= store.conversations.assign(conversation_id, macro.assign or None, agent.name)
    reply = ""
    if macro.canned:
        body = dict(store.canned.all()).get(macro.canned)
        if body is None:
            raise ActionError(f"no canned reply named {macro.canned!r}")
        customer = store.customers.get(conversation.customer_id)
        reply = render_canned(body, customer, agent, conversation.subject)
    return changed, reply


def draft_macro(store: Store, conversation_id: int, macro: Macro, agent: Agent) -> bool:
    """``macro`` on a conversation that is not open on screen: its canned reply becomes
    the reply draft when the agent has none there yet (the agent still sends it)."""
    changed, reply = apply_macro(store, conversation_id, macro, agent)
    if reply and not store.drafts.get(conversation_id, "reply", agent.name).strip():
        store.drafts.save(conversation_id, "reply", reply, agent.name)
        changed = True
    return changed
