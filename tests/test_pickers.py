"""Pickers (tags, canned replies, assign, channels): type to filter, j/k to move."""

from __future__ import annotations

from textual.app import App
from textual.widgets import OptionList

from agentdesk.app import make_app
from agentdesk.connectors.demo import DemoConnector
from agentdesk.screens.pickers import ChoiceScreen

CHOICES = [
    ("billing", "Billing question"),
    ("refund", "Refund request"),
    ("jam", "Jammed printer"),
    ("kettle", "Kettle broken"),
]


async def pick(*keys: str) -> tuple[list[str | None], list[str]]:
    """Press ``keys`` in a picker; what it chose and the labels still listed."""
    chosen: list[str | None] = []
    app = App()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(ChoiceScreen("Tag", CHOICES), chosen.append)
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        listed = []
        if isinstance(app.screen, ChoiceScreen):
            options = app.screen.query_one(OptionList)
            listed = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
    return chosen, listed


async def test_j_and_k_move():
    assert (await pick("j", "j", "k", "enter"))[0] == ["refund"]


async def test_typing_filters_by_every_word_in_any_case():
    chosen, _ = await pick(*"REF", "enter")
    assert chosen == ["refund"]
    _, listed = await pick(*"r e")  # both words: Refund request, Jammed printer, Kettle broken
    assert listed == ["Refund request", "Jammed printer", "Kettle broken"]


async def test_slash_starts_a_filter_that_begins_with_j_or_k():
    chosen, _ = await pick("slash", *"ke", "enter")
    assert chosen == ["kettle"]


async def test_backspace_and_escape_edit_the_filter_before_closing():
    _, listed = await pick(*"ke", "backspace", "backspace")  # "k" moved; "e" typed then erased
    assert len(listed) == 4
    _, listed = await pick(*"zz", "escape")
    assert len(listed) == 4  # the filter is cleared, the picker still open
    chosen, _ = await pick(*"zz", "escape", "escape")
    assert chosen == [None]


async def test_assigning_by_typing_a_name(desk, alice):
    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        await pilot.press(*"bo", "enter")
        await pilot.pause()
        assert app.store.conversations.get(app.screen.conversation_id).assignee == "bob"


async def test_the_desks_tag_and_canned_pickers_filter_as_typed(desk, alice):
    """Issue 12.13 in the desk itself: the inbox's tag picker (t) and the conversation's
    canned replies (c) list only what matches the typed words, j/k move, Enter chooses."""
    from conftest import screen_text, until

    from agentdesk.screens.conversation import ConversationScreen

    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await until(pilot, lambda: "(any tag)" in screen_text(app))
        await pilot.press(*"BIL")
        await until(pilot, lambda: "filter: BIL" in screen_text(app))  # not a blank frame
        assert "(any tag)" not in screen_text(app) and "#billing" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: "tag: billing" in screen_text(app))
        assert "1 conversation" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        screen = app.screen
        await pilot.press("c")
        await until(pilot, lambda: "refund-timeline:" in screen_text(app))
        await pilot.press("j", "k", "j", "enter")  # greeting, refund-timeline, back, again
        await until(pilot, lambda: screen.composer.text.startswith("Refunds reach your"))
        await pilot.press("escape", "c")  # leave the composer, where c is typed
        await until(pilot, lambda: "refund-timeline:" in screen_text(app))
        await pilot.press(*"THANKS reaching")  # words of the greeting, any case
        await until(pilot, lambda: "filter: THANKS reaching" in screen_text(app))
        assert "refund-timeline:" not in screen_text(app) and "greeting:" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: "Thanks for reaching out." in screen.composer.text)
