"""Is this customer message an answer to a satisfaction survey?

A rating leads the message: ``4``, ``5/5``, ``4 out of 5``, ``4 stars``, ``⭐⭐⭐⭐``,
``👍`` / ``👎``, or a rating word (``great``, ``sehr gut``, ``très bien``, ``muy
mal``) in English, German, French or Spanish. What follows a separator is the comment:
``4 – quick and kind``. Anything else is not guessed at: ``2 items are missing`` and
``good morning, where is my parcel?`` are normal messages, and so are a number that
starts a decimal, a list or a numbered list (``5.99 was charged twice``, ``3, 4 and 5
are broken``, ``1) the app crashes 2) …``) and a word that only acknowledges (``ok``,
``fine``, ``correct``, ``bon``) unless it is the whole answer: ``Ok, but I still cannot
log in`` is no rating of 3.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from agentdesk.assist.words import message_core

SCALE = (1, 5)

# Words that rate, by language, most specific first (matched as whole leading phrases).
RATING_WORDS: dict[str, int] = {
    # English
    "very bad": 1,
    "terrible": 1,
    "awful": 1,
    "horrible": 1,
    "bad": 2,
    "poor": 2,
    "not good": 2,
    "ok": 3,
    "okay": 3,
    "fine": 3,
    "average": 3,
    "good": 4,
    "very good": 5,
    "great": 5,
    "excellent": 5,
    "perfect": 5,
    "amazing": 5,
    # German
    "sehr schlecht": 1,
    "schlecht": 2,
    "geht so": 3,
    "mittel": 3,
    "gut": 4,
    "sehr gut": 5,
    "super": 5,
    "ausgezeichnet": 5,
    "perfekt": 5,
    # French
    "très mauvais": 1,
    "nul": 1,
    "mauvais": 2,
    "moyen": 3,
    "correct": 3,
    "bien": 4,
    "bon": 4,
    "très bien": 5,
    "parfait": 5,
    "excellente": 5,
    # Spanish
    "muy mal": 1,
    "muy malo": 1,
    "pésimo": 1,
    "mal": 2,
    "malo": 2,
    "regular": 3,
    "bueno": 4,
    "muy bien": 5,
    "muy bueno": 5,
    "excelente": 5,
    "perfecto": 5,
}
_WORDS = sorted(RATING_WORDS, key=len, reverse=True)
# Words customers also write to acknowledge or to begin a sentence ("Ok, but …", "Bon,
# le colis …", "Correct, the order is …"): a rating only as the whole answer.
ALONE_ONLY = {"ok", "okay", "fine", "correct", "bon"}

_OUT_OF = r"(?:/|out\s+of|of|von|aus|sur|de)"
_STARS = r"(?:stars?|sterne?|étoiles?|estrellas?)"
_NUMBER = re.compile(
    rf"(?P<n>[1-5])(?:\s*(?:{_OUT_OF})\s*5\b|\s*{_STARS}\b|(?=\s*(?:$|[-–—:;,.!)\n])))",
    re.IGNORECASE,
)
# The effort question (CES) is answered with a number only: 1 (very hard) to 7 (very easy).
CES_SCALE = (1, 7)
_CES_NUMBER = re.compile(
    rf"(?P<n>[1-7])(?:\s*(?:{_OUT_OF})\s*7\b|(?=\s*(?:$|[-–—:;,.!)\n])))", re.IGNORECASE
)
_STAR_EMOJI = re.compile(r"(?P<stars>(?:[⭐★🌟]\ufe0f?\s*){1,5})(?![⭐★🌟])")
_THUMBS = {"👍": 5, "👎": 1}
_SEPARATORS = " \t\n-–—:;,.!()"


@dataclass(frozen=True)
class Answer:
    """A survey answer: ``rating`` on the survey's scale (1-5; the effort question 1-7)
    and the customer's comment."""

    rating: int
    comment: str

    @property
    def asks_something(self) -> bool:
        """The comment holds a question: the conversation should open again."""
        return "?" in self.comment or "¿" in self.comment


def survey_answer(text: str) -> Answer | None:
    """The rating and comment when ``text`` answers a survey; None when it does not."""
    message = unicodedata.normalize("NFC", text).strip()
    found = _leading_rating(message)
    if found is None:
        return None
    rating, rest = found
    comment = rest.strip(_SEPARATORS + "'\"")
    return Answer(rating, " ".join(comment.split()) if "\n" not in comment else comment)


def ces_answer(text: str) -> Answer | None:
    """The score (1-7) and comment when ``text`` answers the effort question: a leading
    number, ``6/7`` or ``6 of 7``; None otherwise (words and emoji are not guessed)."""
    message = unicodedata.normalize("NFC", text).strip()
    match = _CES_NUMBER.match(message)
    if match is None:
        return None
    comment = message[match.end() :].strip(_SEPARATORS + "'\"")
    return Answer(int(match["n"]), " ".join(comment.split()) if "\n" not in comment else comment)


def message_answer(text: str, survey: str = "csat") -> Answer | None:
    """The answer in a whole customer message to a ``csat`` or ``ces`` survey: what it
    says that is new (quoted history, a greeting line and the sign-off dropped, as email
    replies bring them) read with ``survey_answer`` or ``ces_answer``."""
    core = message_core(text)
    return ces_answer(core) if survey == "ces" else survey_answer(core)


def _leading_rating(message: str) -> tuple[int, str] | None:
    if match := _NUMBER.match(message):
        rest = message[match.end() :]
        bare = match.end() == match.end("n")  # not "5/5" nor "4 stars"
        return None if bare and _more_numbers(match["n"], rest) else (int(match["n"]), rest)
    if match := _STAR_EMOJI.match(message):
        stars = sum(1 for ch in match["stars"] if ch in "⭐★🌟")
        return stars, message[match.end() :]
    for thumb, rating in _THUMBS.items():
        if message.startswith(thumb):
            return rating, message[len(thumb) :].lstrip(
                "\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
            )
    lowered = message.lower()
    for phrase in _WORDS:
        if lowered.startswith(phrase):
            rest = message[len(phrase) :]
            # A whole word, followed by the end or a separator: "good" yes, "goodbye" and
            # "good morning, where is my parcel?" no.
            if phrase in ALONE_ONLY and rest.strip(_SEPARATORS):
                return None
            if not rest or (rest[0] in _SEPARATORS and not _words_follow(rest)):
                return RATING_WORDS[phrase], rest
    return None


def _more_numbers(number: str, rest: str) -> bool:
    """A bare leading number that is part of more: a decimal or a list of numbers
    (``5.99``, ``1,5 kg``, ``3, 4 and 5``), or the first item of a numbered list
    (``1) …  2) …``, ``1. …\n2. …``)."""
    if re.match(r"\s*[.,)]?\s*\d", rest):
        return True
    mark = rest.lstrip()[:1]
    return (
        mark in (".", ")")
        and re.search(rf"(?<!\d){int(number) + 1}{re.escape(mark)}", rest) is not None
    )


def _words_follow(rest: str) -> bool:
    """A rating word directly followed by more words on the same clause (no separator
    other than a space): the word is part of a sentence, not a rating."""
    return rest[0] == " " and rest.strip()[:1].isalnum()
