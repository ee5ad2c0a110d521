"""KB import (add, update, remove), ranking, suggestions for conversations, the kb command."""

from __future__ import annotations

import pytest
from assist_data import ARTICLES, write_kb

from agentdesk import cli
from agentdesk.assist.kb import article_answer, article_steps, query_terms, suggest
from agentdesk.assist.kbimport import KbImportError, import_kb, parse_article
from agentdesk.domain import Inbound
from agentdesk.store import Store


@pytest.fixture
def kb_store(tmp_path):
    with Store(tmp_path / "kb.db") as store:
        import_kb(store, write_kb(tmp_path / "kb"))
        yield store


def titles(hits) -> list[str]:
    return [hit.article.title for hit in hits]


def test_front_matter_and_fallbacks():
    article = parse_article(
        '---\ntitle: "Reset: your password"\ntags: [Account, Two Factor]\n'
        "url: https://x.example/reset\n---\nBody **here**.\n",
        "fallback",
    )
    assert article.title == "Reset: your password"
    assert article.tags == ["account", "two-factor"]
    assert article.url == "https://x.example/reset" and article.body == "Body **here**."
    bare = parse_article("# Heading title\n\nText \x1b[31mred\n", "fallback")
    assert (bare.title, bare.body, bare.tags, bare.url) == ("Heading title", "Text red", [], "")
    assert parse_article("just text", "From name").title == "From name"


def test_reimport_updates_changed_adds_new_and_removes_deleted(tmp_path):
    folder = write_kb(tmp_path / "kb")
    with Store(tmp_path / "kb.db") as store:
        first = import_kb(store, folder)
        assert (first.added, first.updated, first.unchanged, first.removed) == (7, 0, 0, 0)
        assert import_kb(store, folder).line() == "0 added, 0 updated, 7 unchanged, 0 removed"
        (folder / "products/kettle-care.md").unlink()
        (folder / "billing/refunds.md").write_text(
            ARTICLES["billing/refunds.md"].replace("3-5 working days", "10 days")
        )
        (folder / "new.md").write_text("---\ntitle: Gift cards\n---\nGift cards never expire.\n")
        (folder / "empty.md").write_text("---\ntitle: Nothing\n---\n")
        result = import_kb(store, folder)
        assert (result.added, result.updated, result.unchanged, result.removed) == (1, 1, 5, 1)
        assert result.skipped == [f"{folder / 'empty.md'}: empty article"]
        assert store.kb.count() == 7
        assert store.kb.article("products/kettle-care") is None
        assert "10 days" in store.kb.article("billing/refunds").body
        assert titles(store.kb.search(["vinegar"])) == []  # the removed article is not found
        assert titles(store.kb.search(["expire"])) == ["Gift cards"]
        assert titles(store.kb.search(["days"], 5)).count("How refunds work") == 1


def test_import_of_a_missing_folder_is_one_line(tmp_path):
    with Store(tmp_path / "kb.db") as store, pytest.raises(KbImportError, match="not a directory"):
        import_kb(store, tmp_path / "nope")


@pytest.mark.parametrize(
    ("words", "first"),
    [
        (["refund", "returned"], "How refunds work"),
        (["charged", "twice", "invoice"], "I was charged twice"),
        (["parcel", "tracking", "moved"], "Track your parcel"),
        (["login", "code", "sms"], "The login code never arrives"),
        (["delivery", "address", "change"], "Change the delivery address"),
        (["close", "account", "subscription"], "Close your account"),
        (["kettle", "descale"], "Descaling the blue kettle"),
    ],
)
def test_ranking_puts_the_answering_article_first(kb_store, words, first):
    hits = kb_store.kb.search(words)
    assert hits[0].article.title == first
    assert len(hits) <= 3


def test_title_outweighs_body(tmp_path):
    with Store(tmp_path / "w.db") as store:
        store.kb.upsert(
            "a",
            "a.md",
            "Shipping times",
            [],
            "",
            "We ship fast. " * 3 + "Invoices are emailed.",
            "1",
        )
        store.kb.upsert("b", "b.md", "Invoices", [], "", "Where to find them.", "2")
        store.kb.upsert("c", "c.md", "Billing", ["invoices"], "", "About money.", "3")
        assert titles(store.kb.search(["invoices"])) == ["Invoices", "Billing", "Shipping times"]


def test_hits_explain_why_they_match(kb_store):
    hit = kb_store.kb.search(["refund", "kettle", "returned"])[0]
    assert hit.article.title == "How refunds work"
    assert set(hit.matched) == {"refund", "returned"}  # not "kettle": not in this article
    assert "refund" in hit.snippet.lower()


def test_search_terms_are_never_fts_syntax(kb_store):
    assert kb_store.kb.search(['"', "NEAR(", "*", "title:x", "OR", "zzz)"]) == []
    assert kb_store.kb.search(["AND"])[0].matched == ("and",)  # the word, not the operator


def message(text: str, minutes_ago: int = 10):
    from desk_data import at

    return Inbound(
        channel="email",
        address="kim@example.com",
        name="Kim Park",
        subject="",
        text=text,
        at=at(minutes_ago),
    )


def test_suggestions_for_a_conversation_use_the_latest_customer_messages(kb_store, frozen_clock):
    conversation_id, _ = kb_store.messages.record_inbound(
        message("Hi, how do I change the delivery address on my order?", 60)
    )
    kb_store.messages.record_inbound(
        Inbound(
            channel="email",
            address="kim@example.com",
            name="Kim Park",
            subject="",
            text="Actually forget that: the parcel tracking link has not moved for a week.",
            at=message("", 5).at,
            in_reply_to=None,
            thread_key=None,
        )
    )
    messages = kb_store.messages.thread(conversation_id)
    terms = query_terms(messages)
    assert "the" not in terms and "how" not in terms
    hits = suggest(kb_store, messages)
    assert hits[0].article.title in ("Track your parcel", "Change the delivery address")


def test_intent_lifts_the_article_about_it(kb_store, frozen_clock):
    conversation_id, _ = kb_store.messages.record_inbound(message("Refund for the kettle please"))
    messages = kb_store.messages.thread(conversation_id)
    assert titles(suggest(kb_store, messages))[0] == "Descaling the blue kettle"  # words only
    assert titles(suggest(kb_store, messages, intent="refund"))[0] == "How refunds work"


def test_article_steps_and_answer():
    steps = article_steps(ARTICLES["account/login-code.md"].split("---\n", 2)[2])
    assert steps == [
        "Check the phone number in your profile.",
        "Wait 60 seconds, then press Resend code.",
        "Still nothing? Switch to the authenticator app option.",
    ]
    from agentdesk.store.kb import KbArticle

    answer = article_answer(
        KbArticle(
            1,
            "x",
            "Change it",
            (),
            "https://h.example/x",
            "Go to **Orders** and press [Change](https://a.b/c). Done.",
        )
    )
    assert answer == (
        "Go to Orders and press Change (https://a.b/c). Done.\nMore details: https://h.example/x"
    )


def test_kb_command_imports_and_searches(tmp_path, capsys):
    folder = write_kb(tmp_path / "kb")
    db = str(tmp_path / "cli.db")
    assert cli.main(["kb", "import", str(folder), "--db", db]) == 0
    assert capsys.readouterr().out.strip() == (
        "7 added, 0 updated, 0 unchanged, 0 removed; 7 article(s) in the knowledge base"
    )
    (folder / "account/close-account.md").unlink()
    assert cli.main(["kb", "import", str(folder), "--db", db]) == 0
    assert "0 added, 0 updated, 6 unchanged, 1 removed; 6 article(s)" in capsys.readouterr().out
    assert cli.main(["kb", "search", "where", "is", "my", "parcel?", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1. Track your parcel  [shipping/track-parcel]"
    assert out[1] == "   https://help.example.com/tracking"
    assert out[2] == "   matches: parcel"
    assert cli.main(["kb", "search", "zebra", "--db", db]) == 1
    assert capsys.readouterr().out == "no matching articles\n"
    assert cli.main(["kb", "import", str(tmp_path / "missing"), "--db", db]) == 2
    assert capsys.readouterr().err == f"agentdesk: {tmp_path / 'missing'}: not a directory\n"


def test_kb_import_uses_the_configured_folder(tmp_path, capsys):
    folder = write_kb(tmp_path / "kb")
    config = tmp_path / "config.toml"
    config.write_text(f'[kb]\ndir = "{folder}"\n')
    db = str(tmp_path / "cli.db")
    assert cli.main(["--config", str(config), "kb", "import", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("7 added")
    config.write_text("")
    assert cli.main(["--config", str(config), "kb", "import", "--db", db]) == 2
    assert "give a DIR or set dir in the [kb] table" in capsys.readouterr().err


def test_the_demo_help_centre_imports(tmp_path):
    from pathlib import Path

    import agentdesk.demo

    folder = Path(agentdesk.demo.__file__).parent / "kb"
    with Store(tmp_path / "demo.db") as store:
        result = import_kb(store, folder)
        assert result.added == len(list(folder.glob("*.md"))) > 0 and not result.skipped
        assert all(store.kb.article(p.stem).url.startswith("https://") for p in folder.glob("*.md"))


DEMO_QUERIES = [
    ("The password reset email never arrives in my inbox.", "reset-email-missing"),
    ("Tracking says my parcel was delivered but it's not here.", "delivered-not-received"),
    ("I was charged twice for the same order!", "charged-twice"),
    ("My Drift robot vacuum keeps stopping and won't charge.", "robot-vacuum-troubleshooting"),
    ("How do I pair my Aero headphones with a second device?", "pair-bluetooth"),
    ("The kettle arrived damaged, the lid is cracked.", "damaged-on-arrival"),
    ("Can I exchange the lamp for a different colour?", "exchange-item"),
    ("My order is late, it should have arrived on Monday.", "late-delivery"),
    ("I moved to a new phone and my 2FA codes stopped working.", "two-factor-new-phone"),
]


@pytest.fixture(scope="module")
def demo_kb(tmp_path_factory):
    from pathlib import Path

    import agentdesk.demo

    with Store(tmp_path_factory.mktemp("demo-kb") / "kb.db") as store:
        import_kb(store, Path(agentdesk.demo.__file__).parent / "kb")
        yield store


@pytest.mark.parametrize(("text", "slug"), DEMO_QUERIES)
def test_demo_help_centre_ranking(demo_kb, frozen_clock, text, slug):
    from agentdesk.assist.mood import intent
    from agentdesk.domain import Message

    messages = [
        Message(1, 1, "in", "c@example.com", "2026-01-07T11:00:00Z", "", text, False, False, None)
    ]
    assert suggest(demo_kb, messages, "", 3, intent(text))[0].article.slug == slug


def test_a_rare_product_name_does_not_outrank_the_answer(demo_kb, frozen_clock):
    """An article sharing only the product name loses to ones answering the question."""
    from agentdesk.assist.mood import intent
    from agentdesk.domain import Message

    text = (
        "This is the third time I'm asking about my refund for the Kettle Pro 1.7 L."
        " My order number is #KH830354. Very disappointed."
    )
    messages = [
        Message(1, 1, "in", "c@example.com", "2026-01-07T11:00:00Z", "", text, False, False, None)
    ]
    slugs = [hit.article.slug for hit in suggest(demo_kb, messages, "", 3, intent(text))]
    assert "voltage-travel" not in slugs
    assert "request-refund" in slugs
