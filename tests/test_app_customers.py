"""Pilot tests: the customer from a conversation: search every customer, merge the same
person's two records (confirmed, recorded), edit the customer's tags; another desk sees it."""

from __future__ import annotations

from conftest import NO_PRESEND, Notices, run_command, screen_text, until
from desk_data import at
from textual.app import Notify
from textual.notifications import Notification

from agentdesk.app import make_app
from agentdesk.config import Config
from agentdesk.connectors.demo import DemoConnector
from agentdesk.domain import Inbound
from agentdesk.screens.conversation import ConversationScreen
from agentdesk.screens.pickers import ChoiceScreen
from agentdesk.store import Store
from agentdesk.widgets.customer import CustomerCard, HistoryList


def work_ann(path) -> int:
    """Ann again, from her work address: a second customer record for the same person."""
    with Store(path) as store:
        conversation, _ = store.messages.record_inbound(
            Inbound(
                channel="email",
                address="a.lee@work.example",
                name="Ann Lee",
                subject="Kettle still broken",
                text="Writing from work: the kettle is still broken.",
                at=at(10),
            )
        )
        store.customers.set_tags(store.conversations.get(conversation).customer_id, ["vip"])
        return conversation


def pane(app) -> str:
    """The customer pane and the history beside the thread, as shown."""
    screen = app.screen
    card = str(screen.query_one(CustomerCard).render())
    history = screen.query_one(HistoryList)
    rows = [str(history.get_option_at_index(i).prompt) for i in range(history.option_count)]
    return "\n".join([card, *rows])


async def open_refund(pilot, app) -> ConversationScreen:
    """Open the oldest-waiting conversation: Ann Lee's refund mail."""
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
    await until(pilot, lambda: app.screen.customer is not None)
    return app.screen


async def searched(pilot, app, *keys: str) -> str:
    """Type ``keys`` in the customer picker; the picker's text once its search is shown."""
    await pilot.press(*keys)
    await until(pilot, lambda: app.screen.answered == app.screen.typed)
    await pilot.pause()
    return screen_text(app)


async def test_search_pick_confirm_merges_and_the_pane_shows_one_history(desk, alice):
    path, ids = desk
    kettle = work_ann(path)
    notices = Notices()
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        screen = await open_refund(pilot, app)
        assert "Kettle still broken" not in pane(app)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        text = await searched(pilot, app)  # nothing typed: the customers named like this one
        assert "Link or merge customer: who else is Ann Lee?" in text
        assert "named like this customer" in text
        assert "Ann Lee  (this customer)" in text and "a.lee@work.example" in text
        assert "email ann@example.com · chat @ann:example.org" in text
        assert "3 conversations · last contact" in text  # enough to tell people apart
        text = await searched(pilot, app, *"work")
        assert "a.lee@work.example" in text and "(this customer)" not in text
        await pilot.press("enter")
        await until(pilot, lambda: "Merge two customers" in screen_text(app))
        text = screen_text(app)
        assert "Keep Ann Lee (this customer), fold the other into it:" in text
        assert "moves 1 conversation, email a.lee@work.example, #vip" in text
        assert "Keep the other, Ann Lee, fold this customer into it:" in text
        assert "moves 3 conversations, email ann@example.com, chat @ann:example.org" in text
        await pilot.press("enter")  # keep this customer
        await until(pilot, lambda: "a.lee@work.example" in pane(app))
        shown = pane(app)
        assert "4 conversations" in shown and "#vip" in shown
        assert "Kettle still broken" in shown  # the other record's conversation, in history
        assert screen.customer.conversation_count == 4
        assert notices.messages[-1] == (
            "Merged Ann Lee into Ann Lee: 1 conversation, email a.lee@work.example, #vip moved."
        )
    with Store(path) as store:
        merged = [e for e in store.events.read() if e["kind"] == "customer_merged"]
        assert {e["conversation_id"] for e in merged} == {
            ids["refund"],
            ids["ann_chat"],
            ids["done"],
            kettle,
        }
        assert {e["agent"] for e in merged} == {"alice"}
        assert [e["conversation_id"] for e in merged if e["payload"]["moved"]] == [kettle]


async def test_keeping_the_other_record_moves_this_conversation_to_it(desk, alice):
    path, ids = desk
    kettle = work_ann(path)
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_refund(pilot, app)
        await pilot.press("L")
        await searched(pilot, app, *"a.lee@work")
        await pilot.press("enter")
        await until(pilot, lambda: "Merge two customers" in screen_text(app))
        await pilot.press("j", "enter")  # keep the other record
        await until(pilot, lambda: "a.lee@work.example" in pane(app))
        assert "Kettle still broken" in pane(app) and "4 conversations" in pane(app)
    with Store(path) as store:
        kept = store.conversations.get(kettle).customer_id
        assert store.conversations.get(ids["refund"]).customer_id == kept
        assert screen.customer.id == kept


async def test_merging_a_customer_into_itself_is_one_line_and_changes_nothing(desk, alice):
    path, _ = desk
    notices = Notices()
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await open_refund(pilot, app)
        await pilot.press("L")
        text = await searched(pilot, app, *"ann@example.com")
        assert "(this customer)" in text
        await pilot.press("enter")
        await until(pilot, lambda: notices.messages)
        assert notices.messages == [
            "That is this customer: a customer cannot be merged into itself."
        ]
        assert isinstance(app.screen, ConversationScreen)
    with Store(path) as store:
        assert not [e for e in store.events.read() if e["kind"] == "customer_merged"]


async def test_a_customer_merged_on_another_desk_meanwhile_is_one_line(desk, alice):
    path, _ = desk
    work_ann(path)
    notices = Notices()
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        screen = await open_refund(pilot, app)
        await pilot.press("L")
        await searched(pilot, app, *"work")
        with Store(path) as other:  # bob merges the pair first, the other way round
            work = other.customers.search("a.lee@work.example")[0][0].id
            other.customers.merge(work, screen.customer.id, "bob")
        await pilot.press("enter")
        await until(pilot, lambda: notices.messages)
        assert "Not merged: that customer is gone (merged on another desk meanwhile)." in (
            notices.messages
        )
        await until(pilot, lambda: "a.lee@work.example" in pane(app))  # bob's merge shown


async def test_hostile_names_in_the_picker_confirmation_and_notice_are_plain_text(desk, alice):
    path, _ = desk
    notices: list[Notification] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            notices.append(message.notification)

    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40), message_hook=hook) as pilot:
        await open_refund(pilot, app)
        await pilot.press("L")
        text = await searched(pilot, app, *"mallory")
        assert "[bold red]Mallory[/]" in text  # shown, not run as markup
        assert "mallory@example.net" in text
        assert "\x1b" not in text and "\x07" not in text
        await pilot.press("enter")
        await until(pilot, lambda: "Merge two customers" in screen_text(app))
        assert "Keep the other, [bold red]Mallory[/], fold this customer" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: notices)
        (notice,) = notices
        assert notice.message.startswith("Merged [bold red]Mallory[/] into Ann Lee:")
        assert "\x1b" not in notice.message and not notice.markup  # shown as it reads


async def test_customer_tags_are_edited_with_the_tag_syntax_and_shown_at_once(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_refund(pilot, app)
        await pilot.press("T")
        await pilot.pause()
        assert "Tags of the customer Ann Lee" in screen_text(app)
        await pilot.press(*"#VIP churn-risk", "enter")
        await until(pilot, lambda: "#churn-risk #vip" in pane(app))
        await pilot.press("T")
        await pilot.pause()
        await pilot.press(*" -vip", "enter")  # the prompt shows "churn-risk vip"
        await until(pilot, lambda: "#vip" not in pane(app))
        assert "#churn-risk" in pane(app)
        assert "#churn-risk" not in str(app.screen.query_one("#conversation-title").render())
    with Store(path) as store:
        (customer,) = store.customers.search("ann@example.com")[0]
        assert customer.tags == ("churn-risk",)
        edits = [
            e["payload"] for e in store.events.read(ids["refund"]) if e["kind"] == "customer_tags"
        ]
        assert [(e["added"], e["removed"]) for e in edits] == [
            (["churn-risk", "vip"], []),
            ([], ["vip"]),
        ]


async def test_another_desk_sees_a_merge_and_tags_without_a_key(desk):
    path, ids = desk
    work_ann(path)
    bob = make_app(
        Config(agent_name="bob", raw={**NO_PRESEND, "team": {"poll_interval": 0.1}}), path, []
    )
    async with bob.run_test(size=(160, 40)) as pilot:
        screen = await open_refund(pilot, bob)
        with Store(path) as alice_desk:
            work = alice_desk.customers.search("a.lee@work.example")[0][0].id
            alice_desk.customers.merge(screen.customer.id, work, "alice")
            await until(pilot, lambda: "Kettle still broken" in pane(bob), timeout=5)
            assert "a.lee@work.example" in pane(bob)
            alice_desk.customers.change_tags(screen.customer.id, ["churn-risk"], [], "alice")
            await until(pilot, lambda: "#churn-risk" in pane(bob), timeout=5)


async def test_linking_an_address_nobody_has_makes_it_theirs(desk, alice):
    path, ids = desk
    notices = Notices()
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        await open_refund(pilot, app)
        await pilot.press("L")
        text = await searched(pilot, app, *"lee")
        assert "Link lee" not in text  # a name being typed: nothing to link
        await pilot.press("escape")
        text = await searched(pilot, app, *"ann.lee@gmail.example")
        assert "Link ann.lee@gmail.example to Ann Lee as their email address" in text
        assert "Link ann.lee@gmail.example to Ann Lee as their chat address" in text
        await pilot.press("enter")  # the conversation's channel comes first
        await until(pilot, lambda: "ann.lee@gmail.example" in pane(app))
        assert notices.messages[-1] == (
            "Linked ann.lee@gmail.example (email): their messages from it come here."
        )
        await pilot.press("L")
        text = await searched(pilot, app, *"ann.lee@gmail.example")
        assert "(this customer)" in text and "Link ann.lee" not in text  # hers now
    with Store(path) as store:
        conversation, _ = store.messages.record_inbound(
            Inbound(
                channel="email",
                address="ann.lee@gmail.example",
                name="",
                subject="From my other address",
                text="Hi",
                at=at(1),
            )
        )
        assert store.conversations.get(conversation).customer_id == (
            store.conversations.get(ids["refund"]).customer_id
        )


async def test_the_palette_names_both_customer_actions_in_full(desk, alice):
    path, _ = desk
    app = make_app(alice, path, [DemoConnector()])
    async with app.run_test(size=(160, 40)) as pilot:
        await open_refund(pilot, app)
        await run_command(pilot, "Link or merge customer…")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "who else is Ann Lee?" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await run_command(pilot, "Edit the customer's tags")
        await until(pilot, lambda: "Tags of the customer Ann Lee" in screen_text(app))
