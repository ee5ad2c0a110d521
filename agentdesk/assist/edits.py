"""How much an agent edited an assist draft before sending it (for the reply event)."""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")


def edit_distance(draft: str, sent: str) -> int:
    """Word-level Levenshtein distance: words inserted, deleted or replaced."""
    a, b = _WORD.findall(draft), _WORD.findall(sent)
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
            )
        previous = current
    return previous[-1]
