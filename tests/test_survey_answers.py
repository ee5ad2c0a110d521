"""What counts as an answer to a satisfaction survey, and what is left a message."""

from __future__ import annotations

import pytest

from agentdesk.surveys.answers import Answer, survey_answer


@pytest.mark.parametrize(
    ("text", "rating", "comment"),
    [
        ("4", 4, ""),
        ("  5 ", 5, ""),
        ("4 – quick and kind", 4, "quick and kind"),
        ("4 - quick and kind", 4, "quick and kind"),
        ("3: took a while", 3, "took a while"),
        ("2. The parcel is still not here", 2, "The parcel is still not here"),
        ("5/5", 5, ""),
        ("4 / 5, thanks!", 4, "thanks"),
        ("4 out of 5", 4, ""),
        ("3 von 5 – ging so", 3, "ging so"),
        ("5 sur 5", 5, ""),
        ("4 de 5", 4, ""),
        ("4 stars", 4, ""),
        ("5 Sterne!", 5, ""),
        ("1 étoile", 1, ""),
        ("3 estrellas", 3, ""),
        ("⭐⭐⭐⭐", 4, ""),
        ("⭐️⭐️⭐️ ok I guess", 3, "ok I guess"),
        ("★★★★★ wonderful", 5, "wonderful"),
        ("👍", 5, ""),
        ("👍🏽 thanks", 5, "thanks"),
        ("👎 still broken", 1, "still broken"),
        ("great", 5, ""),
        ("Great!", 5, ""),
        ("good, thanks for the quick help", 4, "thanks for the quick help"),
        ("very bad.", 1, ""),
        ("sehr gut", 5, ""),
        ("Gut", 4, ""),
        ("schlecht – niemand hat geantwortet", 2, "niemand hat geantwortet"),
        ("très bien", 5, ""),
        ("Très bien, merci", 5, "merci"),
        ("mauvais", 2, ""),
        ("muy bien", 5, ""),
        ("Muy mal, nadie me ayudó", 1, "nadie me ayudó"),
        ("excelente", 5, ""),
        ("Ok.", 3, ""),
        ("fine!", 3, ""),
        ("4 - 2 days late but fine", 4, "2 days late but fine"),
        ("5/5, 10 out of 10", 5, "10 out of 10"),
        (
            "2. The parcel is still not here, 3 days late",
            2,
            "The parcel is still not here, 3 days late",
        ),
    ],
)
def test_ratings(text, rating, comment):
    assert survey_answer(text) == Answer(rating, comment)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2 items are missing from my order",
        "10/10",
        "6",
        "0",
        "good morning, where is my parcel?",
        "goodbye",
        "very good service but the app crashes",
        "bien sûr, je vous envoie la facture",
        "Hi, I have one more question",
        "⭐⭐⭐⭐⭐⭐",
        "my rating: 4",
        "1042 is my order number",
        "5.99 was charged twice",
        "1,5 kg are missing",
        "3, 4 and 5 arrived broken",
        "1) the app crashes 2) the refund is missing",
        "1. The parcel is late\n2. The invoice is wrong",
        "Ok, thanks",
        "Ok, but I still cannot log in",
        "fine, I will wait",
        "Correct, the order number is 1234",
        "Bon, le colis n'est toujours pas arrivé",
    ],
)
def test_what_is_not_a_rating_is_not_guessed(text):
    assert survey_answer(text) is None


def test_a_question_in_the_comment_reopens():
    assert survey_answer("3 - fine, but when does the refund arrive?").asks_something
    assert survey_answer("Bien, ¿y el reembolso?").asks_something
    assert not survey_answer("5 – thank you so much").asks_something


def test_the_question_is_asked_in_the_customers_language():
    from agentdesk.surveys.questions import QUESTIONS, question_for

    assert (
        question_for(["Hallo, mein Paket ist nicht angekommen und ich warte schon"])
        == (QUESTIONS["de"])
    )
    assert (
        question_for(["Bonjour, je n'ai pas reçu ma commande et je suis déçu"]) == (QUESTIONS["fr"])
    )
    assert question_for(["Hola, no he recibido mi pedido y estoy esperando"]) == QUESTIONS["es"]
    assert question_for(["Where is my parcel?"]) == QUESTIONS["en"]
    assert question_for(["Gdzie jest moja paczka?"]) == QUESTIONS["en"]  # not one of the four
    custom = {"en": "Rate us 1-5!"}
    assert question_for(["Where is my parcel?"], custom) == "Rate us 1-5!"


def test_an_email_answer_is_read_without_its_greeting_quote_and_sign_off():
    from agentdesk.surveys.answers import message_answer

    email = (
        "Hi,\n4 - quick and kind\n\nBest regards,\nCarol\n\n"
        "On Tue, 1 Dec 2026 at 10:00, Support <support@desk.test> wrote:\n"
        "> How did we do? Reply with a number from 1 (poor) to 5 (great)\n"
    )
    assert message_answer(email) == Answer(4, "quick and kind")
    assert not message_answer(email).asks_something
    assert message_answer("> How did we do?\n\nwhen does my refund come?") is None


@pytest.mark.parametrize(
    ("text", "score", "comment"),
    [("6", 6, ""), ("7/7 – no effort at all", 7, "no effort at all"), ("2 of 7", 2, "")],
)
def test_effort_scores(text, score, comment):
    from agentdesk.surveys.answers import ces_answer

    assert ces_answer(text) == Answer(score, comment)


@pytest.mark.parametrize("text", ["8", "very easy", "👍", "6 items arrived broken", "0"])
def test_an_effort_score_is_a_number_only(text):
    from agentdesk.surveys.answers import ces_answer

    assert ces_answer(text) is None
