"""One conversation: thread, composer, customer pane and cross-channel history."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Label, OptionList, Static, TextArea

from agentdesk import attachments, clock, pipe
from agentdesk.actions import ActionError, apply_macro
from agentdesk.assist.edits import edit_distance
from agentdesk.domain import (
    Agent,
    Attachment,
    Conversation,
    Customer,
    InboxRow,
    Status,
    edited_tags,
    render_canned,
)
from agentdesk.domain import Message as StoredMessage
from agentdesk.screens.desk import DeskScreen, ReadOrder
from agentdesk.screens.pickers import (
    TYPED,
    ChoiceScreen,
    PromptScreen,
    TextScreen,
    assignee_choices,
)
from agentdesk.screens.presend import PresendScreen
from agentdesk.store import DATABASE_ERRORS, Store
from agentdesk.store.customers import CustomerGone
from agentdesk.text import count_of, error_line, human_size, one_line
from agentdesk.widgets.composer import Composer
from agentdesk.widgets.customer import (
    CustomerCard,
    HistoryList,
    customer_choice,
    customer_name,
    moving,
)
from agentdesk.widgets.key_bar import KeyBar
from agentdesk.widgets.thread import ThreadView, local_time

if TYPE_CHECKING:  # imported in a worker (openai, VADER): app.warm_up
    from agentdesk.widgets.assist_panel import AssistPanel

DRAFT_SAVE_DELAY = 0.4  # seconds of no typing before the draft is written
DRAFT_RETRY = 3.0  # seconds between tries to store a draft the database refused
TYPING_RENEW = 20.0  # seconds between typing notices while the agent keeps typing
ASSIST_MIN_WIDTH = 160  # terminals at least this wide show the assist panel at start


def _downloads() -> Path:
    """Where saving an attachment proposes without ``[attachments] folder``."""
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


def conversation_title(
    conversation: Conversation, customer: Customer | None, via: str | None = None
) -> Text:
    """The header line: subject, channel (and ``via``, the account replies leave
    from, when several could), status, assignee, tags, waiting time."""
    name = customer_name(customer) if customer else ""
    channel = f"{conversation.channel} via {one_line(via, 30)}" if via else conversation.channel
    title = Text.assemble(
        (one_line(conversation.subject or "(no subject)", 80), "bold"),
        "  ",
        (name, "bold cyan"),
        "  ",
        (channel, "cyan"),
        "  ",
        (conversation.status, "italic"),
    )
    if conversation.status == Status.SNOOZED:
        until = (
            "until the customer replies"
            if conversation.snooze_until_reply
            else f"until {local_time(conversation.snoozed_until, '%a %H:%M')}"
            if conversation.snoozed_until
            else ""
        )
        title.append(f" {until}", style="italic")
    title.append(
        f"  {conversation.assignee or 'unassigned'}",
        style="magenta" if conversation.assignee else "dim",
    )
    if conversation.tags:
        title.append("  " + " ".join(f"#{t}" for t in conversation.tags), style="blue")
    waited = clock.since(conversation.waiting_since)
    if waited is not None:
        title.append(f"  waiting {clock.humanize_duration(waited)}", style="yellow")
    return title


def _looks_like_address(text: str) -> bool:
    """One word that could be an address or handle (``@``, ``:``, ``.`` or a digit in
    it), not a name being typed."""
    return len(text.split()) == 1 and any(c in "@:." or c.isdigit() for c in text)


@dataclass(frozen=True)
class ConversationRead:
    """Everything the screen shows of a conversation, read in one go (in any thread)."""

    conversation_id: int
    conversation: Conversation | None
    customer: Customer | None
    messages: list[StoredMessage]
    history: list[InboxRow]


def read_conversation(store: Store, conversation_id: int) -> ConversationRead:
    conversation = store.conversations.get(conversation_id)
    customer = store.customers.get(conversation.customer_id) if conversation else None
    return ConversationRead(
        conversation_id,
        conversation,
        customer,
        store.messages.thread(conversation_id) if conversation else [],
        store.inbox.history(customer.id, exclude=conversation_id) if customer else [],
    )


class ConversationScreen(DeskScreen):
    """Read and act on one conversation; j/k move through the inbox without leaving.

    The app builds one of these and shows each conversation in it (``show`` swaps the
    contents), so an open costs no new widgets. Focus moves at once (``set_focus``),
    so text typed right after ``r`` lands in the composer.
    """

    # In the order of use: the key bar shows them so, and leaves out the last when short
    # of room (100 columns: up to Back). The tooltip is the palette's name for each.
    BINDINGS = [
        Binding(
            "r",
            "compose('reply')",
            "Reply",
            id="conversation.reply",
            tooltip="Reply to the customer",
        ),
        Binding(
            "ctrl+s",
            "send",
            "Send",
            id="conversation.send",
            priority=True,
            tooltip="Send the reply (or add the note)",
        ),
        Binding(
            "x", "resolve", "Resolve", id="conversation.resolve", tooltip="Resolve the conversation"
        ),
        Binding(
            "z",
            "snooze",
            "Snooze",
            id="conversation.snooze",
            tooltip="Snooze the conversation until a time",
        ),
        Binding(
            "t", "tags", "Tags", id="conversation.tags", tooltip="Edit the conversation's tags"
        ),
        Binding("j,down", "step(1)", "Next", id="conversation.next", tooltip="Next conversation"),
        Binding(
            "k,up",
            "step(-1)",
            "Previous",
            id="conversation.previous",
            tooltip="Previous conversation",
        ),
        Binding(
            "h",
            "history",
            "History",
            id="conversation.history",
            tooltip="The customer's other conversations (history)",
        ),
        Binding(
            "a",
            "toggle_assist",
            "Assist",
            id="conversation.assist",
            tooltip="Assist panel: show and focus, or hide",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="conversation.back",
            tooltip="Back: leave the composer, close the side view, then the inbox",
        ),
        Binding(
            "n",
            "compose('note')",
            "Note",
            id="conversation.note",
            tooltip="Write an internal note (the customer never sees it)",
        ),
        Binding(
            "m",
            "assign_me",
            "Take",
            id="conversation.assign_me",
            tooltip="Assign the conversation to me",
        ),
        Binding(
            "A",
            "assign_other",
            "Assign",
            id="conversation.assign",
            tooltip="Assign the conversation to another agent (or unassign it)",
        ),
        Binding("c", "canned", "Canned", id="conversation.canned", tooltip="Insert a canned reply"),
        Binding(
            "p",
            "pending",
            "Pending",
            id="conversation.pending",
            tooltip="Set pending: waiting on the customer",
        ),
        Binding(
            "o", "reopen", "Reopen", id="conversation.reopen", tooltip="Reopen the conversation"
        ),
        Binding(
            "R",
            "resend",
            "Resend",
            id="conversation.resend",
            tooltip="Resend the undelivered replies now",
        ),
        Binding(
            "ctrl+e",
            "external_editor",
            "$EDITOR",
            id="conversation.editor",
            priority=True,
            tooltip="Edit the composer text in $EDITOR",
        ),
        Binding(
            "u",
            "take_back",
            "Undo send",
            show=False,
            id="conversation.take_back",
            tooltip="Undo send / edit an unsent reply (back into the composer)",
        ),
        Binding(
            "E",
            "correct_address",
            "Customer address",
            show=False,
            id="conversation.address",
            tooltip="Correct the customer's address (failed replies are sent again)",
        ),
        Binding(
            "L",
            "link_customer",
            "Link customer",
            show=False,
            id="conversation.customer_link",
            tooltip="Link or merge customer…",
        ),
        Binding(
            "T",
            "customer_tags",
            "Customer tags",
            show=False,
            id="conversation.customer_tags",
            tooltip="Edit the customer's tags",
        ),
        Binding(
            "O",
            "sending_account",
            "Send from",
            show=False,
            id="conversation.account",
            tooltip="Send replies from another account",
        ),
        Binding(
            "M",
            "macro",
            "Macro",
            show=False,
            id="conversation.macro",
            tooltip="Apply a macro to the conversation",
        ),
        Binding(
            "pagedown",
            "scroll_thread(1)",
            "Scroll down",
            show=False,
            id="conversation.scroll_down",
            tooltip="Scroll the thread down",
        ),
        Binding(
            "pageup",
            "scroll_thread(-1)",
            "Scroll up",
            show=False,
            id="conversation.scroll_up",
            tooltip="Scroll the thread up",
        ),
        Binding(
            "v",
            "more",
            "More text",
            show=False,
            id="conversation.more",
            tooltip="Show more of the long messages",
        ),
        Binding(
            "enter",
            "toggle_quotes",
            "Quoted text",
            show=False,
            id="conversation.quotes",
            tooltip="Show or hide the quoted text of the mails",
        ),
        Binding(
            "s",
            "attachments",
            "Attachments",
            show=False,
            id="conversation.attachments",
            tooltip="Save or open an attachment",
        ),
        Binding(
            "vertical_line",
            "pipe",
            "Pipe",
            show=False,
            id="conversation.pipe",
            tooltip="Pipe the customer's message to a shell command",
        ),
        Binding(
            "V",
            "pager",
            "$PAGER",
            show=False,
            id="conversation.pager",
            tooltip="Read the whole thread in $PAGER",
        ),
    ]

    class Ready(Message):
        """The screen has shown its first conversation (the app replays held keys)."""

    def __init__(self) -> None:
        super().__init__()
        self.conversation_id = 0
        self.step: Callable[[int], int | None] | None = None
        self.conversation: Conversation | None = None
        self.customer: Customer | None = None
        self._save_timer: Timer | None = None
        # Drafts the database did not take yet, by (conversation, mode), and the timer
        # that tries again (flush_draft).
        self._unsaved: dict[tuple[int, str], str] = {}
        self._retry_timer: Timer | None = None
        self._draft_lock = threading.Lock()  # held while drafts are written (_write_drafts)
        self._loading_draft = False
        self._typing_since: float | None = None  # monotonic time of the last typing notice
        self._seen_up_to = 0  # the newest message shown at open (or in the collision check)
        self._reads = ReadOrder()  # the conversation's reads, here and in workers
        self._assist_wanted = False
        self._assist_panel: AssistPanel | None = None  # see the assist property
        self._assist_focus = False  # focus the panel once its mount is done
        self._built = False  # composed and mounted: show() can fill it
        self._composer = Composer(id="composer")  # kept: the draft is saved at unmount too
        self._last_pipe = ""  # the command | ran last, offered again

    @property
    def store(self):
        return self.desk.store

    @property
    def agent(self) -> Agent:
        return self.desk.agent

    def compose(self) -> ComposeResult:
        yield Static(id="conversation-title")
        # Styled with the class the mount would give it (_show_assist): added after the
        # mount, it restyled the whole body (7 ms of the 50 the screen takes to build).
        wide = self.app.size.width >= ASSIST_MIN_WIDTH
        with Horizontal(id="conversation-body", classes="assist" if wide else ""):
            with Vertical(id="conversation-main"):
                yield ThreadView(id="thread")
                yield self._composer
            with Vertical(id="conversation-side"):
                yield Label("Customer", classes="pane-title")
                yield CustomerCard(id="customer")
                yield Label("History (Enter opens beside)", classes="pane-title")
                yield HistoryList(id="history")
                yield Label("", id="peek-title", classes="pane-title")
                yield ThreadView(id="peek")
        yield KeyBar()

    @property
    def composer(self) -> Composer:
        return self._composer

    @property
    def thread(self) -> ThreadView:
        return self.query_one("#thread", ThreadView)

    @property
    def assist(self) -> AssistPanel | None:
        """The assist panel, once mounted with its children (it is mounted the first
        time it is shown; an open while it mounts finds none, and the mount shows it)."""
        return self._assist_panel

    def on_mount(self) -> None:
        if not self.app.is_running:  # built ahead of the first open as the app closed
            return
        self._built = True
        self.query_one("#peek").display = False
        self.query_one("#peek-title").display = False
        self.desk.desk_changed.subscribe(self, self._desk_changed)
        self.desk.live_changed.subscribe(self, self._live_changed)
        self.desk.presence_changed.subscribe(self, self._presence_changed)
        self._show_assist(self.app.size.width >= ASSIST_MIN_WIDTH)
        if self.conversation_id:
            self.show(self.conversation_id, self.step)
        self._lay_out_ahead()
        self.app.post_message(self.Ready())

    def _lay_out_ahead(self) -> None:
        """Built ahead, not shown yet: place the widgets at the app's size now, while the
        inbox waits, and draw their lines. Laid out only as it was first shown, the
        thread learnt its width a frame later, was wrapped then, and the whole screen was
        drawn twice (70-100 ms of the first open); drawn only then, every widget drew all
        its lines in the first open (12 ms of its 24; a widget the open does not change
        keeps the lines drawn here). Textual (8.2) lays a screen out this way as it shows
        it; a screen that is not shown draws nothing."""
        if self.app.screen is not self:
            self._refresh_layout(self.app.size)
            self._compositor.render_full_update()

    def on_unmount(self) -> None:
        """The app is closing: save the draft and end the focus interval."""
        if self.conversation is not None:
            self.leave("exit")

    def _desk_changed(self, conversation_id: int | None) -> None:
        """Something changed in the store (see ``AgentDeskApp.desk_changed``)."""
        if self.conversation is not None and conversation_id in (None, self.conversation_id):
            self.reload()

    # ---- loading -------------------------------------------------------------------------
    def show(
        self, conversation_id: int, step: Callable[[int], int | None] | None | bool = False
    ) -> None:
        """Switch to ``conversation_id``: the old one's draft is saved and its view ended.

        ``step`` (unless False) replaces the function j/k move with.
        """
        if step is not False:
            self.step = step  # type: ignore[assignment]
        if not self._built:  # shown by on_mount
            self.conversation_id = conversation_id
            return
        if self.conversation is not None:
            self.leave("switch")
        self.conversation_id = conversation_id
        self.reload()
        self._seen_up_to = max((message.id for message in self.thread.messages), default=0)
        self._load_draft("reply")
        self.close_peek()
        assist = self.assist
        if assist is not None and assist.display:
            assist.show_conversation(conversation_id)
        self.desk.handle_time.start(conversation_id)
        self.desk.here(conversation_id)
        self.desk.tell_channel(conversation_id, "read")
        self.set_focus(self.thread)

    def reload(self) -> None:
        """Re-read the conversation after a change (keeps the composer as it is)."""
        self._reads.current(self._reads.begin())
        self._show_read(read_conversation(self.store, self.conversation_id))

    def _live_changed(self, conversation_ids: frozenset[int]) -> None:
        """Another desk (or a channel) changed conversations: re-read this one if it is
        among them, off the UI thread."""
        if self.conversation is not None and self.conversation_id in conversation_ids:
            self._reread(self.conversation_id, self._reads.begin())

    @work(thread=True, exit_on_error=False, group="conversation-live")
    def _reread(self, conversation_id: int, number: int) -> None:
        read = read_conversation(self.store, conversation_id)
        self.app.call_from_thread(self._show_reread, read, number)

    def _show_reread(self, read: ConversationRead, number: int) -> None:
        """Show a re-read made in a worker, unless the agent moved on meanwhile or a
        later read is shown already (this one may hold the state before it); the thread
        scrolls to the end only when a message came."""
        if self.conversation is None or read.conversation_id != self.conversation_id:
            return
        if not self._reads.current(number):
            return
        self._show_read(read, changed=len(read.messages) != len(self.thread.messages))

    def _presence_changed(self, conversation_ids: frozenset[int]) -> None:
        if self.conversation is not None and self.conversation_id in conversation_ids:
            self._show_title()

    def _show_title(self) -> None:
        """The header: the conversation, then who else is viewing or typing in it."""
        if self.conversation is None:
            return
        title = conversation_title(self.conversation, self.customer, self.sending_account())
        for presence in self.desk.others.get(self.conversation_id, ()):
            title.append("  ")
            title.append(presence.label(), "bold yellow" if presence.typing else "cyan")
        self.query_one("#conversation-title", Static).update(title)

    def _show_read(self, read: ConversationRead, changed: bool = True) -> None:
        """Show what was read; unless the messages ``changed``, the thread keeps its
        scroll position and the assist panel its analysis."""
        self.conversation, self.customer = read.conversation, read.customer
        if self.conversation is None:
            self.notify("That conversation no longer exists.", severity="error")
            return
        self._show_title()
        name = self.customer.name if self.customer else ""
        self.thread.show(read.messages, name, follow=changed)
        if self.customer:
            self.query_one(CustomerCard).show(self.customer)
            self.query_one(HistoryList).show(read.history)
        if changed and (assist := self.assist) is not None:
            assist.refresh_analysis(self.conversation_id)

    def leave(self, reason: str) -> None:
        """Save the draft now and end the focus interval for handle time."""
        self.flush_draft(wait=reason == "exit")
        self._typing(False)
        self.desk.here(None)
        if self.conversation is not None:
            self.desk.handle_time.end(self.conversation_id, reason)

    # ---- drafts --------------------------------------------------------------------------
    def _load_draft(self, mode: str) -> None:
        self._loading_draft = True
        self.composer.set_mode(mode)
        text = self._unsaved.get((self.conversation_id, mode))
        if text is None:
            text = self.store.drafts.get(self.conversation_id, mode, self.agent.name)
        if text != self.composer.text:  # (most often both are empty)
            self.composer.load_text(text)
        self._loading_draft = False

    def _here(self) -> None:
        """Tell other desks whether the agent is typing a reply or a note here."""
        typing = "replying" if self.composer.mode == "reply" else "noting"
        self.desk.here(self.conversation_id, typing if self.composer.text.strip() else "viewing")

    def _typing(self, active: bool) -> None:
        """Tell the channel the agent started or stopped typing a reply (renewed while typing)."""
        now = time.monotonic()
        if active and self._typing_since is not None and now - self._typing_since < TYPING_RENEW:
            return
        if not active and self._typing_since is None:
            return
        self._typing_since = now if active else None
        self.desk.tell_channel(self.conversation_id, "typing", active)

    @on(TextArea.Changed, "#composer")
    def schedule_draft_save(self) -> None:
        if self._loading_draft:
            return
        self._typing(self.composer.mode == "reply" and bool(self.composer.text.strip()))
        self._here()
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self.flush_draft)

    def flush_draft(self, *, wait: bool = False) -> None:
        """Save the composer's text as the conversation's draft (an empty composer removes
        it), in a worker, or here with ``wait`` (the app is closing).

        Until the database has it the text is kept here, per conversation (``_load_draft``
        reads it first). While the database cannot take it (a PostgreSQL server away, a
        full disk) it is written again every few seconds until it is stored; the agent sees
        one line when that starts and one when it is saved.
        """
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self.conversation is not None:
            self._unsaved[(self.conversation_id, self.composer.mode)] = self.composer.text
        if not self._unsaved:
            return
        if wait:
            self._drafts_written(self._write_drafts())
        else:
            self._write_drafts_in_worker()

    @work(thread=True, group="drafts")
    def _write_drafts_in_worker(self) -> None:
        outcome = self._write_drafts()
        with contextlib.suppress(RuntimeError):  # (the app closed meanwhile: it wrote them)
            self.app.call_from_thread(self._drafts_written, outcome)

    def _write_drafts(self) -> dict[tuple[int, str], str] | BaseException:
        """Store the drafts kept here as they are now: those written, or the database's
        error. One writer at a time, each writing the newest texts, so an older text never
        lands last (and a sent reply's draft, taken out first, is never written again)."""
        with self._draft_lock:
            drafts = dict(self._unsaved)
            try:
                with self.store.atomic():
                    for (conversation_id, mode), text in drafts.items():
                        self.store.drafts.save(conversation_id, mode, text, self.agent.name)
            except DATABASE_ERRORS as error:
                return error
        return drafts

    def _drafts_written(self, outcome: dict[tuple[int, str], str] | BaseException) -> None:
        if isinstance(outcome, BaseException):
            if self._retry_timer is None:
                self.notify(
                    f"{error_line(outcome)}; the draft stays here and is saved when the"
                    " database is back",
                    severity="warning",
                )
                self._retry_timer = self.set_interval(DRAFT_RETRY, self.flush_draft)
            return
        for key, text in outcome.items():
            if self._unsaved.get(key) == text:  # (not typed on since)
                del self._unsaved[key]
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
            self.notify("database: back; the draft is saved")

    # ---- composing -----------------------------------------------------------------------
    def action_compose(self, mode: str) -> None:
        if self.composer.mode != mode:
            self.flush_draft()
            self._load_draft(mode)
        self.set_focus(self.composer)  # at once: the next key typed goes in
        self.composer.move_cursor(self.composer.document.end)

    def action_send(self, checked: int = 0) -> None:
        """Store the reply (or note), then hand it to the channel, then clear the composer.

        A reply first shows what other agents replied or noted here since this screen
        showed the conversation, then the pre-send check's findings; each is listed and
        Enter sends anyway, Esc goes back (``checked``: how many of the two were passed).
        The reply row is committed, in the same transaction that discards the draft,
        before the composer empties: if storing fails the text stays where it was.
        """
        text = self.composer.text.strip()
        if not text:
            self.notify("Nothing to send: the composer is empty.", severity="warning")
            return
        if self.composer.mode == "reply":
            checks = (self._written_meanwhile, lambda: self._presend_findings(text))
            for stage in range(checked, len(checks)):
                title, lines = checks[stage]()
                if lines:

                    def decided(send: bool | None, passed: int = stage + 1) -> None:
                        if send:
                            self.action_send(passed)
                        else:
                            self.composer.focus()

                    self.app.push_screen(PresendScreen(lines, title), decided)
                    return
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        assist = self.assist
        try:
            with self._draft_lock:  # no draft write of this text can land after the send
                self._unsaved.pop((self.conversation_id, self.composer.mode), None)
                message_id = self._store_sent(text, assist)
        except DATABASE_ERRORS as error:
            self.flush_draft()  # kept, and saved when the desk allows
            self.notify(
                f"Not stored, so not sent ({error_line(error)}); the text is still in"
                " the composer.",
                severity="error",
                timeout=10,
            )
            return
        if self.composer.mode == "note":
            self.notify("Note added.")
        else:
            if assist is not None:
                assist.accepted_text = None
            self.desk.deliver(message_id)
            if self.desk.config.undo_seconds:
                self.notify(f"Sending in {self.desk.config.undo_seconds:g} s: u takes it back.")
        self._typing(False)
        self._loading_draft = True
        self.composer.load_text("")
        self._here()
        self._loading_draft = False
        self.reload()
        self.set_focus(self.thread)

    def _store_sent(self, text: str, assist: AssistPanel | None) -> int:
        """Store the note, or the reply queued for its channel (discarding the draft, and
        taking the conversation when ``[team] assign_on_reply``); its message id."""
        if self.composer.mode == "note":
            return self.store.messages.add_note(self.conversation_id, self.agent.name, text)
        accepted = (
            assist.accepted_text
            if assist is not None and assist.conversation_id == self.conversation_id
            else None
        )
        assisted = (
            {}
            if accepted is None
            else {"ai_assisted": True, "edit_distance": edit_distance(accepted, text)}
        )
        return self.store.queue_reply(
            self.conversation_id,
            self.agent.name,
            text,
            assign=self.desk.config.team.assign_on_reply,
            hold_until=self._undo_until(),
            **assisted,
        )

    def _written_meanwhile(self) -> tuple[str, list[str]]:
        """What other agents replied or noted here since this screen showed the
        conversation (or since the agent last saw this list): the collision check."""
        others = self.store.messages.written_since(
            self.conversation_id, self._seen_up_to, self.agent.name
        )
        if others:
            self._seen_up_to = max(message.id for message in others)
        what = {"out": "replied", "note": "added a note"}
        return f"Written here since you opened it ({len(others)})", [
            f"{one_line(m.author, 30)} {what.get(m.direction, 'wrote')} at"
            f" {local_time(m.at, '%H:%M')}: {one_line(m.body, 200)}"
            for m in others
        ]

    def _presend_findings(self, text: str) -> tuple[str, list[str]]:
        # Loaded by the warm-up with the assist panel: imported with this screen, its
        # rules (the KB ranking, the mood lexicon) were 16 of the 50 ms a first open
        # waits for when Enter comes as the inbox is drawn.
        from agentdesk.assist.presend import check_conversation

        findings = (
            assist.presend_findings(text, self.conversation_id)
            if (assist := self.assist) is not None
            else check_conversation(
                self.store, self.conversation_id, text, self.desk.assist_settings.presend
            )
        )
        return "Before you send", [finding.line for finding in findings]

    def _undo_until(self) -> str | None:
        """When a reply sent now leaves (``[compose] undo_seconds`` later), to the second
        rounded up; None without an undo delay."""
        seconds = self.desk.config.undo_seconds
        if not seconds:
            return None
        later = clock.now() + timedelta(seconds=seconds)
        whole = later.replace(microsecond=0)
        return clock.to_iso(whole if whole == later else whole + timedelta(seconds=1))

    def action_take_back(self) -> None:
        """``u``: the newest reply here not sent yet (held for undo, queued, to retry or
        failed) back into the composer; it is withdrawn, so it is never sent, and so is a
        survey queued after it (it asks about that reply). One being handed to the
        channel at this moment cannot be taken back; another agent's is theirs."""
        waiting = self.store.replies.unsent(self.conversation_id)
        unsent = [
            reply for reply in waiting if not reply.survey and reply.author == self.agent.name
        ]
        if not unsent:
            self.notify("No reply of yours here is waiting to be sent.")
            return
        self.flush_draft(wait=True)  # stored first: the reply taken back goes before it
        reply = unsent[-1]
        if self.store.replies.withdraw(reply.id) is None:
            self.notify(
                "That reply is being handed to the channel right now: it cannot be taken back.",
                severity="warning",
            )
            return
        for survey in waiting:
            if survey.survey and survey.id > reply.id:
                self.store.replies.withdraw(survey.id, to_draft=False)
        self._load_draft("reply")
        self.reload()
        self.set_focus(self.composer)
        self.composer.move_cursor(self.composer.document.end)
        self.notify(
            "Reply taken back: it will not be sent. Edit it, then Ctrl+S."
            if not reply.delivery_failed
            else "The failed reply is withdrawn (never sent again); edit it, then Ctrl+S."
        )

    def action_resend(self) -> None:
        """Send this conversation's undelivered replies now (a failed one too)."""
        stuck = self.store.replies.unsent(self.conversation_id)
        if not stuck:
            self.notify("Every reply here has been delivered.")
            return
        for reply in stuck:
            self.desk.deliver(reply.id)
        self.notify(f"Sending {count_of(len(stuck), 'reply', 'replies')} again.")

    def sending_account(self) -> str | None:
        """The connector replies leave from, when more than one can send on this channel."""
        if self.conversation is None or len(self.desk.host.senders(self.conversation.channel)) < 2:
            return None
        sender = self.desk.host.sender(self.conversation.channel, self.conversation.via)
        return sender.desk_name if sender is not None else None

    def recipient(self) -> str:
        """The customer's address replies go to on this conversation's channel."""
        if self.conversation is None or self.customer is None:
            return ""
        return next(
            (i.address for i in self.customer.identities if i.channel == self.conversation.channel),
            "",
        )

    def action_correct_address(self) -> None:
        """Correct the address replies go to; replies that failed are sent again."""
        old = self.recipient()
        if self.customer is None or self.conversation is None or not old:
            self.notify("This conversation has no customer address.", severity="warning")
            return
        customer, channel = self.customer, self.conversation.channel

        def correct(value: str | None) -> None:
            new = " ".join((value or "").split())
            if not new or new == old:
                return
            self.store.customers.correct_address(customer.id, channel, old, new)
            self.reload()
            failed = [
                r for r in self.store.replies.unsent(self.conversation_id) if r.delivery_failed
            ]
            for reply in failed:
                self.desk.deliver(reply.id)
            again = (
                f"; sending {count_of(len(failed), 'failed reply', 'failed replies')} again"
                if failed
                else ""
            )
            self.notify(f"Replies go to {new} now{again}.")

        self.app.push_screen(
            PromptScreen(
                f"{channel} address of {one_line(customer.name, 40)} (replies go here)", old, old
            ),
            correct,
        )

    def action_sending_account(self) -> None:
        """Pick the account (connector) this conversation's replies leave from."""
        if self.conversation is None:
            return
        senders = [c.desk_name for c in self.desk.host.senders(self.conversation.channel)]
        if len(senders) < 2:
            self.notify(
                f"Only {senders[0] if senders else 'no connector'} sends on "
                f"{self.conversation.channel}.",
                severity="information",
            )
            return

        def choose(name: str | None) -> None:
            if name is not None:
                self.store.conversations.set_via(self.conversation_id, name)
                self._changed(True, f"Replies leave from {name}.")

        self.app.push_screen(
            ChoiceScreen(
                "Send replies from",
                [
                    (name, f"{name}{'  (current)' if name == self.sending_account() else ''}")
                    for name in senders
                ],
            ),
            choose,
        )

    def action_external_editor(self) -> None:
        """Edit the composer text in ``$EDITOR`` (config ``editor`` wins)."""
        editor = self.desk.config.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify(
                "Set $EDITOR (or editor in the config) to write in an editor.", severity="warning"
            )
            return

        def edited(path: Path) -> None:
            # What the editor wrote, less the file's final newline; the cursor after it.
            text = path.read_text(encoding="utf-8").removesuffix("\n")
            self.composer.load_text(text)
            self.composer.move_cursor(self.composer.document.end)
            self.flush_draft()

        text = self.composer.text
        # A text file ends with a newline, so a line the editor appends starts a line;
        # that newline is always added (and taken off after), so a text that ends with
        # an empty line comes back with it.
        self._in_terminal(
            editor,
            "the editor",
            text + "\n" if text else "",
            edited,
            "composer unchanged",
        )
        self.composer.focus()

    def action_pager(self) -> None:
        """Read the whole thread (every body in full, cleaned) in ``$PAGER`` (or less)."""
        pager = os.environ.get("PAGER") or "less"
        self._in_terminal(pager, "the pager", self._thread_view().full_text())

    def _in_terminal(
        self,
        command: str,
        what: str,
        text: str,
        done: Callable[[Path], None] | None = None,
        unchanged: str = "",
    ) -> None:
        """Run ``command FILE`` on ``text`` in the terminal (the app is suspended
        meanwhile), then ``done(FILE)`` if it succeeded; failures are one notice."""
        with tempfile.NamedTemporaryFile(
            "w", suffix=".txt", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(text)
            path = Path(handle.name)
        try:
            with self.app.suspend():
                result = subprocess.run([*shlex.split(command), str(path)], check=False)
            if result.returncode != 0:
                self.notify(
                    f"{command} exited with {result.returncode}"
                    + (f"; {unchanged}." if unchanged else "."),
                    severity="warning",
                )
            elif done is not None:
                done(path)
        except Exception as error:  # no terminal to suspend (e.g. served in a browser)
            self.notify(f"Cannot open {what}: {error}", severity="error")
        finally:
            path.unlink(missing_ok=True)

    def action_canned(self) -> None:
        replies = self.store.canned.all()
        if not replies:
            self.notify("No canned replies yet.", severity="warning")
            return
        bodies = dict(replies)

        def insert(name: str | None) -> None:
            if name is None:
                return
            subject = self.conversation.subject if self.conversation else ""
            text = render_canned(bodies[name], self.customer, self.agent, subject)
            self.action_compose("reply")
            self.composer.insert(text)

        self.app.push_screen(
            ChoiceScreen(
                "Insert canned reply",
                [(name, f"{name}: {one_line(body, 70)}") for name, body in replies],
            ),
            insert,
        )

    def action_macro(self) -> None:
        """``M``: a macro (``[[macros]]``): its status, tags and assignee at once, and its
        canned reply into the composer (not sent)."""
        names = [macro.name for macro in self.desk.config.macros]
        if not names:
            self.notify("No macros: define [[macros]] in the config.", severity="warning")
            return
        self.app.push_screen(ChoiceScreen("Apply macro", [(n, n) for n in names]), self.use_macro)

    def use_macro(self, name: str | None) -> None:
        """Apply the macro ``name`` here (the palette's "Macro: NAME", or the one chosen
        after ``M``)."""
        macro = next((m for m in self.desk.config.macros if m.name == name), None)
        if macro is None:
            return
        try:
            changed, reply = apply_macro(self.store, self.conversation_id, macro, self.agent)
        except ActionError as error:
            self.notify(f"Macro {macro.name!r}: {error}", severity="error")
            return
        if changed and macro.status == Status.RESOLVED:
            self.desk.resolved(self.conversation_id)
        if reply:
            self.action_compose("reply")
            self.composer.insert(reply)
        self._changed(changed or bool(reply), f"Macro {macro.name!r} applied.")

    # ---- status, ownership, tags ---------------------------------------------------------
    def _changed(self, changed: bool, message: str) -> None:
        self.reload()
        self.notify(message if changed else "Nothing to change.")

    def action_resolve(self) -> None:
        changed = self.store.conversations.set_status(
            self.conversation_id, Status.RESOLVED, self.agent.name
        )
        if changed:
            self.desk.resolved(self.conversation_id)
        self._changed(changed, "Resolved.")

    def action_reopen(self) -> None:
        self._changed(
            self.store.conversations.set_status(self.conversation_id, Status.OPEN, self.agent.name),
            "Reopened.",
        )

    def action_pending(self) -> None:
        self._changed(
            self.store.conversations.set_status(
                self.conversation_id, Status.PENDING, self.agent.name
            ),
            "Pending: waiting on the customer.",
        )

    def action_snooze(self) -> None:
        """``z``: a choice of usual times, or a time typed straight away (``3d``)."""

        def snooze(choice: str | None) -> None:
            if choice == TYPED:
                snooze_until(picker.typed)
            elif choice == "at":
                self.app.push_screen(
                    PromptScreen("Snooze until", "3d, 1h30m, 17:30, mon 9:00, 2026-12-24 08:00"),
                    snooze_until,
                )
            elif choice is not None:
                later = {"1h": clock.now() + timedelta(hours=1), "tomorrow": clock.tomorrow_at(9)}
                self._snooze(later.get(choice), until_reply=choice == "reply")

        def snooze_until(text: str | None) -> None:
            if not text:
                return
            try:
                until = clock.parse_later(text)
            except ValueError as error:
                self.notify(f"Not snoozed: {error}", severity="warning")
                return
            self._snooze(until, until_reply=False)

        def typed_time(text: str) -> str | None:
            try:
                until = clock.parse_later(text)
            except ValueError:
                return None
            return f"Until {local_time(clock.to_iso(until))} (typed: {text})"

        picker = ChoiceScreen(
            "Snooze",
            [
                ("1h", "For 1 hour"),
                ("tomorrow", "Until tomorrow 09:00"),
                ("reply", "Until the customer replies"),
                ("at", "Until a time you type (3d, mon 9:00, 2026-12-24 08:00)"),
            ],
            hint="type a time (3d, 17:30) or filter",
            offer=typed_time,
        )
        self.app.push_screen(picker, snooze)

    def _snooze(self, until: datetime | None, until_reply: bool) -> None:
        """Snooze until ``until`` (or the customer's reply), saying until when."""
        when = "the customer replies"
        if until is not None:
            when = until.astimezone().strftime("%a %d %b %H:%M")
        self._changed(
            self.store.conversations.set_status(
                self.conversation_id,
                Status.SNOOZED,
                self.agent.name,
                until=None if until is None else clock.to_iso(until),
                until_reply=until_reply,
            ),
            f"Snoozed until {when}.",
        )

    def action_assign_me(self) -> None:
        self._claim(self.agent.name, f"Assigned to you ({self.agent.name}).")

    def action_assign_other(self) -> None:
        choices = assignee_choices(self.store.agents.all())

        def assign(name: str | None) -> None:
            if name is not None:
                self._claim(name or None, f"Assigned to {name}." if name else "Unassigned.")

        self.app.push_screen(ChoiceScreen("Assign to", choices), assign)

    def _claim(self, assignee: str | None, done: str) -> None:
        """Assign if the conversation is still held by whom this screen shows; when
        another desk changed that meanwhile, say who in one line and show it."""
        shown = self.conversation.assignee if self.conversation else None
        claim = self.store.conversations.claim(
            self.conversation_id, assignee, self.agent.name, expected=shown
        )
        if claim.won:
            self._changed(claim.changed, done)
        else:
            self.reload()
            self.notify(claim.lost_line(), severity="warning")

    def action_tags(self) -> None:
        current = " ".join(self.conversation.tags) if self.conversation else ""

        def apply(value: str | None) -> None:
            if value is None:
                return
            add, remove = edited_tags(self.conversation.tags if self.conversation else (), value)
            changed = False
            for tag in remove:
                changed |= self.store.conversations.set_tag(
                    self.conversation_id, tag, False, self.agent.name
                )
            for tag in add:
                changed |= self.store.conversations.set_tag(
                    self.conversation_id, tag, True, self.agent.name
                )
            self._changed(changed, "Tags updated.")

        self.app.push_screen(
            PromptScreen(
                "Tags (space separated; remove one by deleting it)",
                "vip refund",
                current,
                extend=True,
            ),
            apply,
        )

    # ---- the customer: link or merge, tags ------------------------------------------------
    def action_customer_tags(self) -> None:
        """``T``: add or remove the customer's tags, as the conversation's tag prompt does
        (the prompt shows them; delete one or type ``-tag``)."""
        customer = self.customer
        if customer is None:
            self.notify("This conversation has no customer.", severity="warning")
            return

        def apply(value: str | None) -> None:
            if value is None:
                return
            add, remove = edited_tags(customer.tags, value)
            changed = self.store.customers.change_tags(customer.id, add, remove, self.agent.name)
            self._changed(changed, "Customer tags updated.")

        self.app.push_screen(
            PromptScreen(
                f"Tags of the customer {customer_name(customer)} (space separated;"
                " remove one by deleting it)",
                "vip churn-risk",
                " ".join(customer.tags),
                extend=True,
            ),
            apply,
        )

    def action_link_customer(self) -> None:
        """``L``: search every customer (name, email, chat handle) for the same person
        under another record, then merge the two once confirmed; or link an address
        nobody has yet (typed whole) to this customer."""
        this = self.customer
        if this is None:
            self.notify("This conversation has no customer.", severity="warning")
            return

        here = self.conversation.channel if self.conversation else ""
        channels: list[str] = []  # read by the first search

        def search(typed: str) -> tuple[list[tuple[str, str]], str]:
            """(In the picker's worker.) Nothing typed: the customers named like this one.
            One word typed that is nobody's address: link it, on each channel."""
            found, total = self.store.customers.search(typed or this.name)
            note = f"{len(found)} of {total} shown" if total > len(found) else ""
            if not typed and found:
                note = "named like this customer"
            choices = [(str(c.id), customer_choice(c, c.id == this.id)) for c in found]
            address = one_line(typed, 320)
            known = {i.address.lower() for c in found for i in c.identities}
            if _looks_like_address(address) and address.lower() not in known:
                channels[:] = channels or self.store.customers.channels()
                choices += [
                    (
                        f"link\0{channel}\0{address}",
                        f"Link {one_line(address, 60)} to {customer_name(this)} as their"
                        f" {channel} address (nobody has it yet)",
                    )
                    for channel in sorted(channels, key=lambda c: c != here)
                ]
            return choices, note

        def chosen(key: str | None) -> None:
            if key is not None and key.startswith("link\0"):
                _, channel, address = key.split("\0", 2)
                self._link_address(this.id, channel, address)
            elif key is not None:
                self._confirm_merge(this.id, int(key))

        self.app.push_screen(
            ChoiceScreen(
                f"Link or merge customer: who else is {customer_name(this)}?",
                [],
                search=search,
                hint="type a name, email or chat handle",
                wide=True,
            ),
            chosen,
        )

    def _link_address(self, customer_id: int, channel: str, address: str) -> None:
        """Link ``address`` on ``channel`` to the customer (someone else's address is a
        merge: confirmed first)."""
        try:
            owner = self.store.customers.add_address(customer_id, channel, address, self.agent.name)
        except CustomerGone:
            self._merge_gone()
            return
        except DATABASE_ERRORS as error:
            self.notify(f"Not linked: {error_line(error)}", severity="error")
            return
        shown = f"{one_line(address, 60)} ({channel})"
        if owner is None:
            self.reload()
            self.notify(f"Linked {shown}: their messages from it come here.", markup=False)
        elif owner == customer_id:
            self.notify(f"{shown} is this customer's already.", markup=False)
        else:
            self._confirm_merge(customer_id, owner)

    def _confirm_merge(self, this_id: int, other_id: int) -> None:
        """Say exactly what moves each way; the agent picks which record stays."""
        if other_id == this_id:
            self.notify(
                "That is this customer: a customer cannot be merged into itself.",
                severity="warning",
            )
            return
        this, other = self.store.customers.get(this_id), self.store.customers.get(other_id)
        if this is None or other is None:
            self._merge_gone()
            return

        def decided(keep: str | None) -> None:
            if keep is not None:
                kept, merged = (this, other) if keep == "this" else (other, this)
                self._merge(kept.id, merged.id)

        self.app.push_screen(
            ChoiceScreen(
                "Merge two customers into one: it cannot be undone (Esc: nothing moves)",
                [
                    (
                        "this",
                        f"Keep {customer_name(this)} (this customer), fold the other into it:"
                        f"\n  moves {moving(other, this)}",
                    ),
                    (
                        "other",
                        f"Keep the other, {customer_name(other)}, fold this customer into it:"
                        f"\n  moves {moving(this, other)}",
                    ),
                ],
                wide=True,
            ),
            decided,
        )

    @work(thread=True, exit_on_error=False, group="customer-merge")
    def _merge(self, keep: int, drop: int) -> None:
        """Merge off the UI thread (a customer with hundreds of conversations gets an
        event on each: 0.9 s on the 1M-message bench desk under load)."""
        try:
            kept, merged = self.store.customers.merge(keep, drop, self.agent.name)
        except CustomerGone:
            self.app.call_from_thread(self._merge_gone)
        except DATABASE_ERRORS as error:
            line = f"Not merged: {error_line(error)}"
            self.app.call_from_thread(self.notify, line, severity="error")
        else:
            self.app.call_from_thread(self._merged, kept, merged)

    def _merged(self, kept: Customer, merged: Customer) -> None:
        if self.conversation is not None:  # (still shown: the agent may have gone back)
            self.reload()
        self.notify(  # customer text: never markup
            f"Merged {customer_name(merged)} into {customer_name(kept)}:"
            f" {moving(merged, kept)} moved.",
            markup=False,
        )

    def _merge_gone(self) -> None:
        if self.conversation is not None:
            self.reload()
        self.notify(
            "Not merged: that customer is gone (merged on another desk meanwhile).",
            severity="warning",
        )

    # ---- navigation ----------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        target = self.step(delta) if self.step else None
        if target is None:
            self.notify("No more conversations in this list.", severity="information")
            return
        self.show(target)

    def action_scroll_thread(self, direction: int) -> None:
        thread = self.thread
        (thread.scroll_page_down if direction > 0 else thread.scroll_page_up)()

    def _thread_view(self) -> ThreadView:
        """The thread beside the current one when it has the focus, else the current one."""
        return self.focused if isinstance(self.focused, ThreadView) else self.thread

    def action_more(self) -> None:
        """Show more of the long messages that are cut short (``V``: all in the pager)."""
        if not self._thread_view().more():
            self.notify("Every message is shown in full.")

    def action_toggle_quotes(self) -> None:
        """``Enter`` on the thread: show the quoted history of its mails, or collapse it."""
        if not self._thread_view().toggle_quotes():
            self.notify("No quoted text in this thread.")

    # ---- mail habits: attachments and | ----------------------------------------------------
    def action_attachments(self) -> None:
        """``s``: pick an attachment of the thread, then save it to a file or open it with
        the system opener (viewable types only: customer files are never run)."""
        found = [
            (message, index, attachment)
            for message in reversed(self.thread.messages)
            for index, attachment in enumerate(message.attachments)
        ]
        if not found:
            self.notify("No attachments in this conversation.")
            return
        by_key = {f"{m.id}:{i}": (m, i, a) for m, i, a in found}

        def chosen(key: str | None) -> None:
            if key in by_key:
                self._attachment_action(*by_key[key])

        self.app.push_screen(
            ChoiceScreen(
                "Attachments (newest first)",
                [
                    (
                        f"{m.id}:{i}",
                        f"{one_line(a.filename, 60)}  {human_size(a.size)}  ·"
                        f" {'customer' if m.direction == 'in' else m.author}, {local_time(m.at)}",
                    )
                    for m, i, a in found
                ],
            ),
            chosen,
        )

    def _attachment_action(
        self, message: StoredMessage, index: int, attachment: Attachment
    ) -> None:
        opener = self.desk.config.opener or attachments.default_opener()
        problem = attachments.why_not_open(attachment)
        choices = [("save", "Save to a file…")]
        if not problem:
            choices.append(("open", f"Open with {one_line(opener, 40)}"))
        title = one_line(attachment.filename, 60) + (f"\nNot opened: {problem}" if problem else "")

        def save_to(path: str | None) -> None:
            if path:
                self._save_attachment(message.id, index, path, None)

        def chosen(what: str | None) -> None:
            if what == "open":
                self._save_attachment(message.id, index, None, opener)
            elif what == "save":
                folder = self.desk.config.attachments_folder or _downloads()
                self.app.push_screen(
                    PromptScreen(
                        "Save to (an existing file is never replaced)",
                        value=str(folder / attachments.safe_name(attachment.filename)),
                    ),
                    save_to,
                )

        self.app.push_screen(ChoiceScreen(title, choices), chosen)

    @work(thread=True, exit_on_error=False, group="attachments")
    def _save_attachment(
        self, message_id: int, index: int, path: str | None, opener: str | None
    ) -> None:
        """Read the attachment's bytes and save them to ``path``, or hand a private copy
        to ``opener`` (off the UI thread); the outcome is one line."""
        attachment = self.store.messages.attachments_with_data(message_id)[index]
        data = attachment.data or b""
        try:
            if opener is not None:
                copy = attachments.open_copy(attachment, data, opener)
                line = f"Opened a copy of {one_line(attachment.filename, 60)} ({copy})."
            else:
                saved = attachments.save(data, Path(path or ""))
                line = f"Saved {one_line(attachment.filename, 60)} ({human_size(len(data))}) to {saved}."
        except FileExistsError:
            line, failed = f"Not saved: {path} exists already; choose another name.", True
        except (OSError, ValueError) as error:
            line, failed = f"Not saved: {error_line(error)}", True
        else:
            failed = False
        self.app.call_from_thread(
            self.notify, line, severity="warning" if failed else "information"
        )

    def action_pipe(self) -> None:
        """``|``: pipe the customer's newest message to a shell command; its output is
        shown as plain text (it may repeat customer text: cleaned, never markup)."""
        messages = self.thread.messages
        message = next((m for m in reversed(messages) if m.direction == "in"), None)
        if message is None and messages:
            message = messages[-1]
        if message is None:
            self.notify("No message to pipe.")
            return

        def chosen(command: str | None) -> None:
            if command and command.strip():
                self._last_pipe = command
                self._run_pipe(command, pipe.message_text(message))

        self.app.push_screen(
            PromptScreen(
                "Pipe the customer's newest message to (sh -c)", "grep -i order", self._last_pipe
            ),
            chosen,
        )

    @work(thread=True, exit_on_error=False, group="pipe")
    def _run_pipe(self, command: str, text: str) -> None:
        result = pipe.pipe(command, text)
        title = f"| {one_line(command, 60)}  ({result.ending})"
        self.app.call_from_thread(self.app.push_screen, TextScreen(title, result.output))

    def action_history(self) -> None:
        self.set_focus(self.query_one(HistoryList))

    @on(OptionList.OptionSelected, "#history")
    def open_peek(self, event: OptionList.OptionSelected) -> None:
        """Show an earlier conversation beside the current one (Esc closes it)."""
        other = int(str(event.option.id))
        conversation = self.store.conversations.get(other)
        if conversation is None:
            return
        title = self.query_one("#peek-title", Label)
        title.update(
            Text(
                f"{conversation.channel} · {one_line(conversation.subject, 50)}"
                f" · {conversation.status}"
            )
        )
        title.display = True
        self.query_one("#conversation-side").add_class("peeking")  # the history shrinks
        peek = self.query_one("#peek", ThreadView)
        peek.display = True
        peek.show(self.store.messages.thread(other), self.customer.name if self.customer else "")
        self.set_focus(peek)

    def close_peek(self) -> bool:
        peek = self.query_one("#peek")
        was_open = bool(peek.display)
        if was_open:
            peek.display = False
            self.query_one("#peek-title").display = False
            self.query_one("#conversation-side").remove_class("peeking")
        return was_open

    def action_back(self) -> None:
        """Esc: leave the composer, then close the side view, then back to the inbox."""
        if self.focused is self.composer:
            self.flush_draft()
            self.set_focus(self.thread)
        elif self.close_peek() or (
            self.focused is not None and self.focused in (self.query_one(HistoryList), self.assist)
        ):
            self.set_focus(self.thread)
        else:
            self.leave("back")
            self.conversation = None  # shown again by the next open
            self.dismiss()

    # ---- assist panel --------------------------------------------------------------------
    def _show_assist(self, shown: bool, focus: bool = False) -> None:
        """Show or hide the assist panel; it is mounted the first time it is shown."""
        self._assist_wanted = shown
        self.query_one("#conversation-body").set_class(shown, "assist")
        assist = self.assist
        if assist is None:  # not mounted yet, or mounting: the mount does what is asked
            self._assist_focus = shown and (focus or self._assist_focus)
            for mounting in self.query("#assist"):
                mounting.display = shown
            if shown:
                self._mount_assist()
            return
        assist.display = shown
        if shown:
            if assist.conversation_id != self.conversation_id and self.conversation is not None:
                assist.show_conversation(self.conversation_id)
            if focus:
                self.set_focus(assist)

    @work(group="assist-mount", exit_on_error=False)
    async def _mount_assist(self) -> None:
        """Mount the panel once its modules are imported (off the UI thread, app.warm_up);
        once, however often it is asked for meanwhile, then shown, focused or hidden as
        last asked (``_assist_wanted``, ``_assist_focus``)."""
        await self.desk.assist_loaded()
        if self.query("#assist") or not self._assist_wanted:  # mounted, or mounting
            return
        from agentdesk.widgets.assist_panel import AssistPanel

        panel = AssistPanel(
            self.store, self.desk.assist_settings, composer_text=lambda: self.composer.text
        )
        await self.query_one("#conversation-body").mount(panel)
        self._assist_panel = panel
        self._lay_out_ahead()
        if not self._assist_wanted:  # hidden while it mounted
            panel.display = False
            return
        if self.conversation is not None:
            panel.show_conversation(self.conversation_id)
        if self._assist_focus:
            self._assist_focus = False
            self.set_focus(panel)

    def action_toggle_assist(self) -> None:
        """Show and focus the assist panel; focus it when it is shown but the focus is
        elsewhere; hide it when it has the focus (hiding stops its stream)."""
        assist = self.assist
        if self._assist_wanted and assist is not None and not assist.has_focus_within:
            self.set_focus(assist)
            return
        shown = not self._assist_wanted
        self._show_assist(shown, focus=True)
        if not shown:
            if assist is not None:
                assist.stop()
            self.set_focus(self.thread)

    def on_assist_panel_insert(self, event: AssistPanel.Insert) -> None:
        """Assist text goes into the reply composer; nothing is sent. The use (a rewrite
        accepted, an article inserted) is recorded now, for assist analytics."""
        self.action_compose("reply")
        if event.replace:
            self.composer.load_text(event.text)
        else:
            self.composer.insert(event.text)
        self.flush_draft()
        for kind, payload in event.uses:
            self.desk.event_writer.record(
                partial(
                    self.store.events.append,
                    self.conversation_id,
                    kind,
                    agent=self.agent.name,
                    payload=payload,
                )
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter keys type into the composer while it has focus."""
        typing = isinstance(self.focused, Composer)  # (no query: also safe while closing)
        return not typing or action in ("send", "external_editor", "back")
