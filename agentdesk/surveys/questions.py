"""The survey question in the customer's language (English, German, French, Spanish)."""

from __future__ import annotations

from agentdesk.assist.words import language

QUESTIONS = {
    "en": (
        "How did we do? Reply with a number from 1 (poor) to 5 (great), and add anything "
        "you'd like to tell us."
    ),
    "de": (
        "Wie zufrieden waren Sie mit uns? Antworten Sie mit einer Zahl von 1 (schlecht) bis "
        "5 (sehr gut) und schreiben Sie gern dazu, was Sie uns sagen möchten."
    ),
    "fr": (
        "Comment nous en sommes-nous sortis ? Répondez par un chiffre de 1 (mauvais) à "
        "5 (excellent), et ajoutez ce que vous souhaitez nous dire."
    ),
    "es": (
        "¿Qué tal lo hicimos? Responda con un número del 1 (mal) al 5 (excelente) y añada "
        "lo que quiera contarnos."
    ),
}


# The optional second question (``[csat] ces``): customer effort on a 1-7 scale.
CES_QUESTIONS = {
    "en": "Thank you! And how easy was it to get help? Reply 1 (very hard) to 7 (very easy).",
    "de": (
        "Danke! Und wie einfach war es, Hilfe zu bekommen? Antworten Sie mit 1 (sehr "
        "schwer) bis 7 (sehr einfach)."
    ),
    "fr": (
        "Merci ! Et était-il facile d'obtenir de l'aide ? Répondez de 1 (très difficile) à "
        "7 (très facile)."
    ),
    "es": (
        "¡Gracias! ¿Y qué tan fácil fue obtener ayuda? Responda del 1 (muy difícil) al 7 "
        "(muy fácil)."
    ),
}


def question_for(
    customer_texts: list[str],
    texts: dict[str, str] | None = None,
    built_in: dict[str, str] = QUESTIONS,
) -> str:
    """The question in the language the customer wrote in (``texts`` overrides the
    ``built_in`` wording per language); English when the language is not one of them."""
    chosen = {**built_in, **(texts or {})}
    return chosen.get(language("\n".join(customer_texts)), chosen["en"])
