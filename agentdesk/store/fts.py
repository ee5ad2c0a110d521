"""FTS5 query text built from user words: every word quoted, so input is never syntax."""

from __future__ import annotations


def fts_quote(term: str) -> str:
    """``term`` as an FTS5 string: user text is never query syntax."""
    return '"' + term.replace('"', '""') + '"'


def fts_phrase(words: list[str]) -> str:
    """An FTS5 query matching all ``words``, each quoted so user text is never syntax.

    The last word also matches as a prefix, so results follow typing.
    """
    terms = [fts_quote(word) for word in words if word.strip()]
    if terms:
        terms[-1] += "*"
    return " ".join(terms)
