"""KB suggestions for a conversation and the answer text an article contributes."""

from __future__ import annotations

import re

from agentdesk.assist.words import keywords, message_core
from agentdesk.domain import Direction, Message
from agentdesk.store.kb import KbArticle, KbHit

MAX_TERMS = 10


def latest_customer_texts(messages: list[Message], count: int = 3) -> list[str]:
    """The customer's latest substantive messages, newest first (auto-replies and
    one-word thanks are skipped)."""
    texts = []
    for message in reversed(messages):
        if message.direction != Direction.IN or message.auto:
            continue
        core = message_core(message.body)
        if len(keywords([core], limit=3)) < 2 and texts:
            continue
        texts.append(core)
        if len(texts) == count:
            break
    return texts


def query_terms(messages: list[Message], subject: str = "") -> list[str]:
    """Keywords for the KB query: the latest customer messages, then the subject."""
    texts = latest_customer_texts(messages)
    return keywords([*texts, subject] if subject else texts, limit=MAX_TERMS)


# Intent (see ``mood.INTENTS``) -> words an answering article has in its title or tags.
INTENT_TOPICS = {
    "refund": ("refund", "refunds", "return", "returns"),
    "cancel": ("cancel", "cancellation", "close"),
    "damaged item": ("damaged", "damage"),
    "delivery": ("delivery", "shipping", "parcel", "tracking"),
    "billing": ("billing", "invoice", "payment", "charge"),
    "account access": ("login", "password", "account", "2fa", "two-factor", "locked"),
    "bug report": ("error", "bug", "troubleshooting"),
    "complaint": ("complaint", "escalate", "escalation"),
}


def suggest(
    store, messages: list[Message], subject: str = "", limit: int = 3, intent: str | None = None
) -> list[KbHit]:
    """The ``limit`` articles that best answer the conversation (FTS5 OR query, BM25,
    articles about the customer's ``intent`` first)."""
    return store.kb.search(
        query_terms(messages, subject), limit, INTENT_TOPICS.get(intent or "", ())
    )


_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*+])\s+(.*\S)")
_INLINE = re.compile(r"\*\*|__|`|^#+\s*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def on_topic(hit: KbHit, intent: str | None) -> bool:
    """True when a matched word is in the article's title or tags, or the title or
    tags name the customer's intent (so an article matched only in passing is not
    pasted into an offline draft)."""
    head = f"{hit.article.title} {' '.join(hit.article.tags)}".lower()
    words = [*hit.matched, *INTENT_TOPICS.get(intent or "", ())]
    return any(word[:4] in head for word in words if len(word) >= 3)


def plain(markdown: str) -> str:
    """Markdown inline syntax removed (links become ``text (url)``)."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", markdown)
    return _INLINE.sub("", text).strip()


def article_steps(body: str, limit: int = 6) -> list[str]:
    """The first list in the article (its key steps), or its first two sentences."""
    steps: list[str] = []
    for line in body.splitlines():
        item = _LIST_ITEM.match(line)
        if item:
            steps.append(plain(item.group(1)))
            if len(steps) == limit:
                break
        elif steps and line.strip():
            break
    if steps:
        return steps
    paragraphs = [
        p for p in re.split(r"\n\s*\n", body) if p.strip() and not p.lstrip().startswith("#")
    ]
    first = " ".join(plain(paragraphs[0]).split()) if paragraphs else ""
    sentences = re.split(r"(?<=[.!?])\s+", first)
    return [" ".join(sentences[:2])] if first else []


def article_answer(article: KbArticle) -> str:
    """What inserting an article puts in the composer: its key steps and link."""
    steps = article_steps(article.body)
    if len(steps) > 1:
        lines = [f"{article.title}:"] + [f"{n}. {s}" for n, s in enumerate(steps, 1)]
    else:
        lines = steps or [article.title]
    if article.url:
        lines.append(f"More details: {article.url}")
    return "\n".join(lines)


def article_link(article: KbArticle) -> str:
    """``Title: url`` (or just the title when the article has no URL)."""
    return f"{article.title}: {article.url}" if article.url else article.title
