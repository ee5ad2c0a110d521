"""The unified inbox: every channel in one list, filters, sort and search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from agentdesk import clock
from agentdesk.actions import draft_macro, on_each
from agentdesk.config import ConfigError, save_view
from agentdesk.domain import (
    STATUSES,
    VIEWS,
    InboxFilter,
    SavedView,
    SearchQuery,
    Status,
    tag_changes,
)
from agentdesk.screens.desk import DeskScreen, ReadOrder
from agentdesk.screens.pickers import ChoiceScreen, PromptScreen, assignee_choices
from agentdesk.store import DATABASE_ERRORS, SEARCH_LIMIT
from agentdesk.text import count_of, one_line
from agentdesk.widgets.inbox_list import (
    IdSource,
    InboxList,
    QuerySource,
    RowChange,
    RowSource,
    read_changes,
)
from agentdesk.widgets.key_bar import KeyBar

VIEW_LABELS = {"all": "All", "mine": "Mine", "unassigned": "Unassigned"}


class InboxScreen(DeskScreen):
    """The list an agent works from; Enter opens a conversation."""

    BINDINGS = [
        # Priority: the conversation opens before the keys typed after Enter are read.
        Binding(
            "enter",
            "open",
            "Open",
            id="inbox.open",
            priority=True,
            tooltip="Open the conversation under the cursor",
        ),
        Binding("slash", "search", "Search", id="inbox.search", tooltip="Search within this view"),
        Binding(
            "escape",
            "clear_search",
            "Clear search",
            show=False,
            id="inbox.clear_search",
            tooltip="Clear the search (back to the view)",
        ),
        Binding(
            "v",
            "cycle_view",
            "Mine/Unassigned/All",
            id="inbox.view",
            tooltip="Show mine, unassigned or all conversations",
        ),
        Binding(
            "f",
            "cycle_status",
            "Status filter",
            id="inbox.status",
            tooltip="Filter by status: active, open, pending, snoozed, resolved, any",
        ),
        Binding("c", "cycle_channel", "Channel", id="inbox.channel", tooltip="Filter by channel"),
        Binding("t", "pick_tag", "Tag", id="inbox.tag", tooltip="Filter by tag"),
        Binding(
            "o",
            "toggle_sort",
            "Sort",
            id="inbox.sort",
            tooltip="Sort: oldest waiting first or newest first",
        ),
        Binding(
            "R",
            "refresh",
            "Refresh",
            show=False,
            id="inbox.refresh",
            tooltip="Refresh the inbox list",
        ),
        Binding(
            "space",
            "mark",
            "Mark",
            show=False,
            id="inbox.mark",
            tooltip="Mark the conversation for a bulk change",
        ),
        Binding(
            "asterisk",
            "mark_all",
            "Mark all",
            show=False,
            id="inbox.mark_all",
            tooltip="Mark every conversation of the view (again: clear the marks)",
        ),
        Binding(
            "x",
            "bulk_resolve",
            "Resolve",
            show=False,
            id="inbox.resolve",
            tooltip="Resolve the marked conversations",
        ),
        Binding(
            "A",
            "bulk_assign",
            "Assign",
            show=False,
            id="inbox.assign",
            tooltip="Assign the marked conversations",
        ),
        Binding(
            "number_sign",
            "bulk_tags",
            "Tags",
            show=False,
            id="inbox.tags",
            tooltip="Tag the marked conversations",
        ),
        Binding(
            "z",
            "bulk_snooze",
            "Snooze",
            show=False,
            id="inbox.snooze",
            tooltip="Snooze the marked conversations until a time",
        ),
        Binding(
            "M",
            "macro",
            "Macro",
            show=False,
            id="inbox.macro",
            tooltip="Apply a macro to the marked conversations",
        ),
        Binding(
            "up",
            "recall(-1)",
            "Earlier search",
            show=False,
            id="inbox.search_earlier",
            tooltip="Earlier search (in the search box)",
        ),
        Binding(
            "down",
            "recall(1)",
            "Later search",
            show=False,
            id="inbox.search_later",
            tooltip="Later search (in the search box)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = InboxFilter()
        self.search_text = ""
        self.search_more = False
        self.view_name: str | None = None  # the saved view shown, until a filter changes
        self.searches: list[str] = []  # this session's searches, oldest first
        self.recalled = 0  # how far back ↑ has gone in ``searches``
        self._resumed = False  # shown before: a resume re-reads the list
        self._row_reads = ReadOrder()  # reads of changed rows, in workers

    def _query_source(self) -> QuerySource:
        """The inbox under the current filters, as this agent sees it (their drafts)."""
        return QuerySource(self.desk.store, self.filters, self.desk.agent.name)

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        yield Static(id="inbox-views")
        yield Input(
            placeholder="search this view: words, from: channel: status: tag: agent:, -word or"
            " -tag:x excludes  (Esc clears)",
            id="search",
        )
        yield Static(id="inbox-columns")
        yield InboxList(
            self._query_source(),
            self.desk.config.sla_for,
            lambda conversation_id: self.desk.others.get(conversation_id, ()),
            id="inbox-list",
        )
        yield Static(id="inbox-status")
        yield KeyBar()

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    def on_mount(self) -> None:
        self.filters.me = self.desk.config.agent_name
        self.query_one("#search").display = False
        self.query_one("#inbox-views").display = bool(self.desk.config.views)
        self.refresh_list()
        self.set_focus(self.inbox)
        self.set_interval(30, self.inbox.refresh)  # waiting times age on screen
        self.desk.desk_changed.subscribe(self, lambda _conversation: self.refresh_list())
        self.desk.live_changed.subscribe(self, self.refresh_rows)
        self.desk.presence_changed.subscribe(self, lambda _ids: self.inbox.refresh())
        self.desk.channels_changed.subscribe(self, lambda _state: self.update_title())
        self.update_title()

    def on_screen_resume(self) -> None:
        """Back from a conversation (or stats): re-read the list. The first resume, at
        start, comes with on_mount's read (on a large desk each read is a page query)."""
        if self._resumed:
            self.refresh_list()
        self._resumed = True

    def on_resize(self) -> None:
        width = self.inbox.scrollable_content_region.width
        # One line high: a new header never moves anything (no second layout at start).
        self.query_one("#inbox-columns", Static).update(self.inbox.header(width), layout=False)

    # ---- list source ----------------------------------------------------------------------
    def refresh_list(self, to_top: bool = False) -> None:
        """Re-run the current filter or search, keeping the cursor on the same conversation
        (``to_top``: on the first row). A search runs in a worker (full-text matching and
        exclusions take up to a few hundred ms on a large desk); its list replaces the
        shown one when it is done, unless the search or the filters changed meanwhile."""
        current = self.inbox.current
        keep = None if to_top or current is None else current.id
        if self.search_text:
            self.run_search_query(self.search_text, replace(self.filters), keep)
        else:
            self.inbox.set_source(self._query_source(), keep)
            if to_top:
                self.inbox.cursor = 0
            self.update_title()
        if self.desk.config.views:
            self.count_views(self.desk.config.views)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox-search")
    def run_search_query(self, text: str, filters: InboxFilter, keep: int | None) -> None:
        ids, more = self.desk.store.inbox.search(SearchQuery.parse(text), filters)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._found, text, filters, ids, more, keep)

    def _found(
        self, text: str, filters: InboxFilter, ids: list[int], more: bool, keep: int | None
    ) -> None:
        if text != self.search_text or filters != self.filters:
            return  # a newer search or filter is on its way
        self.search_more = more
        self.inbox.set_source(IdSource(self.desk.store, ids, self.desk.agent.name), keep)
        if keep is None:
            self.inbox.cursor = 0
        self.update_title()

    def refresh_rows(self, conversation_ids: frozenset[int]) -> None:
        """Other desks changed these conversations: read their rows and places off the UI
        thread, then show them (never the whole list again; the cursor stays put)."""
        current = self.inbox.current
        self._read_rows(
            self.inbox.source,
            conversation_ids,
            current.id if current else None,
            self._row_reads.begin(),
        )

    @work(thread=True, exit_on_error=False, group="inbox-live")
    def _read_rows(
        self, source: RowSource, conversation_ids: frozenset[int], current: int | None, number: int
    ) -> None:
        change = read_changes(source, conversation_ids, current)
        self.app.call_from_thread(self._rows_changed, change, number)

    def _rows_changed(self, change: RowChange, number: int) -> None:
        """Show a read of changed rows; one that ends after a later read was shown may
        hold rows older than those (reads in workers end in either order): its rows are
        read again instead."""
        if not self._row_reads.current(number):
            self.refresh_rows(frozenset(change.positions))
            return
        self.inbox.apply_changes(change)
        self.update_title()

    # ---- marks and bulk changes -------------------------------------------------------
    MARK_ALL_LIMIT = 5000

    def action_mark(self) -> None:
        """``space``: mark the row (bulk changes apply to the marked rows)."""
        self.inbox.toggle_mark()
        self.update_title()

    def action_mark_all(self) -> None:
        """``*``: mark every conversation of the view, or clear the marks if all are."""
        if self.inbox.marked and len(self.inbox.marked) >= self.inbox.total:
            self.inbox.set_marks(set())
        elif self.inbox.total > self.MARK_ALL_LIMIT:
            self.notify(
                f"{self.inbox.total} conversations: narrow the view to at most "
                f"{self.MARK_ALL_LIMIT} to mark them all.",
                severity="warning",
            )
            return
        else:
            self._mark_view()
            return
        self.update_title()

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox-marks")
    def _mark_view(self) -> None:
        """Read every id of the view (page by page) off the UI thread, then mark them."""
        ids = set(self.inbox.all_ids())
        self.app.call_from_thread(self._marked, ids)

    def _marked(self, ids: set[int]) -> None:
        self.inbox.set_marks(ids)
        self.update_title()

    def _targets(self) -> list[int]:
        """The marked conversations, else the one under the cursor."""
        if self.inbox.marked:
            return sorted(self.inbox.marked)
        row = self.inbox.current
        return [row.id] if row is not None else []

    def _bulk(self, done: str, change: Callable[[int], bool]) -> None:
        ids = self._targets()
        if ids:
            self.run_bulk(ids, done, change)

    @work(thread=True, exit_on_error=False, group="inbox-bulk")
    def run_bulk(self, ids: list[int], done: str, change: Callable[[int], bool]) -> None:
        """Apply ``change`` to ``ids`` off the UI thread, then say what changed."""
        outcome = on_each(ids, change)
        self.app.call_from_thread(self._bulk_done, outcome.summary(done), bool(outcome.problems))

    def _bulk_done(self, summary: str, problems: bool) -> None:
        self.inbox.set_marks(set())
        self.refresh_list()
        self.notify(summary, severity="warning" if problems else "information")

    def action_bulk_resolve(self) -> None:
        """``x``: resolve the marked conversations (or the one under the cursor)."""
        me = self.desk.config.agent_name

        def resolve(cid: int) -> bool:
            changed = self.desk.store.conversations.set_status(cid, Status.RESOLVED, me)
            if changed:
                self.desk.resolved(cid)
            return changed

        self._bulk("Resolved", resolve)

    def action_bulk_assign(self) -> None:
        """``A``: assign the marked conversations to an agent (or unassign them)."""
        choices = assignee_choices(self.desk.store.agents.all())
        me = self.desk.config.agent_name

        def chosen(name: str | None) -> None:
            if name is not None:
                self._bulk(
                    f"Assigned to {name}:" if name else "Unassigned",
                    lambda cid: self.desk.store.conversations.assign(cid, name or None, me),
                )

        self.app.push_screen(ChoiceScreen(f"Assign {self._what()} to", choices), chosen)

    def action_bulk_tags(self) -> None:
        """``#``: add tags to the marked conversations (``-tag`` removes one)."""
        me = self.desk.config.agent_name

        def chosen(value: str | None) -> None:
            add, remove = tag_changes((value or "").split())
            if not add and not remove:
                return

            def change(cid: int) -> bool:
                changed = False
                for tag in remove:
                    changed |= self.desk.store.conversations.set_tag(cid, tag, False, me)
                for tag in add:
                    changed |= self.desk.store.conversations.set_tag(cid, tag, True, me)
                return changed

            self._bulk("Tags changed on", change)

        self.app.push_screen(
            PromptScreen(f"Tags for {self._what()} (-tag removes one)", "vip -urgent"), chosen
        )

    def action_bulk_snooze(self) -> None:
        """``z``: snooze the marked conversations until a time you type."""
        me = self.desk.config.agent_name

        def chosen(text: str | None) -> None:
            if not text:
                return
            try:
                until = clock.to_iso(clock.parse_later(text))
            except ValueError as error:
                self.notify(f"Not snoozed: {error}", severity="warning")
                return
            self._bulk(
                "Snoozed",
                lambda cid: self.desk.store.conversations.set_status(
                    cid, Status.SNOOZED, me, until=until
                ),
            )

        self.app.push_screen(
            PromptScreen(f"Snooze {self._what()} until", "3d, 17:30, mon 9:00, 2026-12-24 08:00"),
            chosen,
        )

    def action_macro(self) -> None:
        """``M``: apply a macro (``[[macros]]``) to the marked conversations; a canned reply
        in it becomes each one's reply draft, never sent without the agent."""
        names = [macro.name for macro in self.desk.config.macros]
        if not names:
            self.notify("No macros: define [[macros]] in the config.", severity="warning")
            return
        self.app.push_screen(
            ChoiceScreen(f"Macro for {self._what()}", [(n, n) for n in names]), self.use_macro
        )

    def use_macro(self, name: str | None) -> None:
        """Apply the macro ``name`` to the marked conversations (the palette's
        "Macro: NAME", or the one chosen after ``M``)."""
        macro = next((m for m in self.desk.config.macros if m.name == name), None)
        if macro is None:
            return
        agent = self.desk.agent

        def apply(cid: int) -> bool:
            changed = draft_macro(self.desk.store, cid, macro, agent)
            if changed and macro.status == Status.RESOLVED:
                self.desk.resolved(cid)
            return changed

        self._bulk(f"Macro {macro.name!r} applied to", apply)

    def _what(self) -> str:
        marked = len(self.inbox.marked)
        return count_of(marked, "marked conversation") if marked else "this conversation"

    # ---- saved views ----------------------------------------------------------------------
    def on_inbox_list_count_unused(self, event: InboxList.CountUnused) -> None:
        """A digit with no motion after it: ``1``-``9`` are the saved views."""
        if 1 <= event.number <= 9:
            self.action_saved_view(event.number - 1)

    def action_saved_view(self, index: int) -> None:
        """``1``-``9``: the saved view in that place of ``[[views]]``."""
        views = self.desk.config.views
        if index >= len(views):
            self.notify(
                f"No view {index + 1}: define [[views]] in the config, or save one "
                "(palette: Save view as…).",
                severity="warning",
            )
            return
        view = views[index]
        self.filters = view.filters(self.desk.config.agent_name)
        self.search_text = view.search
        self.view_name = view.name
        self.refresh_list()

    def action_save_view(self) -> None:
        """Ask for a name, then save the current filters, search and sort as a view."""

        def save(name: str | None) -> None:
            name = (name or "").strip()
            if not name:
                return
            f = self.filters
            view = SavedView(name, f.view, f.status, f.channel, f.tag, f.sort, self.search_text)
            try:
                path = save_view(self.desk.config, view)
            except ConfigError as error:
                self.notify(f"View not saved: {error}", severity="error")
                return
            number = len(self.desk.config.views)
            self.notify(f"View {number} {name!r} saved to {path}.")
            self.query_one("#inbox-views").display = True
            self.view_name = name
            self.refresh_list()

        self.app.push_screen(PromptScreen("Save this inbox as the view named"), save)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox-views")
    def count_views(self, views: tuple[SavedView, ...]) -> None:
        """How many conversations each saved view holds (off the UI thread)."""
        store, me = self.desk.store, self.desk.config.agent_name
        counts = [
            len(store.inbox.search(SearchQuery.parse(view.search), view.filters(me))[0])
            if view.search
            else store.inbox.count(view.filters(me))
            for view in views
        ]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_views, views, counts)

    def show_views(self, views: tuple[SavedView, ...], counts: list[int]) -> None:
        line = Text()
        for number, (view, count) in enumerate(zip(views, counts, strict=True), start=1):
            label = Text.assemble((f"{number}", "bold"), f" {one_line(view.name, 30)} ({count})")
            if view.name == self.view_name:
                label.stylize("reverse")
            line.append_text(label)
            line.append("   ")
        self.query_one("#inbox-views", Static).update(line)

    def update_title(self) -> None:
        """The header says what the list shows: the view, every filter applied (a search
        runs within them), the sort and the count."""
        f = SearchQuery.parse(self.search_text).within(self.filters)
        parts = [VIEW_LABELS[f.view], f"status: {f.status}", f"channel: {f.channel or 'all'}"]
        if self.view_name:
            parts.insert(0, f"view: {one_line(self.view_name, 30)}")
        if f.tag:
            parts.append(f"tag: {f.tag}")
        parts.append("oldest waiting first" if f.sort == "waiting" else "newest first")
        found = count_of(self.inbox.total, "conversation")
        if self.search_text and self.search_more:
            found = f"{self.inbox.total} of >{SEARCH_LIMIT} conversations"
        title = Text.assemble(("Search " if self.search_text else "Inbox ", "bold"))
        if self.search_text:
            title.append_text(Text.assemble((one_line(self.search_text, 60), "italic"), " in "))
        title.append_text(Text.assemble(" · ".join(parts), f"  ·  {found}"))
        if self.inbox.marked:
            title.append(f"   {len(self.inbox.marked)} marked", style="bold magenta")
        states = self.desk.channel_states()
        if states:
            title.append("   " + " · ".join(states), style="yellow")
        self.query_one("#inbox-title", Static).update(title, layout=False)  # one line high

    # ---- actions --------------------------------------------------------------------------
    def action_search(self) -> None:
        """``/``: the search box, holding the search shown (a saved view's too), to edit."""
        search = self.query_one("#search", Input)
        if not search.display:
            search.value = self.search_text
            search.cursor_position = len(search.value)
        search.display = True
        self.set_focus(search)

    @on(Input.Submitted, "#search")
    def run_search(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        query = SearchQuery.parse(text)
        if query.channel or query.tag or query.agent:  # the names to check are in the store
            self._check_search(text)
        else:
            self.workers.cancel_group(self, "inbox-search-check")
            self._search_checked(text, list(query.problems))

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox-search-check")
    def _check_search(self, text: str) -> None:
        """Read the channels, tags or agents the search names off the UI thread."""
        try:
            problems = self._search_problems(text)
        except DATABASE_ERRORS:  # the search itself says what went wrong
            problems = []
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._search_checked, text, problems)

    def _search_checked(self, text: str, problems: list[str]) -> None:
        """Search for ``text``, or (a term that can match nothing) say why, keeping the box
        open with the text to correct it."""
        search = self.query_one("#search", Input)
        if not search.display or search.value.strip() != text:
            return  # checked in a worker, and the agent changed or closed the box meanwhile
        if problems:
            self.notify(f"Search: {problems[0]}", severity="warning")
            return
        if text and (not self.searches or self.searches[-1] != text):
            self.searches.append(text)
        self.recalled = 0
        self.search_text = text
        if not self.search_text:
            search.display = False
        self._filters_changed(to_top=True)
        self.set_focus(self.inbox)

    def _search_problems(self, text: str) -> list[str]:
        """Terms that can match nothing, one line each: an empty ``tag:``, an unknown status,
        a channel this desk has no conversation on, a tag no conversation has, an agent
        nobody is."""
        query = SearchQuery.parse(text)
        store = self.desk.store
        channels = store.conversations.channels() if query.channel else []
        unknown = [c for c in query.channel if c.lower() not in channels]
        tags = store.conversations.tags() if query.tag else []
        untagged = [t for t in query.tag if t.lower() not in tags]
        agents = store.agents.all() if query.agent else []
        nobody = [
            a
            for a in query.agent
            if a.lower() not in ("none", "unassigned")
            and not any(a == x.name or a.lower() in x.display_name.lower() for x in agents)
        ]
        return [
            *query.problems,
            *(f"no conversations on channel {c!r} ({', '.join(channels)})" for c in unknown),
            *(
                f"no conversation has the tag {t!r} ({one_line(' '.join(tags), 60) or 'none yet'})"
                for t in untagged
            ),
            *(f"no agent {a!r} ({', '.join(x.name for x in agents)}, none)" for a in nobody),
        ]

    def action_recall(self, step: int) -> None:
        """``↑``/``↓`` in the search box: an earlier or later search of this session."""
        search = self.query_one("#search", Input)
        if self.focused is not search or not self.searches:
            return
        self.recalled = max(0, min(len(self.searches), self.recalled - step))
        search.value = self.searches[-self.recalled] if self.recalled else ""
        search.cursor_position = len(search.value)

    def action_clear_search(self) -> None:
        self.workers.cancel_group(self, "inbox-search-check")  # a search submitted before
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        if self.search_text:
            self.search_text = ""
            self._filters_changed()
        self.set_focus(self.inbox)

    def action_cycle_view(self) -> None:
        self.filters.view = VIEWS[(VIEWS.index(self.filters.view) + 1) % len(VIEWS)]
        self._filters_changed()

    def action_cycle_status(self) -> None:
        self.filters.status = STATUSES[(STATUSES.index(self.filters.status) + 1) % len(STATUSES)]
        self._filters_changed()

    def action_cycle_channel(self) -> None:
        options: list[str | None] = [None, *self.desk.store.conversations.channels()]
        index = options.index(self.filters.channel) if self.filters.channel in options else 0
        self.filters.channel = options[(index + 1) % len(options)]
        self._filters_changed()

    def action_pick_tag(self) -> None:
        choices = [("", "(any tag)")] + [
            (tag, f"#{tag}") for tag in self.desk.store.conversations.tags()
        ]

        def chosen(tag: str | None) -> None:
            if tag is not None:
                self.filters.tag = tag or None
                self._filters_changed()

        self.app.push_screen(ChoiceScreen("Filter by tag", choices), chosen)

    def action_toggle_sort(self) -> None:
        self.filters.sort = "newest" if self.filters.sort == "waiting" else "waiting"
        self._filters_changed()

    def action_refresh(self) -> None:
        self.refresh_list()

    def _filters_changed(self, to_top: bool = False) -> None:
        """A filter, the sort or the search changed: the list is no saved view any more."""
        self.view_name = None
        self.refresh_list(to_top)

    # ---- list events ----------------------------------------------------------------------
    def action_open(self) -> None:
        """Enter: open the conversation under the cursor."""
        if (row := self.inbox.current) is not None:
            self.desk.open_conversation(row.id, step=self.step)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter in the search field runs the search."""
        return action != "open" or self.focused is self.inbox

    def on_inbox_list_opened(self, event: InboxList.Opened) -> None:
        self.desk.open_conversation(event.row.id, step=self.step)

    def on_inbox_list_moved(self, event: InboxList.Moved) -> None:
        status = f" {event.index + 1 if event.total else 0}/{event.total}"
        # One line of fixed size: no layout (j/k move this cursor under the conversation).
        self.query_one("#inbox-status", Static).update(Text(status, style="dim"), layout=False)

    def step(self, delta: int) -> int | None:
        """Move the inbox cursor (for j/k inside a conversation); the new row's id."""
        before = self.inbox.cursor
        row = self.inbox.move(delta)
        return row.id if row is not None and self.inbox.cursor != before else None
