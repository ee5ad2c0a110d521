"""The pre-send check: what a reply may have missed, found locally in well under 50 ms.

``check`` reads the reply and what the customer asked, and lists findings: a question
the reply does not address, no empathy for an upset customer, card or IBAN numbers,
"attached" with nothing attached, an unfilled ``{variable}``, and (off by default) a
model's draft sent without a single edit. Each rule can be turned off in ``[presend]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdesk.assist.kb import latest_customer_texts
from agentdesk.assist.mood import sounds_upset
from agentdesk.assist.pii import payment_numbers
from agentdesk.assist.settings import DEFAULT_OFF, RULES
from agentdesk.assist.words import ALL_STOP, tokens
from agentdesk.text import one_line

if TYPE_CHECKING:
    from agentdesk.store import Store

__all__ = ["DEFAULT_OFF", "RULES", "Finding", "check", "check_conversation", "questions"]
_QUESTION = re.compile(r"[^.!?\n]*\?")
_EMPATHY = re.compile(
    r"\b(sorry|apologi[sz]e|apologies|understand|frustrat\w*|inconvenience|"
    r"leid|entschuldig\w*|verstehe|désolée?|excuse[sz]?|comprends|siento|lamento|"
    r"disculp\w*|entiendo)",
    re.IGNORECASE,
)
_ATTACHED = re.compile(
    r"\b(attached|attachment|enclosed|anbei|im anhang|angehängt|ci-joint|pièce jointe|"
    r"adjunto|adjunta)\b",
    re.IGNORECASE,
)
_VARIABLE = re.compile(r"\{[A-Za-z_][\w.]*\}")


@dataclass(frozen=True)
class Finding:
    """One thing to look at before sending: the rule and a line saying what it saw."""

    rule: str
    line: str


def _stems(text: str) -> set[str]:
    return {w[:5] for w in tokens(text) if len(w) >= 4 and w not in ALL_STOP}


def questions(texts: list[str]) -> list[str]:
    """The questions in the customer's latest message (``texts``: newest first)."""
    if not texts:
        return []
    found = [q.strip() for q in _QUESTION.findall(texts[0])]
    return [q for q in found if _stems(q)]


def check(
    reply: str,
    customer_texts: list[str],
    upset: bool,
    *,
    attachments: int = 0,
    draft: str | None = None,
    from_model: bool = False,
    enabled: frozenset[str] = frozenset(RULES) - DEFAULT_OFF,
) -> list[Finding]:
    """What ``reply`` may have missed (empty when nothing was found)."""
    findings = []
    if "unanswered_question" in enabled:
        said = _stems(reply)
        for question in questions(customer_texts):
            if not _stems(question) & said:
                findings.append(
                    Finding("unanswered_question", f"not answered: “{one_line(question, 80)}”")
                )
    if "empathy" in enabled and upset and not _EMPATHY.search(reply):
        findings.append(
            Finding("empathy", "the customer is upset and the reply acknowledges nothing")
        )
    if "payment_numbers" in enabled:
        for number in payment_numbers(reply):
            findings.append(Finding("payment_numbers", f"a card or IBAN number: {number}"))
    if "attachment" in enabled and attachments == 0:
        mention = _ATTACHED.search(reply)
        if mention:
            findings.append(
                Finding("attachment", f"says “{mention.group(0)}” but nothing is attached")
            )
    if "placeholder" in enabled:
        for variable in dict.fromkeys(_VARIABLE.findall(reply)):
            findings.append(Finding("placeholder", f"unfilled {variable}"))
    if "unedited_draft" in enabled and from_model and draft and draft.strip() == reply.strip():
        findings.append(Finding("unedited_draft", "the model's draft, not edited at all"))
    return findings


def check_conversation(
    store: Store,
    conversation_id: int,
    reply: str,
    enabled: frozenset[str] = frozenset(RULES) - DEFAULT_OFF,
) -> list[Finding]:
    """``check`` of ``reply`` against the conversation's own latest customer messages
    (when no assist panel has read it: no draft to compare, no lexicon)."""
    texts = latest_customer_texts(store.messages.thread(conversation_id))
    return check(reply, texts, sounds_upset(" ".join(texts[:2])), enabled=enabled)
