"""The unified inbox: every channel in one list, filters, sort and search."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from agentdesk.domain import InboxFilter, SearchQuery
from agentdesk.screens.pickers import ChoiceScreen
from agentdesk.store import SEARCH_LIMIT
from agentdesk.text import count_of
from agentdesk.widgets.inbox_list import IdSource, InboxList, QuerySource
from agentdesk.widgets.key_bar import KeyBar

VIEWS = ("all", "mine", "unassigned")
STATUSES = ("active", "open", "pending", "snoozed", "resolved", "any")
VIEW_LABELS = {"all": "All", "mine": "Mine", "unassigned": "Unassigned"}


class InboxScreen(Screen):
    """The list an agent works from; Enter opens a conversation."""

    BINDINGS = [
        # Priority: the conversation opens before the keys typed after Enter are read.
        Binding("enter", "open", "Open", id="inbox.open", priority=True),
        Binding("slash", "search", "Search", id="inbox.search"),
        Binding("escape", "clear_search", "Clear search", show=False, id="inbox.clear_search"),
        Binding("v", "cycle_view", "Mine/Unassigned/All", id="inbox.view"),
        Binding("f", "cycle_status", "Status filter", id="inbox.status"),
        Binding("c", "cycle_channel", "Channel", id="inbox.channel"),
        Binding("t", "pick_tag", "Tag", id="inbox.tag"),
        Binding("o", "toggle_sort", "Sort", id="inbox.sort"),
        Binding("R", "refresh", "Refresh", show=False, id="inbox.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = InboxFilter()
        self.search_text = ""
        self.search_more = False

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        yield Input(
            placeholder="search: words, from:, channel:, status:, tag:, agent:  (Esc clears)",
            id="search",
        )
        yield Static(id="inbox-columns")
        yield InboxList(
            QuerySource(self.app.store, self.filters), self.app.config.sla_for, id="inbox-list"
        )
        yield Static(id="inbox-status")
        yield KeyBar()

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    def on_mount(self) -> None:
        self.filters.me = self.app.config.agent_name
        self.query_one("#search").display = False
        self.inbox.reload()
        self.set_focus(self.inbox)
        self.set_interval(30, self.inbox.refresh)  # waiting times age on screen
        self.app.desk_changed.subscribe(self, lambda _conversation: self.refresh_list())
        self.app.channels_changed.subscribe(self, lambda _state: self.update_title())
        self.update_title()

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def on_resize(self) -> None:
        width = self.inbox.scrollable_content_region.width
        self.query_one("#inbox-columns", Static).update(self.inbox.header(width))

    # ---- list source ----------------------------------------------------------------------
    def refresh_list(self) -> None:
        """Re-run the current filter or search, keeping the cursor on the same conversation."""
        current = self.inbox.current
        keep = current.id if current else None
        if self.search_text:
            ids, self.search_more = self.app.store.search(SearchQuery.parse(self.search_text))
            self.inbox.set_source(IdSource(self.app.store, ids), keep)
        else:
            self.inbox.set_source(QuerySource(self.app.store, self.filters), keep)
        self.update_title()

    def update_title(self) -> None:
        f = self.filters
        if self.search_text:
            found = count_of(self.inbox.total, "conversation")
            if self.search_more:
                found = f"{self.inbox.total} of >{SEARCH_LIMIT} conversations"
            title = Text.assemble(
                ("Search ", "bold"),
                (self.search_text, "italic"),
                f"  ·  {found}, newest first",
            )
        else:
            parts = [VIEW_LABELS[f.view], f"status: {f.status}", f"channel: {f.channel or 'all'}"]
            if f.tag:
                parts.append(f"tag: {f.tag}")
            parts.append("oldest waiting first" if f.sort == "waiting" else "newest first")
            title = Text.assemble(
                ("Inbox ", "bold"),
                " · ".join(parts),
                f"  ·  {count_of(self.inbox.total, 'conversation')}",
            )
        states = self.app.channel_states()
        if states:
            title.append("   " + " · ".join(states), style="yellow")
        self.query_one("#inbox-title", Static).update(title)

    # ---- actions --------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        self.set_focus(search)

    @on(Input.Submitted, "#search")
    def run_search(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        if not self.search_text:
            event.input.display = False
        self.refresh_list()
        self.inbox.cursor = 0
        self.set_focus(self.inbox)

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        if self.search_text:
            self.search_text = ""
            self.refresh_list()
        self.set_focus(self.inbox)

    def action_cycle_view(self) -> None:
        self.filters.view = VIEWS[(VIEWS.index(self.filters.view) + 1) % len(VIEWS)]
        self.refresh_list()

    def action_cycle_status(self) -> None:
        self.filters.status = STATUSES[(STATUSES.index(self.filters.status) + 1) % len(STATUSES)]
        self.refresh_list()

    def action_cycle_channel(self) -> None:
        options: list[str | None] = [None, *self.app.store.channels()]
        index = options.index(self.filters.channel) if self.filters.channel in options else 0
        self.filters.channel = options[(index + 1) % len(options)]
        self.refresh_list()

    def action_pick_tag(self) -> None:
        choices = [("", "(any tag)")] + [(tag, f"#{tag}") for tag in self.app.store.tags()]

        def chosen(tag: str | None) -> None:
            if tag is not None:
                self.filters.tag = tag or None
                self.refresh_list()

        self.app.push_screen(ChoiceScreen("Filter by tag", choices), chosen)

    def action_toggle_sort(self) -> None:
        self.filters.sort = "newest" if self.filters.sort == "waiting" else "waiting"
        self.refresh_list()

    def action_refresh(self) -> None:
        self.refresh_list()

    # ---- list events ----------------------------------------------------------------------
    def action_open(self) -> None:
        """Enter: open the conversation under the cursor."""
        if (row := self.inbox.current) is not None:
            self.app.open_conversation(row.id, step=self.step)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter in the search field runs the search."""
        return action != "open" or self.focused is self.inbox

    def on_inbox_list_opened(self, event: InboxList.Opened) -> None:
        self.app.open_conversation(event.row.id, step=self.step)

    def on_inbox_list_moved(self, event: InboxList.Moved) -> None:
        status = f" {event.index + 1 if event.total else 0}/{event.total}"
        self.query_one("#inbox-status", Static).update(Text(status, style="dim"))

    def step(self, delta: int) -> int | None:
        """Move the inbox cursor (for j/k inside a conversation); the new row's id."""
        before = self.inbox.cursor
        row = self.inbox.move(delta)
        return row.id if row is not None and self.inbox.cursor != before else None
