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


def question_for(customer_texts: list[str], texts: dict[str, str] | None = None) -> str:
    """The question in the language the customer wrote in (``texts`` overrides the
    built-in wording per language); English when the language is not one of them."""
    chosen = {**QUESTIONS, **(texts or {})}
    return chosen.get(language("\n".join(customer_texts)), chosen["en"])
