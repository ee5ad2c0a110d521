"""KB gaps: what customers recently asked that no article answers, by intent.

Each message is ranked as the panel ranks it; when no article answers it with
confidence (``Suggestion.confident``), its question (or first sentence) counts for its
intent. Most frequent intents and questions first: what the help centre should write
next.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from agentdesk.assist.mood import intent
from agentdesk.assist.presend import questions
from agentdesk.assist.ranking import rank
from agentdesk.assist.words import keywords, message_core
from agentdesk.text import one_line


@dataclass(frozen=True)
class Gap:
    """An intent ("unclear" when none) and its unanswered questions with their counts."""

    intent: str
    count: int
    questions: list[tuple[str, int]]


def question_of(text: str) -> str:
    """The customer's first question, else their first sentence (one line)."""
    asked = questions([text])
    first = asked[0] if asked else re.split(r"(?<=[.!?])\s+", " ".join(text.split()))[0]
    return one_line(first, 100)


def find_gaps(store, texts: list[str]) -> tuple[list[Gap], int]:
    """The gaps among ``texts`` (customer messages) and how many messages were read.

    Questions with the same distinctive words count as one ("Hi, can you …" and "Can
    you …"), shown in their shortest wording."""
    by_intent: dict[str, Counter[str]] = {}
    shown: dict[str, str] = {}  # a question's words -> its shortest wording
    read = 0
    for text in texts:
        core = message_core(text)
        if not core:
            continue
        read += 1
        topic = intent(core) or ""
        best = rank(store, [core], limit=1, intent=topic)
        if best and best[0].confident:
            continue
        question = question_of(core)
        key = " ".join(sorted(keywords([question], 20))) or question.lower()
        if key not in shown or len(question) < len(shown[key]):
            shown[key] = question
        by_intent.setdefault(topic or "unclear", Counter())[key] += 1
    gaps = [
        Gap(name, sum(counter.values()), [(shown[k], n) for k, n in counter.most_common()])
        for name, counter in by_intent.items()
    ]
    return sorted(gaps, key=lambda gap: (-gap.count, gap.intent)), read
