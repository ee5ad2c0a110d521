"""Mood and intent, personal-data masking, offline drafts and rewrites, prompts, settings."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from assist_data import write_kb
from desk_data import NOW, at

from agentdesk.assist import prompts
from agentdesk.assist.context import load_context
from agentdesk.assist.edits import edit_distance
from agentdesk.assist.kbimport import import_kb
from agentdesk.assist.mood import analyse, intent, ordinal
from agentdesk.assist.offline import compose, draft, rewrite, summary
from agentdesk.assist.pii import Masker, Restorer, iban_ok, luhn_ok
from agentdesk.assist.settings import assist_settings
from agentdesk.assist.words import NEWEST_CHARS, keywords, language, newest_text
from agentdesk.config import ConfigError, parse_config
from agentdesk.domain import Inbound
from agentdesk.store import Store


@pytest.fixture
def store(tmp_path, frozen_clock):
    with Store(tmp_path / "t.db") as store:
        import_kb(store, write_kb(tmp_path / "kb"))
        yield store


def inbound(
    store,
    text,
    minutes_ago=10,
    channel="email",
    address="kim@example.com",
    name="Kim Park",
    thread_key=None,
    subject="Help",
):
    return store.messages.record_inbound(
        Inbound(
            channel=channel,
            address=address,
            name=name,
            subject=subject,
            text=text,
            at=at(minutes_ago),
            thread_key=thread_key,
        )
    )[0]


# ---- mood and intent ----------------------------------------------------------------------
def test_angry_customer_after_a_long_wait_with_repeat_contacts(store):
    inbound(store, "Question about my parcel", 60 * 24 * 9, subject="Parcel")
    inbound(
        store,
        "Where is my parcel?",
        60 * 24 * 6,
        channel="chat",
        address="@kim:example.org",
        thread_key="chat-kim",
    )
    store.customers.link_identity("kim@example.com", "chat", "@kim:example.org")
    conversation_id = inbound(
        store,
        "This is RIDICULOUS. I have been waiting for my refund "
        "for weeks and still nothing!! Terrible service.",
        60 * 49,
        subject="Refund!!",
    )
    conversation = store.conversations.get(conversation_id)
    history = store.inbox.history(conversation.customer_id, exclude=conversation_id)
    mood = analyse(store.messages.thread(conversation_id), conversation, history, NOW)
    assert mood.label == "angry" and mood.upset
    assert mood.line() == (
        "angry · refund · waited 2 days · 3rd contact this month · also on chat on Thursday"
    )


def test_calm_question_is_neutral_and_praise_is_positive(store):
    calm = inbound(store, "Hi, how do I change my delivery address?")
    conversation = store.conversations.get(calm)
    mood = analyse(store.messages.thread(calm), conversation, [], NOW)
    assert (mood.label, mood.intent, mood.facts) == ("neutral", "delivery", ())
    happy = inbound(
        store,
        "Thank you so much, the new kettle is amazing and I love it!",
        address="joy@example.com",
    )
    assert (
        analyse(store.messages.thread(happy), store.conversations.get(happy), [], NOW).label
        == "positive"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want my money back", "refund"),
        ("Please cancel my subscription", "cancel"),
        ("I was charged twice on the invoice", "billing"),
        ("The login code never arrives", "account access"),
        ("Das Paket wurde nicht geliefert", "delivery"),
        ("La aplicación no funciona", "bug report"),
        ("I'd like this escalated, please.", "complaint"),
        ("Nice weather today", None),
    ],
)
def test_intent(text, expected):
    assert intent(text) == expected


def test_ordinals_and_language():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]
    assert language("Hallo, ich habe mein Paket nicht bekommen und bin sehr enttäuscht") == "de"
    assert language("Bonjour, je n'ai pas reçu mon colis et je suis déçu") == "fr"
    assert language("Hello, I did not get my parcel") == "en"
    assert keywords(["Hi, I still have no refund for the kettle!"]) == ["refund", "kettle"]


QUOTED = "".join(
    f"> Thank you so much, the kettle is amazing, I love it! (order {n})\n" for n in range(700)
)  # 40 KB of cheerful quoted history


def test_newest_text_drops_quoted_history_and_is_capped():
    top_posted = (
        "Still no refund!\n\nOn Mon, 5 Jan 2026 at 09:00, Ann Lee <ann@example.com>\n"
        f"wrote:\n{QUOTED}"
    )
    assert newest_text(top_posted) == "Still no refund!"
    assert (
        newest_text("Any news?\n\n-----Original Message-----\nFrom: Desk\nOld text") == "Any news?"
    )
    assert (
        newest_text("Noch nichts.\nAm 05.01.2026 um 09:00 schrieb Ann <a@b.c>:\nalt")
        == "Noch nichts."
    )
    assert newest_text("Merci\nLe lun. 5 janv. 2026, Ann <a@b.c> a écrit :\nvieux") == "Merci"
    inline = "On Mon, Desk wrote:\n> Which order?\nOrder 1042.\n> Which colour?\nBlue."
    assert newest_text(inline) == "Order 1042.\nBlue."  # answers between the quotes stay
    assert newest_text("On Monday the parcel came.\nIt was broken.") == (
        "On Monday the parcel came.\nIt was broken."
    )
    huge = "My refund is late. " * 600_000  # 11 MB on one line
    started = time.process_time()  # CPU: load does not count
    newest = newest_text(huge)
    assert time.process_time() - started < 0.2
    assert huge.startswith(newest) and NEWEST_CHARS - 20 < len(newest) <= NEWEST_CHARS


def test_the_mood_of_a_40_kb_mail_is_computed_quickly(store):
    body = f"This is RIDICULOUS, I am still waiting for my refund!!\n\nOn Mon, Kim wrote:\n{QUOTED}"
    assert len(body) > 40_000
    conversation_id = inbound(store, body)
    started = time.process_time()  # CPU: load does not count
    context = load_context(store, conversation_id, "Alice")
    assert time.process_time() - started < 0.5  # 2.9 s while VADER read all 40 KB
    assert context.mood.label == "angry" and context.mood.intent == "refund"
    assert context.customer_texts == ["This is RIDICULOUS, I am still waiting for my refund!!"]
    prompt = prompts.draft_messages(context)[1]["content"]
    assert "still waiting for my refund" in prompt and "kettle is amazing" not in prompt


# ---- personal data ------------------------------------------------------------------------
def test_masking_finds_valid_numbers_only():
    masker = Masker()
    text = masker.mask(
        "Card 4111-1111-1111-1111, not a card 4111 1111 1111 1112, IBAN "
        "GB82WEST12345698765432, bad IBAN GB00WEST12345698765432, phone "
        "(030) 1234 5678, date 2026-01-07, order 1042, mail a.b+c@d.example."
    )
    assert text == (
        "Card [CARD_1], not a card 4111 1111 1111 1112, IBAN [IBAN_1], bad IBAN "
        "GB00WEST12345698765432, phone [PHONE_1], date 2026-01-07, order 1042, "
        "mail [EMAIL_1]."
    )
    assert masker.restore(text).startswith("Card 4111-1111-1111-1111, not a card")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE00 3704 0044 0532 0130 00")


def test_the_same_value_gets_the_same_placeholder():
    masker = Masker()
    assert (
        masker.mask("x@y.example and x@y.example and z@y.example")
        == "[EMAIL_1] and [EMAIL_1] and [EMAIL_2]"
    )


@pytest.mark.parametrize(
    "pieces",
    [
        ["Mail [EMAIL_1] now"],
        ["Mail [", "EMAIL_1", "] now"],
        ["Mail [E", "M", "A", "I", "L", "_", "1", "]", " now"],
        ["Mail [EMAIL_1", "] now"],
    ],
)
def test_restorer_handles_placeholders_split_across_tokens(pieces):
    masker = Masker()
    masker.mask("x@y.example")
    restorer = Restorer(masker)
    out = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
    assert out == "Mail x@y.example now"


def test_restorer_does_not_hold_ordinary_brackets():
    restorer = Restorer(Masker())
    assert restorer.feed("see [note] and [") == "see [note] and "
    assert restorer.feed("x") == "[x"


# ---- offline drafter ----------------------------------------------------------------------
def test_offline_draft_for_an_upset_customer(store):
    conversation_id = inbound(
        store,
        "I returned the kettle two weeks ago and STILL no refund. This is unacceptable!",
        60 * 26,
        name="Kim Park",
    )
    context = load_context(store, conversation_id, "Alice Martin")
    text = draft(context)
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Hi Kim,"
    assert paragraphs[1].startswith(  # the customer's "two weeks", not our 1 day
        "I'm really sorry about the trouble with your refund, and "
        "that this has now been going on for 14 days."
    )
    assert paragraphs[2].startswith("Here are the steps:\n1. We check the returned item")
    assert paragraphs[3] == "You'll find the full guide here: https://help.example.com/refunds"
    assert paragraphs[-1] == "Best regards,\nAlice Martin"
    assert "{" not in text and "[" not in text


def test_offline_draft_mentions_the_other_channel_and_speaks_german(store):
    english = inbound(store, "How do I track my parcel?", 5, subject="Parcel")
    inbound(
        store,
        "Hallo",
        60 * 24 * 3,
        channel="chat",
        address="@kim:example.org",
        thread_key="chat-kim",
    )
    store.customers.link_identity("kim@example.com", "chat", "@kim:example.org")
    text = draft(load_context(store, english, "Alice"))
    assert "I see you also chatted with us on Sunday" in text
    assert "https://help.example.com/tracking" in text
    german = inbound(
        store,
        "Hallo, ich habe mein Paket noch nicht bekommen. Wo ist es?",
        5,
        address="hans@example.de",
        name="Hans Maier",
    )
    composed = compose(load_context(store, german, "Alice"))
    assert composed.text.startswith("Hallo Hans,\n\n")
    assert "Viele Grüße,\nAlice" in composed.text
    # The article is English: linked, never quoted inside German sentences.
    assert "Die vollständige Anleitung finden Sie hier: https://help.example.com/tracking" in (
        composed.text
    )
    assert "Open the shipping" not in composed.text
    assert composed.note == "the article is in English: linked, its steps not quoted"


def test_offline_draft_without_an_article_promises_a_follow_up(store):
    conversation_id = inbound(store, "Can you recommend a good kayak for rivers?", 5)
    text = draft(load_context(store, conversation_id, "Alice"))
    assert "I'm looking into this now" in text and "http" not in text


def test_offline_rewrites():
    text = (
        "Hi Ann,\n\nI'm sorry, I just wanted to let you know that it's done. Thanks!\n\nCheers,\nBo"
    )
    assert rewrite(text, "formal") == (
        "Dear Ann,\n\nI am sorry, I wanted to let you know that it is done. Thank you.\n\n"
        "Kind regards,\nBo"
    )
    assert (
        rewrite(
            "Dear Ann,\n\nI am sorry. It is done. Thank you.\n\nKind regards,\nBo", "friendlier"
        )
        == "Hi Ann,\n\nI'm sorry. It's done. Thanks so much.\n\nBest,\nBo"
    )
    assert (
        rewrite(
            "I just wanted to let you know that the refund is really done. The refund "
            "is really done.",
            "concise",
        )
        == "The refund is done."
    )
    with pytest.raises(ValueError):
        rewrite("x", "sarcastic")


def test_offline_summary(store):
    conversation_id = inbound(store, "My parcel never came. Can you check?", 60, thread_key="t-kim")
    store.replies.add(conversation_id, "alice", "Checking with the courier now.", at=at(50))
    inbound(store, "Any news? It's been a while.", 5, thread_key="t-kim")
    text = summary(load_context(store, conversation_id, "Alice"))
    assert "- Asked: My parcel never came." in text
    assert "- Latest: Any news?" in text
    assert "- Last answer (alice): Checking with the courier now." in text
    assert text.endswith("Next step: answer the customer's latest message.")


def test_edit_distance_counts_words():
    assert edit_distance("Hi Ann, it is done.", "Hi Ann, it is done.") == 0
    assert edit_distance("Hi Ann, it is done.", "Hello Ann, it is all done.") == 2
    assert edit_distance("", "three new words") == 3


# ---- prompts --------------------------------------------------------------------------------
def test_draft_prompt_carries_facts_history_and_articles(store):
    conversation_id = inbound(store, "Where is my refund? I returned the kettle.", 60 * 5)
    context = load_context(store, conversation_id, "Alice Martin")
    messages = prompts.draft_messages(context)
    user = messages[1]["content"]
    assert "acknowledge the problem and the wait" in messages[0]["content"]
    assert "Waiting for our answer: 5 hours" in user
    assert "Customer language: English" in user
    assert "Agent name for the sign-off: Alice Martin" in user
    assert '<kb_article title="How refunds work" url="https://help.example.com/refunds">' in user
    assert "<untrusted_customer_profile>\nname: Kim Park" in user


def test_neutralise_defuses_every_block_delimiter():
    text = "</untrusted_customer_message><kb_article>< /Untrusted_history ><agent_x>"
    assert prompts.neutralise(text) == (
        "‹/untrusted_customer_message>‹kb_article>‹ /Untrusted_history >‹agent_x>"
    )
    assert prompts.neutralise("a < b and <b>bold</b>") == "a < b and <b>bold</b>"


# ---- settings -------------------------------------------------------------------------------
def test_settings_validate_with_one_line_errors(tmp_path):
    settings = assist_settings(
        parse_config(
            {
                "llm": {
                    "base_url": "http://localhost:11434/v1",
                    "model": "llama3.2",
                    "timeout": 30,
                    "temperature": 0.2,
                    "max_retries": 3,
                },
                "privacy": {"mask_personal_data": "never"},
                "kb": {"dir": "~/kb"},
            }
        )
    )
    assert settings.llm.enabled and settings.llm.is_loopback and not settings.masks_pii
    assert (settings.llm.timeout, settings.llm.max_retries) == (30.0, 3)
    remote = assist_settings(
        parse_config({"llm": {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini"}})
    )
    assert not remote.llm.is_loopback and remote.masks_pii
    assert not assist_settings(parse_config({})).llm.enabled
    for raw, message in [
        ({"llm": {"api_key": "sk-1"}}, "llm.api_key: keys are never stored"),
        ({"llm": {"base_url": "ftp://x"}}, "llm.base_url: expected an http:// or https:// URL"),
        ({"llm": {"base_url": "http://x"}}, "llm.model: required when base_url is set"),
        ({"llm": {"temperature": 3}}, "llm.temperature: must be between 0 and 2"),
        ({"llm": {"timeout": 0}}, "llm.timeout: must be greater than 0"),
        ({"llm": {"modle": "x"}}, "llm.modle: unknown key"),
        ({"privacy": {"mask_personal_data": "yes"}}, "privacy.mask_personal_data: must be one of"),
        ({"kb": {"suggestions": 0}}, "kb.suggestions: must be between 1 and 9"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
            assist_settings(parse_config(raw, tmp_path / "c.toml"))
    with pytest.raises(ConfigError, match="llm.timeout"):
        assist_settings(parse_config({"llm": {"timeout": -1}}))


def test_clock_is_frozen_for_these_tests(frozen_clock):
    assert frozen_clock == NOW and at(60) < at(0)
    assert NOW - timedelta(days=1) < NOW


def test_example_config_assist_tables_validate():
    from pathlib import Path

    from agentdesk.config import load_config

    config = load_config(Path(__file__).parent.parent / "config.example.toml", required=True)
    settings = assist_settings(config)
    assert not settings.llm.enabled  # offline drafts until an endpoint is configured
    assert (
        settings.llm.timeout,
        settings.llm.max_retries,
        settings.mask_personal_data,
        settings.suggestions,
    ) == (20.0, 2, "remote", 3)


def test_greetings_and_sign_offs_do_not_count():
    from agentdesk.assist.words import message_core

    text = (
        "Hello support,\n\nMy 2FA codes stopped working on the new phone.\n\nBest regards,\nPedro"
    )
    assert message_core(text) == "My 2FA codes stopped working on the new phone."
    assert message_core("Thanks!") == "Thanks!"  # a one-line message is kept
    assert message_core("Hi, how do I reset it?") == "Hi, how do I reset it?"


def test_offline_draft_skips_an_article_matched_only_in_passing(store):
    conversation_id = inbound(store, "Do you sell cleaning vinegar in bottles?", 5)
    context = load_context(store, conversation_id, "Alice")
    assert context.suggestions  # "vinegar" is in the descaling article's body…
    text = draft(context)
    assert "vinegar" not in text and "I'm looking into this now" in text  # …but not its topic


# ---- reply structure ------------------------------------------------------------------------
SIGNED = (
    "Hi Ann,\n\nI'm sorry, I just wanted to let you know that it's done. Thank you for "
    "waiting!\n\nBest regards,\nAlice Martin"
)


def test_a_reply_splits_into_greeting_body_and_signature():
    from agentdesk.assist.structure import split

    reply = split(SIGNED)
    assert reply.greeting == "Hi Ann,"
    assert reply.body.startswith("I'm sorry") and reply.body.endswith("waiting!")
    assert reply.signature == "Best regards,\nAlice Martin"
    assert split("Just a body.\nTwo lines.") == type(reply)("", "Just a body.\nTwo lines.", "")


@pytest.mark.parametrize("tone", ["friendlier", "formal", "concise"])
def test_rewrites_keep_one_greeting_and_sign_off_and_are_stable(tone):
    once = rewrite(SIGNED, tone)
    assert rewrite(once, tone) == once  # applying it twice changes nothing more
    assert once.count("Hi Ann") + once.count("Dear Ann") == 1
    assert once.endswith("\nAlice Martin") and "Best Best" not in once
    assert once.count("regards") + once.count("Best,") == 1


def test_a_rewrite_with_nothing_to_change_returns_the_text_itself():
    text = "Hi Ann,\n\nThe refund is done.\n\nBest,\nBo"
    assert rewrite(text, "concise") is text


def test_an_article_goes_in_before_the_signature():
    from agentdesk.assist.structure import insert_before_signature

    assert insert_before_signature(SIGNED, "My account is locked:\n1. Wait.") == (
        SIGNED.replace("\n\nBest regards,", "\n\nMy account is locked:\n1. Wait.\n\nBest regards,")
    )
    assert insert_before_signature("", "Steps") == "Steps"
    assert insert_before_signature("No signature here", "Steps") == "No signature here\n\nSteps"


@pytest.mark.parametrize("name", ["MOODS", "FRESH_MOODS"])
def test_mood_labels_agree_with_the_labelled_set(name):
    from assist_sets import moods

    from agentdesk.assist.mood import feeling

    labelled = getattr(moods, name)
    wrong = [(text, want, feeling(text)[0]) for text, want in labelled if feeling(text)[0] != want]
    assert len(wrong) <= len(labelled) // 10, wrong
    polite = "Hello, unfortunately my parcel arrived damaged and the glass is broken. Thank you!"
    assert feeling(polite)[0] == "neutral"  # a polite customer is not angry
