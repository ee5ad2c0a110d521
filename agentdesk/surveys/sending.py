"""Asking for feedback when a conversation is resolved.

The survey is queued as an outgoing message of the conversation and leaves through the
reply delivery path (queued, retried, never sent twice); once sent it is logged as
``survey_sent``, which no metric counts as a reply.
"""

from __future__ import annotations

from datetime import timedelta

from agentdesk import clock
from agentdesk.domain import WITHDRAWN, Direction, EventKind, Status
from agentdesk.store import Store
from agentdesk.surveys.questions import CES_QUESTIONS, question_for
from agentdesk.surveys.settings import CsatSettings

SPAM_TAG = "spam"


def queue_survey(store: Store, settings: CsatSettings, conversation_id: int) -> int | None:
    """Queue the survey for a conversation just resolved, if it should have one; returns
    the survey message's id (to deliver), or None.

    None when surveys are off for its channel or connector, it is tagged spam, it is not
    resolved, its latest customer message is an auto-reply (or the customer never wrote),
    no agent replied, it was already asked since this resolve, or the customer was asked
    within ``cooldown_days`` (a survey that failed for good asked nobody). Asking twice
    for one resolve is harmless: the second call finds the first survey.
    """
    conversation = store.conversations.get(conversation_id)
    if (
        conversation is None
        or conversation.status != Status.RESOLVED
        or not settings.asks_on(conversation.channel, conversation.via)
        or SPAM_TAG in conversation.tags
    ):
        return None
    resolve = next(
        (
            e
            for e in reversed(store.events.read(conversation_id))
            if e["kind"] == EventKind.STATUS and e["payload"].get("to") == Status.RESOLVED
        ),
        None,
    )
    thread = store.messages.thread(conversation_id)
    customer = [m for m in thread if m.direction == Direction.IN]
    replied = any(
        m.direction == Direction.OUT and not m.survey and not m.delivery_failed for m in thread
    )
    if resolve is None or not customer or customer[-1].auto or not replied:
        return None
    now = clock.now()
    recently = clock.to_iso(now - timedelta(days=settings.cooldown_days))
    asked = [m for m in thread if m.survey and m.delivery != WITHDRAWN]
    reached = [m.at for m in asked if not m.delivery_failed]  # a failed one asked nobody
    last = store.surveys.last_asked(conversation.customer_id)
    if any(m.at >= resolve["at"] for m in asked) or (
        settings.cooldown_days and any(at > recently for at in [*reached, last or ""])
    ):
        return None
    text = question_for([m.body for m in customer if not m.auto], settings.texts)
    return store.surveys.queue(conversation_id, resolve["agent"] or "", text)


def queue_effort_question(store: Store, settings: CsatSettings, conversation_id: int) -> int | None:
    """After a CSAT answer that left the conversation resolved: queue the effort
    question (CES, 1-7) when ``[csat] ces`` is on; returns its message id, or None.

    Asked once per CSAT survey: never when the latest sent survey is unanswered or is
    itself the effort question, nor while another survey waits to be sent.
    """
    if not settings.ces:
        return None
    answered = store.surveys.last_answered(conversation_id)
    conversation = store.conversations.get(conversation_id)
    if (
        answered is None
        or answered[1] != "csat"
        or conversation is None
        or conversation.status != Status.RESOLVED
        or not settings.asks_on(conversation.channel, conversation.via)
        or any(m.survey for m in store.replies.unsent(conversation_id))
    ):
        return None
    customer = [
        m.body
        for m in store.messages.thread(conversation_id)
        if m.direction == Direction.IN and not m.auto
    ]
    text = question_for(customer, settings.ces_texts, CES_QUESTIONS)
    return store.surveys.queue(conversation_id, answered[2], text, survey="ces")
