"""One ``/sync`` batch as customer messages: gaps filled, invites accepted, names known.

A timeline the homeserver cut short (``limited``) is completed from ``/messages``,
paging back from the room's ``prev_batch`` to the previous sync token, so a desk
that was offline for a while still gets every message in order. For a room the
desk has just joined it pages back to the room's start instead: what the customer
wrote before the desk joined belongs to the conversation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from agentdesk.connectors.matrix import events
from agentdesk.connectors.matrix.client import MatrixClient, MatrixHTTPError
from agentdesk.domain import Inbound

if TYPE_CHECKING:
    from agentdesk.store import Store

log = logging.getLogger(__name__)

TIMELINE_TYPES = [
    events.MESSAGE,
    events.MEMBER,
    events.ENCRYPTED,
    events.ROOM_NAME,
    events.CREATE,
    events.REACTION,  # kept only as a survey's rating (Inbound.reaction_to)
]
HISTORY_PAGES = 20  # at most this many /messages pages (100 events each) per room and gap
GAPS_AT_ONCE = 8  # rooms whose gaps are fetched at the same time


def sync_filter(timeline_limit: int) -> str:
    """Only what the desk shows: room messages, memberships, names; no presence or typing."""
    members = {"lazy_load_members": True, "include_redundant_members": True}
    return json.dumps(
        {
            "presence": {"types": []},
            "account_data": {"types": []},
            "room": {
                "account_data": {"types": []},
                "ephemeral": {"types": []},
                "state": {"types": [events.MEMBER, events.ROOM_NAME], **members},
                "timeline": {"types": TIMELINE_TYPES, "limit": timeline_limit, **members},
            },
        },
        separators=(",", ":"),
    )


class SyncReader:
    """Reads sync batches for one account; remembers display names and room names."""

    def __init__(self, user_id: str, store: Store, timeline_limit: int, auto_join: bool) -> None:
        self.user_id, self.store = user_id, store
        self.filter = sync_filter(timeline_limit)
        self.auto_join = auto_join
        self.names: dict[str, dict[str, str]] = {}  # room -> user -> display name
        self.room_names: dict[str, str] = {}

    async def batch(
        self, client: MatrixClient, since: str | None, timeout: float
    ) -> tuple[str, list[Inbound]]:
        """One sync after ``since``: returns ``(next_batch, messages in order)``."""
        data = await client.sync(since, self.filter, timeout)
        token = data.get("next_batch")
        if not isinstance(token, str):
            raise MatrixHTTPError(502, "", "sync answered without next_batch")
        rooms = events.object_of(data.get("rooms"))
        gaps = asyncio.Semaphore(GAPS_AT_ONCE)
        per_room = await asyncio.gather(
            *(
                self._room(client, room_id, events.object_of(room), since, gaps)
                for section in ("join", "leave")
                for room_id, room in events.object_of(rooms.get(section)).items()
            )
        )
        messages = [message for room_messages in per_room for message in room_messages]
        if self.auto_join:
            for room_id in events.object_of(rooms.get("invite")):
                await self._accept(client, room_id)
        return token, messages

    async def _room(
        self,
        client: MatrixClient,
        room_id: str,
        room: dict,
        since: str | None,
        gaps: asyncio.Semaphore,
    ) -> list[Inbound]:
        """One room's new messages, its gap (if any) filled first."""
        self._learn(room_id, events.object_of(room.get("state")).get("events") or [])
        timeline = events.object_of(room.get("timeline"))
        timeline_events = [e for e in timeline.get("events") or [] if isinstance(e, dict)]
        start = timeline.get("prev_batch")
        if timeline.get("limited") and since and isinstance(start, str):
            # A room the desk just joined: what customers wrote before the join counts
            # too, so page back to the room's start, not only to the last sync.
            end = None if self._joined_in(timeline_events) else since
            # A room comes "limited" even when its whole history (from m.room.create on)
            # is in the timeline, or when nothing lies between the tokens.
            whole = any(event.get("type") == events.CREATE for event in timeline_events)
            if not whole and start != end:
                async with gaps:
                    timeline_events = (
                        await self._history(client, room_id, start, end) + timeline_events
                    )
        return self._convert(room_id, timeline_events)

    def _joined_in(self, timeline: list[dict]) -> bool:
        return any(
            event.get("type") == events.MEMBER
            and event.get("state_key") == self.user_id
            and events.object_of(event.get("content")).get("membership") == "join"
            for event in timeline
        )

    async def _history(
        self, client: MatrixClient, room_id: str, start: str, end: str | None
    ) -> list[dict]:
        """Events from ``start`` back to ``end`` (None: the room's start), oldest first."""
        older: list[dict] = []
        history_filter = json.dumps({"types": TIMELINE_TYPES, "lazy_load_members": True})
        for _ in range(HISTORY_PAGES):
            page = await client.messages(room_id, start=start, end=end, filter_json=history_filter)
            chunk = [e for e in page.get("chunk") or [] if isinstance(e, dict)]
            self._learn(room_id, page.get("state") or [])
            older += chunk
            page_end = page.get("end")
            if not chunk or not isinstance(page_end, str):
                break
            start = page_end
        else:
            log.warning(
                "matrix: %s: more than %d pages to fill; older messages skipped",
                room_id,
                HISTORY_PAGES,
            )
        return list(reversed(older))

    def _learn(self, room_id: str, state_events: list) -> None:
        for event in state_events:
            if isinstance(event, dict):
                self._note_state(room_id, event)

    def _note_state(self, room_id: str, event: dict) -> None:
        """Remember a display name or the room name."""
        content = events.object_of(event.get("content"))
        if event.get("type") == events.MEMBER:
            user, name = events.text_of(event.get("state_key")), content.get("displayname")
            if user and isinstance(name, str) and name.strip():
                self.names.setdefault(room_id, {})[user] = name
        elif event.get("type") == events.ROOM_NAME:
            self.room_names[room_id] = events.text_of(content.get("name"))

    def _convert(self, room_id: str, timeline: list[dict]) -> list[Inbound]:
        """Customer messages and departures of one room's timeline, in order.

        The desk's own messages are skipped. A departure is noted only in a room that
        is (or in this batch becomes) a conversation.
        """
        messages: list[Inbound] = []
        for event in timeline:
            if "state_key" in event:
                self._note_state(room_id, event)
            names = self.names.get(room_id, {})
            if event.get("type") == events.MEMBER:
                customer = (
                    messages[0].address
                    if messages
                    else self.store.conversations.customer_address(room_id)
                )
                note = customer and events.departure(event, room_id, self.user_id, names, customer)
                if note:
                    messages.append(note)
            elif events.text_of(event.get("sender")) != self.user_id:
                message = events.inbound(
                    event,
                    room_id,
                    names.get(events.text_of(event.get("sender")), ""),
                    self.room_names.get(room_id, ""),
                )
                if message:
                    messages.append(message)
        return messages

    async def _accept(self, client: MatrixClient, room_id: str) -> None:
        """Join a room the desk was invited to; a refused join is logged and skipped."""
        try:
            await client.join(room_id)
        except MatrixHTTPError as error:
            if error.temporary:
                raise
            log.warning("matrix: could not join %s: %s", room_id, error)
