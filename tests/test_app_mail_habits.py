"""Pilot tests for mail habits (issue 12.10): quoted history collapsed, attachments saved
or opened (never run), and | piping a message to a shell command."""

from __future__ import annotations

import stat
import sys
from dataclasses import replace

from conftest import Notices, screen_text, until
from desk_data import at

from agentdesk.app import make_app
from agentdesk.attachments import safe_name, why_not_open
from agentdesk.domain import Attachment, Inbound
from agentdesk.quotes import quoted_runs
from agentdesk.screens.pickers import ChoiceScreen, PromptScreen, TextScreen
from agentdesk.store import Store

QUOTED = """Thanks, the new code worked!

Best, Ann

On Tue, 6 Jan 2026 at 09:00, Alice Martin <
alice@desk.example> wrote:
> Could you try the code again?
>
> Alice
"""


def quoted_mail(path) -> int:
    with Store(path) as store:
        conversation, _ = store.messages.record_inbound(
            Inbound(
                channel="email",
                address="ann@example.com",
                name="Ann Lee",
                subject="Code",
                text=QUOTED,
                at=at(5),
                attachments=(
                    Attachment(
                        "../../.config/autostart/evil.desktop", 12, "text/plain", b"[Desktop]"
                    ),
                    Attachment("photo.png", 4, "image/png", b"\x89PNG"),
                ),
            )
        )
    return conversation


async def test_quoted_history_is_one_line_and_enter_shows_it(desk, alice):
    path, ids = desk
    conversation = quoted_mail(path)
    app, notices = make_app(alice, path, []), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        app.open_conversation(conversation)
        await pilot.pause()
        text = screen_text(app)
        assert "Thanks, the new code worked!" in text and "Best, Ann" in text
        assert "… 5 quoted lines · Enter shows them" in text
        assert "Could you try the code again?" not in text
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "> Could you try the code again?" in text and "quoted lines" not in text
        await pilot.press("enter")
        await pilot.pause()
        assert "Could you try the code again?" not in screen_text(app)
        app.open_conversation(ids["login"])  # a thread without quotes
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: notices.matching("No quoted text in this thread."))


def test_quotes_are_found_in_the_usual_forms():
    assert [q for q, _ in quoted_runs(QUOTED.strip())] == [False, True]
    outlook = "Fine.\n\n-----Original Message-----\nFrom: Alice\nSent: Monday\n\nOld text"
    assert quoted_runs(outlook) == [
        (False, ["Fine.", ""]),
        (True, ["-----Original Message-----", "From: Alice", "Sent: Monday", "", "Old text"]),
    ]
    assert [q for q, _ in quoted_runs("Am 5. Jan. schrieb Bob:\n> alt\nneu")] == [True, False]
    # "wrote:" without a quote under it, and ">" inside a line, are the customer's words
    assert quoted_runs("The technician wrote:\nit is fine, 3 > 2") == [
        (False, ["The technician wrote:", "it is fine, 3 > 2"])
    ]


def test_attachment_names_and_types_never_lead_to_running_them():
    assert safe_name("../../.bashrc") == "bashrc"
    assert safe_name("C:\\Users\\x\\evil.exe") == "evil.exe"
    assert safe_name("a\x1b[2Jb.pdf") == "a_[2Jb.pdf"
    assert safe_name("...") == "attachment"
    assert why_not_open(Attachment("invoice.pdf", 1, "application/pdf")) == ""
    assert "not opened" in why_not_open(Attachment("run.sh", 1, "text/plain"))
    assert "not opened" in why_not_open(Attachment("x.desktop", 1, "text/plain"))
    assert "the mail says application/x-msdownload" in why_not_open(
        Attachment("cat.png", 1, "application/x-msdownload")
    )


async def choose(pilot, app, words: str) -> None:
    """Filter the picker shown by ``words`` and choose the first entry."""
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await pilot.press(*words, "enter")
    await pilot.pause()


async def test_attachments_are_saved_to_a_chosen_path_or_opened_as_a_private_copy(
    desk, alice, tmp_path
):
    path, ids = desk
    conversation = quoted_mail(path)
    folder = tmp_path / "saved"
    folder.mkdir()
    record = tmp_path / "opened.txt"
    opener = f"{sys.executable} -c \"import sys; open({str(record)!r}, 'w').write(sys.argv[1])\""
    config = replace(alice, attachments_folder=folder, opener=opener)
    app, notices = make_app(config, path, []), Notices()
    async with app.run_test(size=(160, 40), message_hook=notices) as pilot:
        app.open_conversation(ids["html"])
        await pilot.pause()
        await pilot.press("s")
        await choose(pilot, app, "invoice")
        assert "Open with" in screen_text(app)  # a PDF may be opened
        await choose(pilot, app, "save")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # the proposed path: the folder and the file's name
        await until(pilot, lambda: notices.matching("Saved invoice-77.pdf"))
        saved = folder / "invoice-77.pdf"
        assert saved.read_bytes() == b"%PDF-1.4"
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # never executable
        await pilot.press("s")
        await choose(pilot, app, "invoice")
        await choose(pilot, app, "save")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")
        await until(pilot, lambda: notices.matching("exists already; choose another name"))
        assert saved.read_bytes() == b"%PDF-1.4"
        await pilot.press("s")
        await choose(pilot, app, "invoice")
        await choose(pilot, app, "open")
        await until(pilot, lambda: record.exists() and record.read_text())
        copy = record.read_text()
        assert copy.endswith("/invoice-77.pdf") and not copy.startswith(str(folder))
        app.open_conversation(conversation)
        await pilot.pause()
        await pilot.press("s")
        await choose(pilot, app, "evil")
        text = screen_text(app)
        assert "Not opened: .desktop files are not opened from the desk" in text
        assert "Open with" not in text
        await choose(pilot, app, "save")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert app.screen.query_one("Input").value == str(folder / "evil.desktop")
        await pilot.press("escape")


async def test_pipe_shows_the_commands_output_as_plain_text(desk, alice):
    path, ids = desk
    app = make_app(alice, path, [])
    async with app.run_test(size=(160, 40)) as pilot:
        app.open_conversation(ids["hostile"])
        await pilot.pause()
        await pilot.press("vertical_line")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"cat", "enter")
        await until(pilot, lambda: isinstance(app.screen, TextScreen))
        text = screen_text(app)
        assert "| cat  (exit 0)" in text
        assert "From: mallory@example.net" in text
        assert "[b]not bold[/b]" in text and "\x1b" not in text and "\x07" not in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("vertical_line")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert app.screen.query_one("Input").value == "cat"  # the last command, offered
        await pilot.press("ctrl+a", "ctrl+k", *"echo oops >&2; exit 3", "enter")
        await until(pilot, lambda: isinstance(app.screen, TextScreen))
        assert "(exit 3)" in screen_text(app) and "oops" in screen_text(app)
