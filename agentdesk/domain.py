"""Domain types shared by the store, connectors, the CLI and the UI (no I/O here)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from agentdesk import clock


class Status(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


class EventKind(StrEnum):
    """Kinds of rows in the append-only ``events`` table (see docs/metrics.md)."""

    CREATED = "created"
    INBOUND = "inbound"
    REPLY = "reply"
    NOTE = "note"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    STATUS = "status"
    VIEWED = "viewed"
    CSAT = "csat"
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    SURVEY_SENT = "survey_sent"
    CES = "ces"
    CUSTOMER_LINKED = "customer_linked"
    CUSTOMER_MERGED = "customer_merged"
    CUSTOMER_TAGS = "customer_tags"
    REWRITE_USED = "rewrite_used"  # an assist rewrite accepted into the composer
    ARTICLE_INSERTED = "article_inserted"  # a KB article (answer or link) put in the composer


# Events that change nothing another desk shows (live updates skip them).
UNSHOWN_EVENTS = frozenset({EventKind.VIEWED, EventKind.REWRITE_USED, EventKind.ARTICLE_INSERTED})


# The tag a rating of ``LOW_RATING`` or less gives its conversation (a lead follows it up).
LOW_CSAT_TAG = "low-csat"
LOW_RATING = 2


WITHDRAWN = "withdrawn"  # a reply's delivery once the agent took it back: nothing sends it
# Why a send did not begin: another live desk of the team is sending that reply.
SENDING_ELSEWHERE = "another desk of the team is sending it"


@dataclass(frozen=True)
class Attachment:
    filename: str
    size: int
    content_type: str = "application/octet-stream"
    data: bytes | None = None


@dataclass(frozen=True)
class Inbound:
    """A customer message handed over by a connector (or the importer)."""

    channel: str
    address: str
    text: str
    at: str  # ISO-8601 UTC
    name: str = ""
    subject: str = ""
    html: str | None = None
    ext_id: str | None = None  # connector's stable id: re-delivery is ignored
    thread_key: str | None = None  # connector's conversation key (room id, import id)
    message_id_header: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto: bool = False
    attachments: tuple[Attachment, ...] = ()
    # A reaction (``text`` is its key, e.g. "👍") to the desk's message with this channel
    # id: stored only when it answers that survey with a rating, else ignored.
    reaction_to: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """An agent's reply as a connector sends it."""

    message_id: int
    conversation_uid: str
    channel: str
    to_address: str
    to_name: str
    subject: str
    text: str
    agent: str
    message_id_header: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    via: str | None = None  # the connector (config name) the conversation came through


@dataclass(frozen=True)
class InboxRow:
    id: int
    uid: str
    channel: str
    customer_name: str
    customer_address: str
    subject: str
    preview: str
    status: str
    assignee: str | None
    tags: tuple[str, ...]
    waiting_since: str | None
    last_message_at: str
    snoozed_until: str | None
    draft: bool = False  # an unsent reply draft is waiting in it


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    direction: str
    author: str
    at: str
    subject: str
    body: str
    has_html: bool
    auto: bool
    delivery: str | None
    attachments: tuple[Attachment, ...] = ()
    attempts: int = 0  # sends tried (agent replies)
    next_attempt_at: str | None = None  # when a ``retry`` reply is tried again
    external_id: str | None = None  # the channel's id for a sent reply
    survey: str = ""  # a survey the desk sent ("csat", "ces"), not an agent's reply

    @property
    def delivery_failed(self) -> bool:
        """A reply its channel refused for good (``failed: …``): only the agent resends it."""
        return (self.delivery or "").startswith("failed")

    @property
    def delivered(self) -> bool:
        """A reply its channel accepted (``sent…``), or one that came with imported history."""
        return self.delivery is None or self.delivery.startswith("sent")


class Rating(Protocol):
    """A customer's answer to a satisfaction survey (``agentdesk.surveys.answers``)."""

    @property
    def rating(self) -> int: ...

    @property
    def comment(self) -> str: ...

    @property
    def asks_something(self) -> bool: ...


@dataclass(frozen=True)
class Identity:
    channel: str
    address: str


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    first_seen: str
    identities: tuple[Identity, ...]
    conversation_count: int
    tags: tuple[str, ...]
    last_contact: str | None = None  # the newest message of any of their conversations

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def primary_address(self) -> str:
        return self.identities[0].address if self.identities else ""


@dataclass(frozen=True)
class Conversation:
    id: int
    uid: str
    channel: str
    customer_id: int
    subject: str
    status: str
    assignee: str | None
    tags: tuple[str, ...]
    created_at: str
    last_message_at: str
    waiting_since: str | None
    snoozed_until: str | None
    snooze_until_reply: bool
    via: str | None = None  # the connector (config name) replies leave through
    key: str = ""  # globally unique (a UUID): the same conversation in any database


@dataclass(frozen=True)
class Claim:
    """What a take or an assign found (a compare-and-set on the assignee).

    ``won``: the conversation was still assigned as the desk expected and now is as asked
    (``changed`` says whether that was a change). Lost: ``holder`` has it now, given by
    ``by`` at ``at`` (its last assignment event), which ``lost_line`` says in one line.
    """

    won: bool
    changed: bool = False
    holder: str | None = None
    by: str | None = None
    at: str | None = None

    def lost_line(self) -> str:
        """``bob took this 2s ago`` (or assigned it to someone, or unassigned it)."""
        waited = clock.since(self.at)
        ago = f" {clock.humanize_duration(waited)} ago" if waited is not None else ""
        who = self.by or "someone"
        if self.holder is None:
            return f"{who} unassigned this{ago}"
        if self.by in (None, self.holder):
            return f"{self.holder} took this{ago}"
        return f"{who} assigned this to {self.holder}{ago}"


@dataclass(frozen=True)
class Presence:
    """A running desk: its agent, the conversation it shows (None: the inbox) and what
    the agent does there (``viewing``, ``replying`` or ``noting``: typing one)."""

    desk: str
    agent: str
    conversation_id: int | None
    activity: str
    seen_at: str
    online_since: str | None = None  # when the desk started (None: before migration 16)
    here_since: str | None = None  # when it came to this conversation (or the inbox)

    @property
    def typing(self) -> bool:
        return self.activity != "viewing"

    def label(self) -> str:
        """``bob viewing``, ``bob typing a reply``, ``bob typing a note``."""
        doing = {"replying": "typing a reply", "noting": "typing a note"}
        return f"{self.agent} {doing.get(self.activity, 'viewing')}"


@dataclass(frozen=True)
class Online:
    """A desk online now, for the lead's view: its presence, and the customer's name and
    the subject of the conversation it shows (both untrusted text; '' in the inbox)."""

    presence: Presence
    customer: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Lease:
    """Who runs connector ``connector`` for the team: desk ``desk``, worked by ``agent``
    (``serve`` for a headless one), until ``expires_at`` unless it renews."""

    connector: str
    desk: str
    agent: str
    expires_at: str


@dataclass(frozen=True)
class Agent:
    name: str
    display_name: str
    email: str = ""


VIEWS = ("all", "mine", "unassigned")
STATUSES = ("active", "open", "pending", "snoozed", "resolved", "any")
SORTS = ("waiting", "newest")


@dataclass
class InboxFilter:
    """What the inbox list shows: a view, optional filters and a sort."""

    view: str = "all"  # mine | unassigned | all
    status: str = "active"  # active (open + pending) | open | pending | snoozed | resolved | any
    channel: str | None = None
    tag: str | None = None
    sort: str = "waiting"  # waiting (oldest-waiting first) | newest
    me: str | None = None
    search: SearchQuery | None = None


@dataclass(frozen=True)
class SavedView:
    """A named inbox: filters, an optional search and a sort (``[[views]]`` in the config)."""

    name: str
    view: str = "all"
    status: str = "active"
    channel: str | None = None
    tag: str | None = None
    sort: str = "waiting"
    search: str = ""

    def filters(self, me: str | None) -> InboxFilter:
        """The inbox filter this view stands for, for the agent ``me``."""
        return InboxFilter(self.view, self.status, self.channel, self.tag, self.sort, me)


# Built in once surveys are on ([csat]): the conversations a lead follows up.
LOW_CSAT_VIEW = SavedView("Low CSAT", status="any", tag=LOW_CSAT_TAG, sort="newest")


def tag_changes(words: Iterable[str]) -> tuple[list[str], list[str]]:
    """Tags as agents type them: ``refund #vip -urgent`` adds refund and vip, removes
    urgent (lower case, ``#`` and ``+`` dropped)."""
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        if word.startswith("-"):
            remove.append(word[1:].lstrip("#").lower())
        else:
            add.append(word.lstrip("+#").lower())
    return [t for t in add if t], [t for t in remove if t]


def edited_tags(have: Iterable[str], typed: str) -> tuple[list[str], list[str]]:
    """What the tag prompt's text changes on the tags ``have`` (the prompt shows them):
    ``(to add, to remove)``. A tag deleted from the text or typed as ``-tag`` goes."""
    add, remove = tag_changes(typed.split())
    wanted, present = set(add), set(have)
    return sorted(wanted - present), sorted((present - wanted) | set(remove))


@dataclass(frozen=True)
class Macro:
    """A named set of actions applied at once (``[[macros]]`` in the config): a status,
    tags to add and remove, an assignee (``""`` unassigns) and a canned reply to draft."""

    name: str
    status: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    assign: str | None = None
    canned: str | None = None


@dataclass
class SearchQuery:
    """A parsed search box: free text plus ``field:value`` terms; a ``-`` before a word
    or term (``-refund``, ``-tag:vip``) excludes what it matches (``exclude``)."""

    text: list[str] = field(default_factory=list)
    from_: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    agent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # terms that cannot match, one line each
    exclude: SearchQuery | None = None  # the ``-`` terms: a conversation matching any is left out

    FIELDS = ("from", "channel", "status", "tag", "agent")

    @classmethod
    def parse(cls, raw: str) -> SearchQuery:
        """Split ``raw`` into terms; quoted phrases stay whole; unknown fields are text."""
        query, excluded = cls(), cls()
        for match in _TERM.finditer(raw):
            into = excluded if match["minus"] else query
            name, value = match["field"], match["quoted"] or match["value"]
            if name and name.lower() in cls.FIELDS:
                if value:
                    getattr(into, "from_" if name.lower() == "from" else name.lower()).append(value)
                else:
                    query.problems.append(
                        f"{match[0]} needs a value, for example"
                        f" {match['minus']}{name.lower()}:{_EXAMPLE[name.lower()]}"
                    )
            elif (word := match["phrase"] or match[0].removeprefix(match["minus"])).strip():
                into.text.append(word)
        statuses = [str(s) for s in Status]
        for value in [*query.status, *excluded.status]:
            if value.lower() not in statuses:
                query.problems.append(f"status:{value} is not a status ({', '.join(statuses)})")
        if excluded.terms():
            query.exclude = excluded
        return query

    def terms(self) -> bool:
        """True when the query has a word or a ``field:value`` term (excluded ones aside)."""
        return any((self.text, self.from_, self.channel, self.status, self.tag, self.agent))

    def within(self, filters: InboxFilter) -> InboxFilter:
        """The inbox filters a search runs under: the view's, except where the query names
        the field itself (``status:``, ``channel:``, ``agent:`` replace the view's status,
        channel and mine/unassigned; ``tag:`` terms add to its tag)."""
        status, channel = filters.status, filters.channel
        if self.status:
            status = self.status[0].lower() if len(self.status) == 1 else "any"
        if self.channel:
            channel = self.channel[0].lower() if len(self.channel) == 1 else None
        return replace(
            filters, status=status, channel=channel, view="all" if self.agent else filters.view
        )


# One search term: an optional ``-``, then ``field:"quoted value"``, ``field:value``,
# a ``"quoted phrase"`` or a bare word.
_TERM = re.compile(
    r'(?P<minus>-?)(?:(?P<field>\w+):(?:"(?P<quoted>[^"]*)"|(?P<value>\S*))'
    r'|"(?P<phrase>[^"]*)"|\S+)'
)
_EXAMPLE = {"from": "ann", "channel": "email", "status": "open", "tag": "billing", "agent": "bob"}

_VARIABLE = re.compile(r"\{(customer|agent|conversation)\.(\w+)\}")


def render_canned(template: str, customer: Customer | None, agent: Agent, subject: str = "") -> str:
    """Fill ``{customer.first_name}``-style variables; unknown ones are left visible."""
    values = {
        ("customer", "first_name"): customer.first_name if customer else "",
        ("customer", "name"): customer.name if customer else "",
        ("customer", "email"): next(
            (i.address for i in customer.identities if i.channel == "email"), ""
        )
        if customer
        else "",
        ("agent", "name"): agent.display_name,
        ("agent", "first_name"): agent.display_name.split()[0] if agent.display_name else "",
        ("agent", "email"): agent.email,
        ("conversation", "subject"): subject,
    }

    def substitute(match: re.Match[str]) -> str:
        key = (match.group(1), match.group(2))
        value = values.get(key)
        return (
            value if value else ("there" if key == ("customer", "first_name") else match.group(0))
        )

    return _VARIABLE.sub(substitute, template)
