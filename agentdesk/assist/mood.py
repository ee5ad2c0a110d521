"""Mood and intent of the customer's latest messages, plus the conversation's facts.

Sentiment comes from vaderSentiment (a lexicon, offline); frustration markers and
intent keywords cover a few more languages. The result renders as one line such as
``frustrated · refund · waited 2 days · 3rd contact this month``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from agentdesk import clock
from agentdesk.assist import synonyms
from agentdesk.assist.words import message_core
from agentdesk.domain import Conversation, Direction, InboxRow, Message
from agentdesk.text import count_of

_analyzer = None  # vaderSentiment's analyser, loaded on first use (it reads a lexicon)

# Intent -> word prefixes (any language we know); the first intent with most hits wins.
INTENTS: dict[str, tuple[str, ...]] = {
    "refund": (
        "refund",
        "money back",
        "reimburs",
        "rembours",
        "erstatt",
        "rückerstatt",
        "reembols",
        "terugbetal",
        "geld zurück",
    ),
    "cancel": (
        "cancel",
        "unsubscrib",
        "terminate",
        "kündig",
        "annul",
        "résili",
        "cancelar",
        "opzeg",
    ),
    "account access": (
        "password",
        "log in",
        "login",
        "sign in",
        "locked out",
        "2fa",
        "two-factor",
        "verification code",
        "passwort",
        "anmeld",
        "mot de passe",
        "connexion",
        "contraseña",
        "wachtwoord",
        "inloggen",
        "login code",
        "the code",
        "sms code",
    ),
    "billing": (
        "charge",
        "invoice",
        "bill",
        "payment",
        "paid",
        "overcharg",
        "subscription fee",
        "rechnung",
        "abbuch",
        "facture",
        "prélève",
        "factura",
        "cobro",
        "factuur",
    ),
    "damaged item": (
        "damaged",
        "cracked",
        "dented",
        "smashed",
        "shattered",
        "arrived broken",
        "beschädigt",
        "endommag",
        "dañad",
        "beschadigd",
    ),
    "delivery": (
        "deliver",
        "shipping",
        "shipment",
        "shipped",
        "parcel",
        "package",
        "tracking",
        "courier",
        "arriv",
        "lieferung",
        "geliefert",
        "paket",
        "livraison",
        "colis",
        "envío",
        "entrega",
        "bezorg",
        "pakket",
    ),
    "bug report": (
        "error",
        "crash",
        "bug",
        "broken",
        "not working",
        "doesn't work",
        "does not work",
        "fails",
        "failing",
        "fehler",
        "funktioniert nicht",
        "erreur",
        "ne marche pas",
        "no funciona",
        "werkt niet",
    ),
    "complaint": (
        "complain",
        "escalat",
        "not happy",
        "unhappy",
        "unacceptable",
        "beschwerde",
        "réclamation",
        "reclamación",
        "queja",
        "klacht",
    ),
    "how-to": (
        "how do i",
        "how can i",
        "how to",
        "is it possible",
        "wie kann",
        "comment ",
        "cómo ",
        "hoe kan",
    ),
    "praise": ("thank you so much", "great job", "love it", "awesome", "amazing", "brilliant"),
}
_FRUSTRATION = re.compile(
    r"\b(still|again|third time|several times|no one|nobody|no answer|no response|"
    r"waiting|ridiculous|unacceptable|terrible|worst|useless|fed up|disappointed|annoying|"
    r"nobody called|nobody answers|tried three times|tired of|chasing|enttäuschend|décevant|"
    r"nadie|"
    r"immer noch|schon wieder|inakzeptabel|toujours pas|inadmissible|inacceptable|"
    r"todavía|otra vez|inaceptable|nog steeds|onacceptabel)\b|!!|\?\?",
    re.IGNORECASE,
)
_SHOUT = re.compile(r"\b[A-Z]{4,}\b|!!|\?\?\?")
_HOSTILE = re.compile(
    r"\b(ridiculous|worst|useless|scam|thie(f|ves)|fraud|liars?|incompetent|joke|"
    r"pathetic|disgrace(ful)?|report you|my bank|lawyer|never buy|tell everyone|"
    r"frechheit|betrug|betrüger|unverschämt|escroc(s|querie)?|arnaque|honte|"
    r"estafa(dores)?|vergüenza|ladrones)\b",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"\b(thank you so much|thanks so much|great (service|job)|love (it|the)|works perfectly|"
    r"vielen dank|super geklappt|merci beaucoup|parfait|muchas gracias|perfecto)\b",
    re.IGNORECASE,
)
_POLITE = re.compile(
    r"\b(please|could you|would you|thank you|thanks|kind regards|sorry to bother|"
    r"bitte|können sie|danke|merci|pouvez-vous|s'il vous plaît|por favor|gracias|"
    r"podría)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EarlierContact:
    """The customer's most recent other conversation (for "I see you also …")."""

    channel: str
    at: str
    subject: str
    when: str  # "on Monday", "on 3 November"


@dataclass(frozen=True)
class Mood:
    label: str  # angry | frustrated | neutral | positive
    compound: float
    intent: str | None
    facts: tuple[str, ...] = ()
    wait_seconds: float | None = None
    earlier: EarlierContact | None = None
    contacts_this_month: int = 1
    unanswered: int = 0
    markers: tuple[str, ...] = field(default=())

    @property
    def upset(self) -> bool:
        return self.label in ("angry", "frustrated")

    def line(self) -> str:
        """``frustrated · refund · waited 2 days · 3rd contact this month``."""
        return " · ".join([self.label, *([self.intent] if self.intent else []), *self.facts])


def prepare() -> None:
    """Load what the first analysis would otherwise load (vaderSentiment's lexicon, the
    synonym patterns: 30-40 ms of CPU), so that the desk's warm-up thread does it, not
    the first conversation the agent opens."""
    sentiment("")
    synonyms.expand("")


def sentiment(text: str) -> float:
    """VADER compound score in [-1, 1]."""
    global _analyzer
    if _analyzer is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _analyzer = SentimentIntensityAnalyzer()
    return _analyzer.polarity_scores(text)["compound"]


# Concepts of ``synonyms`` that name an intent (a concept counts as one keyword hit).
# "not arrived" names none: a refund, a code or a parcel can be the thing not arrived.
CONCEPT_INTENTS = {
    "damaged": "damaged item",
    "faulty": "bug report",
    "twice": "billing",
    "charge": "billing",
    "declined": "billing",
    "invoice": "billing",
    "late": "delivery",
    "parcel": "delivery",
    "partial": "delivery",
    "missing": "delivery",
    "password": "account access",
    "forgot": "account access",
    "login": "account access",
    "two-factor": "account access",
    "locked": "account access",
    "refund": "refund",
    "cancel": "cancel",
}


def intent(text: str) -> str | None:
    """The customer's intent: keyword hits per intent, plus the concepts the text names.

    The words of a concept count once, as the concept ("stopped charging" is a faulty
    device, not a charge on the bill)."""
    lowered = synonyms.normalise(text)
    hits: Counter[str] = Counter()
    for concept in reversed(synonyms.expand(lowered)):
        lowered = lowered[: concept.start] + " " + lowered[concept.end :]
        if concept.name in CONCEPT_INTENTS:
            hits[CONCEPT_INTENTS[concept.name]] += 1
    lowered = f" {lowered} "
    best, most = None, 0
    for name, prefixes in INTENTS.items():
        count = hits[name] + sum(lowered.count(p) for p in prefixes)
        if count > most:
            best, most = name, count
    return best


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def duration_words(seconds: float) -> str:
    """ "2 days", "5 hours", "40 minutes"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return count_of(int(seconds // size), unit)
    return "a moment"


def when_words(at: datetime, reference: datetime) -> str:
    days = (reference.date() - at.date()).days
    if days == 0:
        return "earlier today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"on {at.strftime('%A')}"
    return f"on {at.day} {at.strftime('%B')}"


def feeling(text: str, wait: float | None = None) -> tuple[str, float, tuple[str, ...]]:
    """(label, VADER compound, frustration markers) for what the customer wrote.

    Labels: angry, frustrated, neutral, positive. Lexicon sentiment alone calls a polite
    report of a problem angry ("unfortunately it arrived broken"), so hostility
    (insults, threats, shouting, "!!") is what makes a customer angry, frustration
    markers ("still", "again", "third time") or a long wait with them make one
    frustrated, and politeness ("please", "could you", "thank you") softens the score.
    """
    plain = _POLITE.sub(" ", text)  # courtesy formulas are not sentiment
    compound = sentiment(plain) if plain.strip() else 0.0
    markers = tuple(m.group(0).lower() for m in _FRUSTRATION.finditer(text))
    hostile = len(_HOSTILE.findall(text)) + len(_SHOUT.findall(text))
    polite = len(_POLITE.findall(text))
    score = compound - 0.15 * len(markers) - 0.3 * hostile + 0.2 * polite
    if hostile and score <= 0.0:
        label = "angry"
    elif markers and (score <= 0.1 or (wait and wait > 86400)) or score <= -0.5 and not polite:
        label = "frustrated"
    elif (compound >= 0.5 or _PRAISE.search(text)) and not markers and not hostile:
        label = "positive"
    else:
        label = "neutral"
    return label, compound, markers


def sounds_upset(text: str) -> bool:
    """A quick guess without the lexicon: frustration markers or hostility."""
    return bool(_FRUSTRATION.search(text) or _HOSTILE.search(text) or _SHOUT.search(text))


def analyse(
    messages: list[Message],
    conversation: Conversation,
    history: list[InboxRow],
    reference: datetime | None = None,
) -> Mood:
    """Mood, intent and facts for the open conversation (``history``: the customer's
    other conversations, newest first)."""
    reference = reference or clock.now()
    inbound = [m for m in messages if m.direction == Direction.IN and not m.auto]
    recent = " \n".join(message_core(m.body) for m in inbound[-2:])
    wait = clock.since(conversation.waiting_since, reference)
    label, compound, markers = feeling(recent, wait)
    unanswered = 0
    for message in reversed(messages):
        if message.direction == Direction.OUT:
            break
        if message.direction == Direction.IN and not message.auto:
            unanswered += 1
    month = [c for c in history if (clock.since(c.last_message_at, reference) or 0) < 30 * 86400]
    contacts = len(month) + 1
    facts = []
    if wait is not None and wait >= 15 * 60:
        facts.append(f"waited {duration_words(wait)}")
    if unanswered >= 2:
        facts.append(f"{unanswered} messages unanswered")
    if contacts >= 2:
        facts.append(f"{ordinal(contacts)} contact this month")
    earlier = None
    last = history[0] if history else None
    at = clock.try_parse_iso(last.last_message_at) if last else None
    if last and at:
        earlier = EarlierContact(
            last.channel, last.last_message_at, last.subject, when_words(at, reference)
        )
        if last.channel != conversation.channel:
            facts.append(f"also on {last.channel} {earlier.when}")
    # The latest message says what the customer wants now; earlier ones fill a gap.
    topic = (intent(message_core(inbound[-1].body)) if inbound else None) or intent(
        " ".join(message_core(m.body) for m in inbound[-3:])
    )
    if topic == "complaint" and label in ("neutral", "positive"):
        label = "frustrated"  # polite words, but a complaint all the same
    return Mood(label, compound, topic, tuple(facts), wait, earlier, contacts, unanswered, markers)
