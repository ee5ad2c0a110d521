"""What the customer already told us: how long it has been, numbers, steps already taken.

The offline draft uses these so that it never contradicts the customer ("you've had to
wait 1 day" after "two weeks ago"), never asks for a number they gave, and skips the
steps they say they already took.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentdesk.assist.words import ALL_STOP, tokens

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14,
    "ein": 1, "eine": 1, "einer": 1, "einem": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
    "zehn": 10, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "dix": 10,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "diez": 10,
}  # fmt: skip
_UNITS = {
    "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400,
    "stunde": 3600, "tag": 86400, "woche": 7 * 86400, "monat": 30 * 86400,
    "heure": 3600, "jour": 86400, "semaine": 7 * 86400, "mois": 30 * 86400,
    "hora": 3600, "día": 86400, "dia": 86400, "semana": 7 * 86400, "mes": 30 * 86400,
}  # fmt: skip
# "two weeks ago", "for 10 days", "seit zwei Wochen", "depuis 3 jours", "hace dos semanas"
_DURATION = re.compile(
    r"\b(\d{1,3}|" + "|".join(_NUMBERS) + r")\s+(" + "|".join(_UNITS) + r")"
    r"(s|es|n|en|e)?\b",
    re.IGNORECASE,
)
_ORDER = re.compile(
    r"(?:order|bestellung|commande|pedido|auftrag)(?:\s*(?:number|nummer|no\.?|nr\.?|n°|"
    r"numéro|número))?\s*(?:is|ist|est|es)?\s*[:#]?\s*([A-Z]{0,4}-?\d{3,}[A-Z0-9-]*)"
    r"|#([A-Z]{0,4}\d{4,}[A-Z0-9]*)",
    re.IGNORECASE,
)
_SERIAL = re.compile(
    r"(?:serial(?:\s+number)?|s/n|seriennummer|numéro de série|número de serie)"
    r"\s*(?:is|ist|est|es)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{4,})",
    re.IGNORECASE,
)
# What the customer says they already did: the clause after "already …", "I tried …".
_TRIED = re.compile(
    r"\b(?:already|also|i've|i have|i|we've|we)\s+(?:already\s+|also\s+)?"
    r"(checked|tried|cleared|deleted|restarted|rebooted|reset|reinstalled|updated|"
    r"looked(?:\s+in)?|used|turned|switched|unplugged|changed|disabled|removed)\b([^.!?\n]*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CustomerFacts:
    waited_seconds: float | None  # the longest duration they mention ("two weeks ago")
    order: str | None
    serial: str | None
    tried: tuple[str, ...]  # clauses: "checked the spam folder too"

    def took(self, step: str) -> bool:
        """True when ``step`` repeats something the customer says they already did."""
        words = _content(step)
        return any(words & _content(clause) for clause in self.tried)


def _content(text: str) -> set[str]:
    """Words that carry meaning, cut to a stem of 5 letters ("cookies" = "cookie")."""
    return {w[:5] for w in tokens(text) if len(w) >= 4 and w not in ALL_STOP and w not in _VERBS}


# Verbs of trying say nothing about which step it was.
_VERBS = frozenset(
    [
        "check",
        "checked",
        "tried",
        "try",
        "clear",
        "cleared",
        "delete",
        "deleted",
        "restart",
        "restarted",
        "reset",
        "reinstall",
        "reinstalled",
        "update",
        "updated",
        "look",
        "looked",
        "used",
        "turned",
        "switch",
        "switched",
        "change",
        "changed",
        "open",
        "press",
        "click",
        "make",
        "sure",
        "wait",
    ]
)


def read(texts: list[str]) -> CustomerFacts:
    """The facts in the customer's messages (``texts``: newest first)."""
    joined = "\n".join(texts)
    waits = [
        int(n) * _UNITS[unit.lower()] if n.isdigit() else _NUMBERS[n.lower()] * _UNITS[unit.lower()]
        for n, unit, _ in _DURATION.findall(joined)
    ]
    order = next((m.group(1) or m.group(2) for m in _ORDER.finditer(joined)), None)
    serial = next((m.group(1) for m in _SERIAL.finditer(joined)), None)
    tried = tuple(f"{m.group(1)}{m.group(2)}".strip() for m in _TRIED.finditer(joined))
    return CustomerFacts(max(waits) if waits else None, order, serial, tried)


_ASKS_FOR_ORDER = re.compile(r"\b(order|invoice) (number|no\b|id)", re.IGNORECASE)
_ASKS_FOR_SERIAL = re.compile(r"\bserial( number)?\b|\bdevice code\b", re.IGNORECASE)


def asks_for_given(step: str, facts: CustomerFacts) -> str | None:
    """``"order"`` or ``"serial"`` when ``step`` asks for a number the customer gave."""
    if facts.order and _ASKS_FOR_ORDER.search(step):
        return "order"
    if facts.serial and _ASKS_FOR_SERIAL.search(step):
        return "serial"
    return None
