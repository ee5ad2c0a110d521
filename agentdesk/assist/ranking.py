"""The one KB ranking: what ``agentdesk kb search``, the assist panel and drafts use.

A query is a list of *groups*: each concept the customer names (see ``synonyms``) is one
group of the article words for it, each other distinctive word is a group of its own.
SQLite FTS5 (Porter stemming) finds candidates for all the groups' words, ranked by
BM25 with title over tags over body. Each candidate's BM25 score is then scaled by the
weighted share of the groups it answers (an article matching one generic word does not
beat one answering the question; each group weighs its BM25 inverse document
frequency, so rare words count more than common ones), and articles whose title or tags name the customer's
intent come first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agentdesk.assist import mood, synonyms
from agentdesk.assist.words import ALL_STOP, tokens
from agentdesk.store.kb import KbArticle

CANDIDATES = 12  # best FTS5 candidates that are re-ranked
MAX_GROUPS = 12
INTENT_FACTOR = 4.0  # an article about the customer's intent
OLDER_WEIGHT = 0.5  # a group from an older message or the subject
WEAK_WEIGHT = 1 / 3  # a word that says little (``synonyms.WEAK_WORDS``)
CONCEPT_WEIGHT = 2.0  # a concept from the lexicon says more than an unknown word
CONTEXT_WEIGHT = 0.5  # a concept that only sets the scene (``synonyms.CONTEXT``)
GOOD_COVERAGE = 0.5  # a suggestion answering less than this is not a confident answer
GOOD_HEADLINE = 0.25  # … unless its title or tags name at least this share of the query

# Intent (see ``mood.INTENTS``) -> words an answering article has in its title or tags.
INTENT_TOPICS = {
    "refund": ("refund", "refunds"),
    "cancel": ("cancel", "cancellation", "close"),
    "damaged item": ("damaged", "damage", "broken", "breakage"),
    "delivery": ("delivery", "shipping", "parcel", "tracking"),
    "billing": ("billing", "invoice", "payment", "charge"),
    "account access": ("login", "password", "account", "2fa", "two-factor", "locked"),
    "bug report": ("troubleshooting", "warranty", "repair", "error", "bug"),
    "complaint": ("complaint", "escalate", "escalation"),
}


@dataclass(frozen=True)
class Group:
    """Alternative words for one thing the customer said (``said`` is how they said it)."""

    words: tuple[str, ...]
    said: str
    weight: float


@dataclass(frozen=True)
class Suggestion:
    """A ranked article: a snippet, the words it matched, its score and why it ranked."""

    article: KbArticle
    snippet: str
    matched: tuple[str, ...]
    score: float
    coverage: float
    headline: float
    on_intent: bool
    why: str

    @property
    def confident(self) -> bool:
        """True when the article answers most of what was asked, or its title or tags
        name a good part of it."""
        return self.coverage >= GOOD_COVERAGE or self.headline >= GOOD_HEADLINE


def groups(texts: list[str], subject: str = "") -> list[Group]:
    """The query groups of ``texts`` (newest first), then of the subject."""
    found: dict[tuple[str, ...], Group] = {}
    sources = [(t, 1.0 if i == 0 else OLDER_WEIGHT) for i, t in enumerate(texts)]
    if subject:
        sources.append((subject, OLDER_WEIGHT))
    for text, weight in sources:
        text = synonyms.normalise(text)
        concepts = synonyms.expand(text)
        spans = [(c.start, c.end) for c in concepts]
        for concept in concepts:
            said = text[concept.start : concept.end]
            strength = CONTEXT_WEIGHT if concept.name in synonyms.CONTEXT else CONCEPT_WEIGHT
            found.setdefault(concept.words, Group(concept.words, said, weight * strength))
        named = {word for concept in concepts for word in concept.words}
        position = 0
        for word in tokens(text):
            start = text.find(word, position)
            position = start + len(word) if start >= 0 else position
            if len(word) < 3 or word in ALL_STOP or word.isdigit():
                continue
            if word in named or any(a <= start < b for a, b in spans):
                continue  # named a concept: its article words stand for it
            strength = WEAK_WEIGHT if word in synonyms.WEAK_WORDS else 1.0
            found.setdefault((word,), Group((word,), word, weight * strength))
    return list(found.values())[:MAX_GROUPS]


def _idf(frequency: int, articles: int) -> float:
    """BM25's inverse document frequency: rare words weigh more than common ones."""
    return math.log(1 + (articles - frequency + 0.5) / (frequency + 0.5))


def _about(article: KbArticle, words: tuple[str, ...]) -> bool:
    """True when the title or tags contain one of ``words`` (or a word they begin)."""
    head = tokens(f"{article.title} {' '.join(article.tags)}")
    return any(h.startswith(w[:5]) or w.startswith(h[:5]) for w in words for h in head if h)


def rank(
    store,
    texts: list[str],
    subject: str = "",
    limit: int = 3,
    intent: str | None = None,
) -> list[Suggestion]:
    """The ``limit`` articles that best answer ``texts`` (the customer's words, newest
    first), given the customer's ``intent`` (computed from the newest text when None)."""
    if intent is None and texts:
        intent = mood.intent(texts[0])
    query = groups(texts, subject)
    terms = list(dict.fromkeys(word for group in query for word in group.words))
    if not terms:
        return []
    frequencies = store.kb.frequencies(terms)
    articles = max(1, store.kb.count())
    weight = {g: g.weight * _idf(max(frequencies[w] for w in g.words), articles) for g in query}
    total = sum(weight.values())
    topics = INTENT_TOPICS.get(intent or "", ())
    hits = store.kb.search(terms, max(limit, CANDIDATES))
    # kb_search scaled BM25 by the share of terms matched; undo it, groups decide.
    bm25 = {h.article.id: -h.score * len(terms) / max(1, len(h.matched)) for h in hits}
    best = max(bm25.values(), default=0.0) or 1.0
    ranked = []
    for hit in hits:
        answered = [g for g in query if set(g.words) & set(hit.matched)]
        coverage = sum(weight[g] for g in answered) / total
        # What the title or tags name counts twice: the article is about it.
        headline = sum(weight[g] for g in answered if _about(hit.article, g.words)) / total
        on_intent = bool(topics) and _about(hit.article, topics)
        score = (
            (coverage + headline)
            * (1 + bm25[hit.article.id] / best)
            * (INTENT_FACTOR if on_intent else 1.0)
        )
        ranked.append(
            Suggestion(
                hit.article,
                hit.snippet,
                tuple(g.said for g in answered),
                round(score, 3),
                round(coverage, 2),
                round(headline, 2),
                on_intent,
                _why(answered, hit.matched, intent if on_intent else None),
            )
        )
    ranked.sort(key=lambda s: -s.score)
    return ranked[:limit]


def _why(answered: list[Group], matched: tuple[str, ...], intent: str | None) -> str:
    """``matches: parcel, shattered → damaged; about damaged item``."""
    parts = []
    for group in answered:
        found = [w for w in group.words if w in matched]
        parts.append(group.said if group.said in found else f"{group.said} → {found[0]}")
    return f"matches: {', '.join(parts)}" + (f"; about {intent}" if intent else "")
