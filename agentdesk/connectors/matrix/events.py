"""Matrix room events as agentdesk messages (pure functions, no I/O).

Event content comes from other people's clients and bridges: every field is
checked for its type and anything odd becomes plain, visible text, never an error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agentdesk import clock
from agentdesk.domain import Attachment, Inbound
from agentdesk.text import html_to_text

CHANNEL = "chat"
MESSAGE = "m.room.message"
MEMBER = "m.room.member"
ENCRYPTED = "m.room.encrypted"
ROOM_NAME = "m.room.name"
CREATE = "m.room.create"
REACTION = "m.reaction"

_FILE_TYPES = {"m.image": "image", "m.file": "file", "m.video": "video", "m.audio": "audio"}


def text_of(value: Any) -> str:
    """``value`` if it is a string, else empty (content is untrusted)."""
    return value if isinstance(value, str) else ""


def object_of(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else empty (content is untrusted)."""
    return value if isinstance(value, dict) else {}


def event_time(event: dict) -> str:
    """The event's ``origin_server_ts`` as stored ISO text.

    Now when it is missing or in the future (a sending server's clock is not to be
    trusted to sort the inbox).
    """
    stamp = event.get("origin_server_ts")
    if isinstance(stamp, int) and not isinstance(stamp, bool) and stamp > 0:
        try:
            return clock.to_iso(min(datetime.fromtimestamp(stamp / 1000, UTC), clock.now()))
        except (OverflowError, OSError, ValueError):
            pass
    return clock.now_iso()


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> <@user> quoted text`` block a Matrix reply starts with."""
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index and index < len(lines) and lines[index] == "":
        return "\n".join(lines[index + 1 :])
    return body


def message_parts(content: dict) -> tuple[str, str | None, tuple[Attachment, ...], bool]:
    """``(text, html, attachments, auto)`` for an ``m.room.message`` content."""
    relates = content.get("m.relates_to")
    edited = isinstance(relates, dict) and relates.get("rel_type") == "m.replace"
    if edited and isinstance(content.get("m.new_content"), dict):
        content = content["m.new_content"]
    msgtype = text_of(content.get("msgtype"))
    body = text_of(content.get("body"))
    html = None
    if text_of(content.get("format")) == "org.matrix.custom.html":
        html = text_of(content.get("formatted_body")) or None
    if isinstance(relates, dict) and isinstance(relates.get("m.in_reply_to"), dict):
        body = strip_reply_fallback(body)
    if not body.strip() and html:
        body = html_to_text(html)
    attachments: tuple[Attachment, ...] = ()
    if msgtype in _FILE_TYPES:
        info = object_of(content.get("info"))
        filename = text_of(content.get("filename")) or body or _FILE_TYPES[msgtype]
        size = info.get("size")
        size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0
        attachments = (
            Attachment(filename, size, text_of(info.get("mimetype")) or "application/octet-stream"),
        )
        caption = body if body and body != filename else ""
        body = f"[{_FILE_TYPES[msgtype]}: {filename}]" + (f"\n{caption}" if caption else "")
    elif msgtype == "m.location":
        body = f"[location: {body}] {text_of(content.get('geo_uri'))}".strip()
    elif msgtype == "m.emote":
        body = f"* {body}"
    if edited:
        body = f"(edited) {body}"
    return body, html, attachments, msgtype == "m.notice"


def inbound(event: dict, room_id: str, name: str, subject: str) -> Inbound | None:
    """A customer's message event as an ``Inbound``; None for events that are not messages.

    A reaction (``m.annotation``) is one too, its key the text, naming the event it
    reacts to (``reaction_to``): the desk keeps it only as the rating of a survey.
    """
    kind = event.get("type")
    event_id, sender = text_of(event.get("event_id")), text_of(event.get("sender"))
    if not event_id or not sender:
        return None
    content = object_of(event.get("content"))
    reaction_to = None
    if kind == MESSAGE:
        if not content:  # redacted
            return None
        text, html, attachments, auto = message_parts(content)
    elif kind == REACTION:
        relates = object_of(content.get("m.relates_to"))
        reaction_to = text_of(relates.get("event_id"))
        text, html, attachments, auto = text_of(relates.get("key")), None, (), False
        if relates.get("rel_type") != "m.annotation" or not reaction_to or not text.strip():
            return None
    elif kind == ENCRYPTED:
        text, html, attachments, auto = (
            "[encrypted message: agentdesk cannot read end-to-end encrypted rooms]",
            None,
            (),
            False,
        )
    else:
        return None
    return Inbound(
        channel=CHANNEL,
        address=sender,
        name=name,
        text=text,
        html=html,
        at=event_time(event),
        subject=subject,
        ext_id=event_id,
        thread_key=room_id,
        auto=auto,
        attachments=attachments,
        reaction_to=reaction_to,
    )


def departure(
    event: dict, room_id: str, me: str, names: dict[str, str], customer: str
) -> Inbound | None:
    """A membership event that ends someone's presence in the room, as an auto note.

    The note is filed under ``customer`` (the conversation's customer) and names who
    left. Returns None for joins, invites and events that are not membership changes.
    """
    if event.get("type") != MEMBER:
        return None
    content = object_of(event.get("content"))
    membership = text_of(content.get("membership"))
    target, sender = text_of(event.get("state_key")), text_of(event.get("sender"))
    event_id = text_of(event.get("event_id"))
    if membership not in ("leave", "ban") or not target or not event_id:
        return None
    who = "The desk" if target == me else names.get(target) or target
    if membership == "ban":
        what = f"{who} was banned from the room"
    elif sender and sender != target:
        what = f"{who} was removed from the room by {names.get(sender) or sender}"
    else:
        what = f"{who} left the room"
    reason = text_of(content.get("reason"))
    if reason:
        what += f" ({reason})"
    return Inbound(
        channel=CHANNEL,
        address=customer,
        text=what,
        at=event_time(event),
        ext_id=event_id,
        thread_key=room_id,
        auto=True,
    )
