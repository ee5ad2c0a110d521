"""The offline drafter: replies, tone rewrites and summaries composed without a model.

A draft is built from the empathy analysis (acknowledge an upset customer and the
wait first), the customer's facts (name, earlier contacts) and the best KB article
(its key steps and link). It is labelled "offline draft" by the panel.
"""

from __future__ import annotations

import re

from agentdesk.assist import structure
from agentdesk.assist.context import AssistContext
from agentdesk.assist.kb import article_steps
from agentdesk.assist.mood import duration_words
from agentdesk.assist.words import newest_text
from agentdesk.domain import Direction

# Phrases per language; English is the fallback for anything missing.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hi {name},",
        "hello_anon": "Hi there,",
        "sorry": "I'm really sorry about {problem}, and that you've had to wait {wait} for an "
        "answer. That's not the experience we want you to have.",
        "sorry_nowait": "I'm really sorry about {problem}. I understand how frustrating this is.",
        "patience": "Thank you for your patience while we got back to you.",
        "thanks": "Thanks for getting in touch.",
        "again": "I can see you've contacted us {count} times this month, so let's get this "
        "settled now.",
        "earlier": "I see you also {verb} {when}, so I've got the background.",
        "steps": "Here are the steps:",
        "answer": "Here's what I found:",
        "link": "You'll find the full guide here: {url}",
        "nothing": "I'm looking into this now and will get back to you with a full answer "
        "as soon as I have it.",
        "close": "If anything is unclear or this doesn't solve it, just reply here and I'll "
        "take care of it.",
        "bye": "Best regards,",
    },
    "de": {
        "hello": "Hallo {name},",
        "hello_anon": "Hallo,",
        "sorry": "Es tut mir wirklich leid wegen {problem}, und dass Sie {wait} auf eine "
        "Antwort warten mussten.",
        "sorry_nowait": "Es tut mir wirklich leid wegen {problem}. Ich verstehe, wie ärgerlich "
        "das ist.",
        "patience": "Vielen Dank für Ihre Geduld.",
        "thanks": "Vielen Dank für Ihre Nachricht.",
        "steps": "So geht es:",
        "answer": "Das habe ich dazu gefunden:",
        "link": "Die vollständige Anleitung finden Sie hier: {url}",
        "nothing": "Ich kümmere mich jetzt darum und melde mich, sobald ich eine Antwort habe.",
        "close": "Wenn etwas unklar ist oder das Problem bleibt, antworten Sie einfach auf "
        "diese Nachricht.",
        "bye": "Viele Grüße,",
    },
    "fr": {
        "hello": "Bonjour {name},",
        "hello_anon": "Bonjour,",
        "sorry": "Je suis vraiment désolé(e) pour {problem}, et que vous ayez dû attendre "
        "{wait} une réponse.",
        "sorry_nowait": "Je suis vraiment désolé(e) pour {problem}. Je comprends votre "
        "frustration.",
        "patience": "Merci pour votre patience.",
        "thanks": "Merci de nous avoir contactés.",
        "steps": "Voici comment faire :",
        "answer": "Voici ce que j'ai trouvé :",
        "link": "Le guide complet est ici : {url}",
        "nothing": "Je m'en occupe et je reviens vers vous dès que j'ai une réponse.",
        "close": "Si quelque chose n'est pas clair, répondez simplement à ce message.",
        "bye": "Cordialement,",
    },
    "es": {
        "hello": "Hola {name},",
        "hello_anon": "Hola,",
        "sorry": "Siento mucho {problem}, y que haya tenido que esperar {wait} una respuesta.",
        "sorry_nowait": "Siento mucho {problem}. Entiendo lo frustrante que es.",
        "patience": "Gracias por su paciencia.",
        "thanks": "Gracias por escribirnos.",
        "steps": "Estos son los pasos:",
        "answer": "Esto es lo que encontré:",
        "link": "La guía completa está aquí: {url}",
        "nothing": "Lo estoy revisando y le responderé en cuanto tenga una respuesta.",
        "close": "Si algo no queda claro, simplemente responda a este mensaje.",
        "bye": "Saludos cordiales,",
    },
}
PROBLEMS: dict[str, str] = {
    "refund": "the trouble with your refund",
    "cancel": "the trouble cancelling",
    "delivery": "the problem with your delivery",
    "billing": "the problem with your bill",
    "account access": "the trouble getting into your account",
    "bug report": "the error you ran into",
    "complaint": "what went wrong with your order",
}
_VERBS = {
    "chat": "chatted with us",
    "matrix": "chatted with us",
    "email": "emailed us",
    "phone": "spoke with us",
}


def _phrase(language: str, key: str, **values: str) -> str:
    table = PHRASES.get(language, PHRASES["en"])
    return table.get(key, PHRASES["en"][key]).format(**values)


def draft(context: AssistContext) -> str:
    """A complete reply an agent can send after light edits."""
    lang = context.language if context.language in PHRASES else "en"
    mood = context.mood
    name = context.first_name
    paragraphs = [_phrase(lang, "hello", name=name) if name else _phrase(lang, "hello_anon")]
    problem = PROBLEMS.get(mood.intent or "", "the trouble you've had")
    waited = mood.wait_seconds is not None and mood.wait_seconds >= 3600
    opening = []
    if mood.upset and waited:
        opening.append(
            _phrase(lang, "sorry", problem=problem, wait=duration_words(mood.wait_seconds))
        )
    elif mood.upset:
        opening.append(_phrase(lang, "sorry_nowait", problem=problem))
    elif waited:
        opening.append(_phrase(lang, "patience"))
    else:
        opening.append(_phrase(lang, "thanks"))
    if lang == "en" and mood.upset and mood.contacts_this_month >= 2:
        opening.append(_phrase(lang, "again", count=str(mood.contacts_this_month)))
    elif lang == "en" and mood.earlier and mood.earlier.channel != context.conversation.channel:
        verb = _VERBS.get(mood.earlier.channel, f"contacted us on {mood.earlier.channel}")
        opening.append(_phrase(lang, "earlier", verb=verb, when=mood.earlier.when))
    paragraphs.append(" ".join(opening))
    # A complaint gets a person looking into it, not the how-to-complain article.
    if context.suggestions and mood.intent != "complaint" and context.suggestions[0].confident:
        article = context.suggestions[0].article
        steps = article_steps(article.body)
        if len(steps) > 1:
            paragraphs.append(
                "\n".join(
                    [_phrase(lang, "steps")] + [f"{n}. {step}" for n, step in enumerate(steps, 1)]
                )
            )
        elif steps:
            paragraphs.append(steps[0])
        if article.url:
            paragraphs.append(_phrase(lang, "link", url=article.url))
    else:
        paragraphs.append(_phrase(lang, "nothing"))
    paragraphs.append(_phrase(lang, "close"))
    paragraphs.append(f"{_phrase(lang, 'bye')}\n{context.agent_display_name}".rstrip())
    return "\n\n".join(paragraphs)


# ---- tone rewrites -------------------------------------------------------------------
_CONTRACTIONS = {
    "I'm": "I am",
    "I've": "I have",
    "I'll": "I will",
    "I'd": "I would",
    "you're": "you are",
    "you've": "you have",
    "you'll": "you will",
    "we're": "we are",
    "we've": "we have",
    "we'll": "we will",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "can't": "cannot",
    "won't": "will not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "let's": "let us",
    "here's": "here is",
    "what's": "what is",
}
_FORMAL = [
    (r"\bThanks so much\b", "Thank you very much"),
    (r"\bThanks\b", "Thank you"),
    (r"\bget back to you\b", "respond to you"),
    (r"\bASAP\b", "as soon as possible"),
    (r"\bjust\s+", ""),
    (r"!+", "."),
]
_FRIENDLY = [
    (r"\bThank you\b(?! so much)", "Thanks so much"),
    (r"\bMy apologies\b", "I'm sorry"),
    (r"\bPlease be advised that\s+", ""),
    (r"\bWe regret to inform you that\s+", ""),
]
# Sign-offs by tone: a formal rewrite uses the first, a friendlier one replaces a formal
# sign-off with "Best,". The sign-off line is replaced whole, never word by word.
_FORMAL_SIGN_OFF = re.compile(
    r"^(kind regards|best regards|regards|yours sincerely|yours faithfully|sincerely|"
    r"mit freundlichen grüßen|cordialement|bien à vous|saludos cordiales|atentamente)\b",
    re.IGNORECASE,
)
_FILLER = [
    r"\bI just wanted to let you know that\s+",
    r"\bI wanted to let you know that\s+",
    r"\bPlease be advised that\s+",
    r"\bplease note that\s+",
    r"\bAs I mentioned,?\s+",
    r"\b(?:just|really|actually|basically|simply|quite|very)\s+",
    r"\bat this point in time\b",
    r"\bin order to\b",
    r"\bdue to the fact that\b",
]
_FILLER_REPLACEMENTS = ["", "", "", "", "", "", "now", "to", "because"]


def _case(pattern: str, replacement: str, text: str) -> str:
    def keep_case(match: re.Match[str]) -> str:
        if replacement and match.group(0)[:1].isupper() and not replacement[:1].isupper():
            return replacement[:1].upper() + replacement[1:]
        return replacement

    return re.sub(pattern, keep_case, text, flags=re.MULTILINE | re.IGNORECASE)


# What the panel says when a rewrite by rules changed nothing.
NOTHING_TO_CHANGE = {
    "concise": "nothing to shorten",
    "formal": "already formal: nothing to change",
    "friendlier": "nothing to make friendlier",
}


def rewrite(text: str, tone: str) -> str:
    """``text`` in the ``tone`` (friendlier | concise | formal), by rules.

    Only the body's words change; the greeting and sign-off are restyled as whole lines,
    so nothing is duplicated, and rewriting twice gives the same text as once.
    """
    if tone not in NOTHING_TO_CHANGE:
        raise ValueError(f"unknown tone {tone!r}")
    reply = structure.split(text)
    greeting, body, signature = reply.greeting, reply.body, reply.signature
    sign_off, _, name = signature.partition("\n")
    if tone == "formal":
        greeting = re.sub(r"^(Hi|Hey|Hello)\b", "Dear", greeting, flags=re.IGNORECASE)
        if sign_off and not _FORMAL_SIGN_OFF.match(sign_off):
            sign_off = "Kind regards,"
        for short, long in _CONTRACTIONS.items():
            body = re.sub(rf"\b{re.escape(short)}\b", long, body)
            body = re.sub(rf"\b{re.escape(short.capitalize())}\b", long.capitalize(), body)
        for pattern, replacement in _FORMAL:
            body = _case(pattern, replacement, body)
    elif tone == "friendlier":
        greeting = re.sub(r"^Dear\b", "Hi", greeting, flags=re.IGNORECASE)
        if _FORMAL_SIGN_OFF.match(sign_off):
            sign_off = "Best,"
        for short, long in _CONTRACTIONS.items():
            body = re.sub(rf"\b{re.escape(long)}\b", short, body)
            body = re.sub(rf"\b{re.escape(long.capitalize())}\b", short.capitalize(), body)
        for pattern, replacement in _FRIENDLY:
            body = _case(pattern, replacement, body)
        if greeting and "thank" not in text.lower():
            body = f"Thanks so much for reaching out!\n\n{body}".strip()
    else:
        for pattern, replacement in zip(_FILLER, _FILLER_REPLACEMENTS, strict=True):
            body = _case(pattern, replacement, body)
        sentences = re.split(r"(?<=[.!?])[ \t]+", body)
        seen, kept = set(), []
        for sentence in sentences:  # drop repeated sentences
            key = sentence.strip().lower()
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        body = " ".join(kept)
        body = re.sub(r"(^|[.!?]\s+|\n)([a-z])", lambda m: m.group(1) + m.group(2).upper(), body)
    body = re.sub(r"[ \t]{2,}", " ", body)
    signature = "\n".join(part for part in (sign_off, name) if part)
    rewritten = structure.Reply(greeting, body, signature).text()
    return text if rewritten == reply.text() else rewritten  # unchanged: said so


def _first_sentence(body: str) -> str:
    return re.split(r"(?<=[.!?])\s+", " ".join(newest_text(body).split()))[0]


def summary(context: AssistContext) -> str:
    """Bullet points from the thread: who, what they want, what was answered, what is open."""
    inbound = [m for m in context.messages if m.direction == Direction.IN and not m.auto]
    replies = [m for m in context.messages if m.direction == Direction.OUT]
    name = context.customer.name if context.customer else "The customer"
    first = _first_sentence(inbound[0].body) if inbound else ""
    last = _first_sentence(inbound[-1].body) if inbound else ""
    mood = context.mood
    lines = [
        f"- {name or 'The customer'} ({context.conversation.channel}): "
        f"{len(inbound)} message(s), {len(replies)} agent repl(ies); {mood.line()}."
    ]
    if first:
        lines.append(f"- Asked: {first[:200]}")
    if len(inbound) > 1 and last and last != first:
        lines.append(f"- Latest: {last[:200]}")
    if replies:
        answered = " ".join(newest_text(replies[-1].body).split())[:160]
        lines.append(f"- Last answer ({replies[-1].author or 'agent'}): {answered}")
    if context.history:
        lines.append(
            f"- Earlier conversations: {len(context.history)} "
            f"(latest: {context.history[0].subject or 'no subject'})"
        )
    pending = inbound and (not replies or inbound[-1].at > replies[-1].at)
    lines.append(
        "Next step: "
        + (
            "answer the customer's latest message."
            if pending
            else "wait for the customer or resolve."
        )
    )
    return "\n".join(lines)
