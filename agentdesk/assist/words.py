"""Words from customer text: tokens, stop words, language guess and search keywords."""

from __future__ import annotations

import re
from collections import Counter

from agentdesk.text import without_hidden

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)

NEWEST_CHARS = 3000  # what the assist analysis reads of one message at most
SCAN_CHARS = 256 * 1024  # how far into a message the newest text is looked for


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _set("""
        a about above after again against all also am an and any are aren't as at be because
        been before being below between both but by can can't cannot could couldn't did didn't
        do does doesn't doing don't down during each few for from further get got had hadn't
        has hasn't have haven't having he her here hers herself him himself his how i i'd i'll
        i'm i've if in into is isn't it it's its itself just let's me more most much my myself
        no nor not now of off on once only or other ought our ours ourselves out over own
        please same she should shouldn't so some such than thank thanks that that's the their
        theirs them themselves then there there's these they they're this those through to too
        under until up very was wasn't we we're were weren't what when where which while who
        whom why will with won't would wouldn't you you're your yours yourself hi hello hey
        dear regards best cheers still yet already ever really one two even since day days
        today yesterday tomorrow week weeks time way thing things anything something nothing
        know need want like tried try trying help hope could've would've going gonna able
        ok okay yes sure lot back again ago asap tell exact exactly many kind wondering
        support team there got
    """),
    "de": _set("""
        aber alle als also am an auch auf aus bei bin bis bitte da dann das dass dem den der
        des die dies diese doch du ein eine einem einen einer es für hallo hat habe haben ich
        ihr im in ist ja jetzt kann kein keine mein meine mit nach nicht noch nur oder schon
        sehr sie sind so um und uns von vor war warum was wie wir wird zu zum zur danke
        grüße gruß liebe lieber mfg
    """),
    "fr": _set("""
        au aux avec bonjour ce cela ces cet cette dans de des du elle en est et il je la le
        les leur lui ma mais me merci mes moi mon ne nous on ou par pas pour qu que qui sa se
        ses son sur ta te toi ton tu un une vos votre vous été être ai avez avons j'ai c'est
        n'est cordialement toujours
    """),
    "es": _set("""
        al como con de del el ella en es esta este está estoy gracias hola la las le lo los
        me mi mis muy no nos o para pero por que qué se si sin su sus te tu un una y ya yo
        saludos todavía hace
    """),
    "nl": _set("""
        aan al bij dat de den der die dit een en er het hoe ik in is je maar me met mijn naar
        niet nog of om ons ook op te tot u uw van voor was wat we wij zijn zou bedankt hallo
        groeten alvast
    """),
}
ALL_STOP = frozenset().union(*STOP_WORDS.values())


GREETING = re.compile(
    r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening)|hallo|guten tag|bonjour|"
    r"hola|buenos días|goedemorgen|beste)\b[^\n]{0,40}$",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"^\s*((best|kind|warm|many)?\s*(regards|wishes)|best|thanks( again| in advance)?|"
    r"thank you|many thanks|cheers|sincerely|yours( truly| sincerely)?|br|"
    r"(viele|liebe|beste|freundliche) grüße|mit freundlichen grüßen|mfg|cordialement|"
    r"bien à vous|saludos( cordiales)?|un saludo|met vriendelijke groet|groeten)"
    r"\b[\s,.!]*$",
    re.IGNORECASE,
)


# Where quoted history starts: "On … wrote:" (and its German, French, Spanish and Dutch
# forms, possibly wrapped over two lines), "-----Original Message-----" and Outlook's
# underscore rule before a "From:" header block.
_ATTRIBUTION = re.compile(
    r"^\s*(on|am|le|el|op)\b.{0,200}\b((wrote|a écrit|escribió)\s*|(schrieb|schreef)\b.{0,120}):"
    r"\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ORIGINAL = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|oorspronkelijk bericht)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)


def newest_text(text: str, limit: int = NEWEST_CHARS) -> str:
    """What a message says that is new: quoted history and text hidden in its HTML
    dropped, at most ``limit`` characters.

    ``>`` lines are skipped; an attribution line ("On … wrote:") or an original-message
    rule ends the new text once some was found (before it, as in an inline reply, only
    the line itself is skipped). Only the first ``SCAN_CHARS`` are read, so the work is
    bounded for any size of message. Every assist analysis reads messages through this.
    """
    lines = without_hidden(text[:SCAN_CHARS]).splitlines()
    kept: list[str] = []
    size, index = 0, 0
    while index < len(lines) and size < limit:
        line = lines[index]
        index += 1
        if line.lstrip().startswith(">"):
            continue
        wrapped = index < len(lines) and _ATTRIBUTION.match(f"{line}\n{lines[index]}")
        if _ORIGINAL.match(line) or _ATTRIBUTION.match(line) or wrapped:
            if any(k.strip() for k in kept):
                break
            index += bool(wrapped)
            continue
        kept.append(line)
        size += len(line) + 1
    newest = "\n".join(kept).strip()
    if len(newest) <= limit:
        return newest
    cut = newest.rfind(" ", 0, limit + 1)
    return newest[: cut if cut > limit // 2 else limit]


def message_core(text: str) -> str:
    """The newest text of a message without its greeting line and everything from the
    sign-off on."""
    lines = newest_text(text).splitlines()
    if len(lines) > 1 and GREETING.match(lines[0]) and len(lines[0].split()) <= 5:
        lines = lines[1:]
    for index, line in enumerate(lines):
        if index and SIGN_OFF.match(line):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()


def tokens(text: str) -> list[str]:
    """Lower-case words (letters first; apostrophes and hyphens kept inside)."""
    return [w.strip("'’-").replace("’", "'") for w in _WORD.findall(text.lower())]


def language(text: str) -> str:
    """Best guess among ``STOP_WORDS`` languages by stop-word hits (English on a tie)."""
    words = tokens(text)
    scores = {lang: sum(w in stops for w in words) for lang, stops in STOP_WORDS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    return best if scores[best] else "en"


def keywords(texts: list[str], limit: int = 10) -> list[str]:
    """Distinctive words from ``texts`` (most recent first), most frequent then earliest.

    Stop words of every known language, short words and numbers are dropped.
    """
    counts: Counter[str] = Counter()
    order: dict[str, int] = {}
    for weight, text in zip(range(len(texts), 0, -1), texts, strict=True):
        for word in tokens(text):
            if len(word) < 3 or word in ALL_STOP:
                continue
            counts[word] += weight
            order.setdefault(word, len(order))
    ranked = sorted(counts, key=lambda w: (-counts[w], order[w]))
    return ranked[:limit]
