"""The offline drafter: replies, tone rewrites and summaries composed without a model.

A draft is built from the empathy analysis (acknowledge an upset customer and the
wait first), the customer's facts (name, earlier contacts, how long it has been, the
numbers they gave, the steps they already took) and the best KB article when one
answers the question (its key steps and link), wholly in one language. It is labelled
"offline draft" by the panel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentdesk.assist import facts, structure
from agentdesk.assist.context import AssistContext
from agentdesk.assist.facts import CustomerFacts, asks_for_given
from agentdesk.assist.kb import article_steps
from agentdesk.assist.words import language, newest_text
from agentdesk.domain import Direction

# Phrases per language. A draft is written wholly in one language: the customer's when
# it is covered here and the article is in it too, else English (and the panel says so).
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hi {name},",
        "hello_anon": "Hi there,",
        "sorry": "I'm really sorry about {problem}, and that you've had to wait {wait} for an "
        "answer. That's not the experience we want you to have.",
        "sorry_long": "I'm really sorry about {problem}, and that this has now been going on "
        "for {waited}. That's not the experience we want you to have.",
        "sorry_nowait": "I'm really sorry about {problem}. I understand how frustrating this is.",
        "patience": "Thank you for your patience while we got back to you.",
        "thanks": "Thanks for getting in touch.",
        "again": "I can see you've contacted us {count} times this month, so let's get this "
        "settled now.",
        "earlier": "I see you also {verb} {when}, so I've got the background.",
        "steps": "Here are the steps:",
        "steps_rest": "You've already tried some of this, so here are the remaining steps:",
        "all_tried": "You've already tried everything our guide suggests, so I'm looking into "
        "this myself and will get back to you shortly.",
        "got_order": "Thanks for including your order number ({number}).",
        "got_serial": "Thanks for including the serial number ({number}).",
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
        "sorry_long": "Es tut mir wirklich leid wegen {problem}, und dass sich das schon "
        "{waited} hinzieht.",
        "sorry_nowait": "Es tut mir wirklich leid wegen {problem}. Ich verstehe, wie ärgerlich "
        "das ist.",
        "patience": "Vielen Dank für Ihre Geduld.",
        "thanks": "Vielen Dank für Ihre Nachricht.",
        "steps": "So geht es:",
        "steps_rest": "Einiges davon haben Sie schon ausprobiert, deshalb hier die übrigen "
        "Schritte:",
        "all_tried": "Sie haben bereits alles versucht, was unsere Anleitung vorschlägt. Ich "
        "kümmere mich jetzt selbst darum und melde mich in Kürze.",
        "got_order": "Danke, dass Sie die Bestellnummer ({number}) gleich mitgeschickt haben.",
        "got_serial": "Danke, dass Sie die Seriennummer ({number}) gleich mitgeschickt haben.",
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
        "sorry_long": "Je suis vraiment désolé(e) pour {problem}, et que cela dure déjà "
        "depuis {waited}.",
        "sorry_nowait": "Je suis vraiment désolé(e) pour {problem}. Je comprends votre "
        "frustration.",
        "patience": "Merci pour votre patience.",
        "thanks": "Merci de nous avoir contactés.",
        "steps": "Voici comment faire :",
        "steps_rest": "Vous avez déjà essayé une partie de ces étapes ; voici celles qui restent :",
        "all_tried": "Vous avez déjà essayé tout ce que propose notre guide : je m'en occupe "
        "personnellement et je reviens vers vous rapidement.",
        "got_order": "Merci d'avoir indiqué votre numéro de commande ({number}).",
        "got_serial": "Merci d'avoir indiqué le numéro de série ({number}).",
        "link": "Le guide complet est ici : {url}",
        "nothing": "Je m'en occupe et je reviens vers vous dès que j'ai une réponse.",
        "close": "Si quelque chose n'est pas clair, répondez simplement à ce message.",
        "bye": "Cordialement,",
    },
    "es": {
        "hello": "Hola {name},",
        "hello_anon": "Hola,",
        "sorry": "Siento mucho {problem}, y que haya tenido que esperar {wait} una respuesta.",
        "sorry_long": "Siento mucho {problem}, y que esto ya dure {waited}.",
        "sorry_nowait": "Siento mucho {problem}. Entiendo lo frustrante que es.",
        "patience": "Gracias por su paciencia.",
        "thanks": "Gracias por escribirnos.",
        "steps": "Estos son los pasos:",
        "steps_rest": "Ya ha probado parte de esto, así que estos son los pasos que quedan:",
        "all_tried": "Ya ha probado todo lo que sugiere nuestra guía, así que me encargo "
        "personalmente y le respondo en breve.",
        "got_order": "Gracias por indicar su número de pedido ({number}).",
        "got_serial": "Gracias por indicar el número de serie ({number}).",
        "link": "La guía completa está aquí: {url}",
        "nothing": "Lo estoy revisando y le responderé en cuanto tenga una respuesta.",
        "close": "Si algo no queda claro, simplemente responda a este mensaje.",
        "bye": "Saludos cordiales,",
    },
}
# What went wrong, by intent, as it fits the "sorry" phrases of each language.
PROBLEMS: dict[str, dict[str, str]] = {
    "en": {
        "refund": "the trouble with your refund",
        "cancel": "the trouble cancelling",
        "delivery": "the problem with your delivery",
        "billing": "the problem with your bill",
        "account access": "the trouble getting into your account",
        "bug report": "the fault you ran into",
        "complaint": "what went wrong with your order",
        "damaged item": "the damaged item",
        "": "the trouble you've had",
    },
    "de": {
        "refund": "des Problems mit Ihrer Rückerstattung",
        "cancel": "der Schwierigkeiten bei der Kündigung",
        "delivery": "des Problems mit Ihrer Lieferung",
        "billing": "des Problems mit Ihrer Rechnung",
        "account access": "der Probleme mit Ihrem Konto",
        "bug report": "des Fehlers, auf den Sie gestoßen sind",
        "complaint": "dessen, was bei Ihrer Bestellung schiefgelaufen ist",
        "damaged item": "des beschädigten Artikels",
        "": "der Unannehmlichkeiten",
    },
    "fr": {
        "refund": "le problème avec votre remboursement",
        "cancel": "les difficultés de résiliation",
        "delivery": "le problème avec votre livraison",
        "billing": "le problème avec votre facture",
        "account access": "les difficultés d'accès à votre compte",
        "bug report": "la panne que vous avez rencontrée",
        "complaint": "ce qui s'est mal passé avec votre commande",
        "damaged item": "l'article endommagé",
        "": "ce désagrément",
    },
    "es": {
        "refund": "el problema con su reembolso",
        "cancel": "las dificultades para cancelar",
        "delivery": "el problema con su entrega",
        "billing": "el problema con su factura",
        "account access": "los problemas para acceder a su cuenta",
        "bug report": "la avería que encontró",
        "complaint": "lo que salió mal con su pedido",
        "damaged item": "el artículo dañado",
        "": "las molestias",
    },
}
# (one, many) per unit and language, for waits.
UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"day": ("day", "days"), "hour": ("hour", "hours"), "minute": ("minute", "minutes")},
    "de": {"day": ("Tag", "Tage"), "hour": ("Stunde", "Stunden"), "minute": ("Minute", "Minuten")},
    "fr": {"day": ("jour", "jours"), "hour": ("heure", "heures"), "minute": ("minute", "minutes")},
    "es": {"day": ("día", "días"), "hour": ("hora", "horas"), "minute": ("minuto", "minutos")},
}
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "nl": "Dutch"}
_VERBS = {
    "chat": "chatted with us",
    "matrix": "chatted with us",
    "email": "emailed us",
    "phone": "spoke with us",
}
LONGER = 2.0  # a wait the customer states counts when it is this much longer than ours


@dataclass(frozen=True)
class OfflineDraft:
    """The draft and, when it is not in the customer's language, a note saying why."""

    text: str
    language: str
    note: str = ""


def duration(seconds: float, lang: str) -> str:
    """ "14 days", "5 Stunden", "1 jour" in ``lang``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            one, many = UNITS[lang][unit]
            return f"{count} {one if count == 1 else many}"
    return f"1 {UNITS[lang]['minute'][0]}"


def _language(context: AssistContext) -> tuple[str, str]:
    """The draft's language (the customer's, else English) and a note when it is not."""
    if context.language in PHRASES:
        return context.language, ""
    name = LANGUAGE_NAMES.get(context.language, context.language)
    return "en", f"written in English: {name} is not covered offline"


def _steps(article_body: str, facts: CustomerFacts, lang: str) -> tuple[list[str], list[str]]:
    """The article's steps the customer has not taken, and thanks for numbers given."""
    steps, thanks = [], []
    for step in article_steps(article_body):
        given = asks_for_given(step, facts)
        if given:
            number = facts.order if given == "order" else facts.serial
            thanks.append(PHRASES[lang][f"got_{given}"].format(number=number))
        elif not facts.took(step):
            steps.append(step)
    return steps, list(dict.fromkeys(thanks))


def compose(context: AssistContext) -> OfflineDraft:
    """A complete reply an agent can send after light edits, wholly in one language."""
    lang, note = _language(context)
    phrase = PHRASES[lang]
    mood = context.mood
    told = facts.read(context.customer_texts)
    name = context.first_name
    paragraphs = [phrase["hello"].format(name=name) if name else phrase["hello_anon"]]
    problem = PROBLEMS[lang].get(mood.intent or "", PROBLEMS[lang][""])
    ours = mood.wait_seconds or 0
    stated = told.waited_seconds or 0
    opening = []
    if mood.upset and stated >= 86400 and stated > LONGER * ours:
        opening.append(phrase["sorry_long"].format(problem=problem, waited=duration(stated, lang)))
    elif mood.upset and ours >= 3600:
        opening.append(phrase["sorry"].format(problem=problem, wait=duration(ours, lang)))
    elif mood.upset:
        opening.append(phrase["sorry_nowait"].format(problem=problem))
    elif ours >= 3600:
        opening.append(phrase["patience"])
    else:
        opening.append(phrase["thanks"])
    if lang == "en" and mood.upset and mood.contacts_this_month >= 2:
        opening.append(phrase["again"].format(count=str(mood.contacts_this_month)))
    elif lang == "en" and mood.earlier and mood.earlier.channel != context.conversation.channel:
        verb = _VERBS.get(mood.earlier.channel, f"contacted us on {mood.earlier.channel}")
        opening.append(phrase["earlier"].format(verb=verb, when=mood.earlier.when))
    paragraphs.append(" ".join(opening))
    top = context.suggestions[0] if context.suggestions else None
    # A complaint gets a person looking into it, not the how-to-complain article.
    article_language = language(top.article.body) if top is not None else lang
    if top is not None and top.confident and article_language != lang:
        # Never mix languages: the article is linked, its steps are not quoted.
        name = LANGUAGE_NAMES.get(article_language, article_language)
        note = f"the article is in {name}: linked, its steps not quoted"
        paragraphs.append(
            phrase["link"].format(url=top.article.url) if top.article.url else phrase["nothing"]
        )
    elif top is not None and top.confident and mood.intent != "complaint":
        all_steps = article_steps(top.article.body)
        steps, thanks = _steps(top.article.body, told, lang)
        if thanks:
            paragraphs.append(" ".join(thanks))
        if not steps:
            paragraphs.append(phrase["all_tried"])
        elif len(all_steps) > 1 or len(steps) > 1:
            intro = phrase["steps"] if len(steps) == len(all_steps) else phrase["steps_rest"]
            paragraphs.append("\n".join([intro] + [f"{n}. {s}" for n, s in enumerate(steps, 1)]))
        else:
            paragraphs.append(steps[0])
        if steps and top.article.url:
            paragraphs.append(phrase["link"].format(url=top.article.url))
    else:
        paragraphs.append(phrase["nothing"])
    paragraphs.append(phrase["close"])
    paragraphs.append(f"{phrase['bye']}\n{context.agent_display_name}".rstrip())
    return OfflineDraft("\n\n".join(paragraphs), lang, note)


def draft(context: AssistContext) -> str:
    """The offline draft's text (see ``compose``)."""
    return compose(context).text


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
