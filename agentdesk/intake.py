"""Checking what a connector yields before the store sees it.

A connector is plugin code: one malformed message must be skipped with a reason, never
stored (a bad time would break every later start) and never stop the channel.
"""

from __future__ import annotations

import dataclasses

from agentdesk import clock
from agentdesk.domain import Attachment, Inbound


class InvalidInbound(ValueError):
    """A yielded message the desk cannot store; the message says why, in one line."""


_TEXT_FIELDS = ("text", "name", "subject")
_OPTIONAL_TEXT_FIELDS = (
    "html",
    "ext_id",
    "thread_key",
    "message_id_header",
    "in_reply_to",
    "reaction_to",
)


def checked_inbound(item: object, channels: tuple[str, ...]) -> Inbound:
    """``item`` as the store expects it, with ``at`` normalised to UTC ISO.

    Raises ``InvalidInbound`` for anything else: not an ``Inbound``, a channel the
    connector did not declare, an empty address, no text (nor HTML or attachments),
    a time that is not ISO-8601 with a time zone, or a field of the wrong type.
    """
    if not isinstance(item, Inbound):
        raise InvalidInbound(f"not an Inbound: got {type(item).__name__}")
    if item.channel not in channels:
        raise InvalidInbound(f"channel {item.channel!r} is not one of {', '.join(channels)}")
    if not isinstance(item.address, str) or not item.address.strip():
        raise InvalidInbound(f"address: expected a non-empty string, got {item.address!r}")
    for name in _TEXT_FIELDS:
        _expect(item, name, str)
    for name in _OPTIONAL_TEXT_FIELDS:
        _expect(item, name, (str, type(None)))
    _expect(item, "auto", (bool, int))
    references = _sequence_of(item, "references", str)
    attachments = _sequence_of(item, "attachments", Attachment)
    for attachment in attachments:
        if not (
            isinstance(attachment.filename, str)
            and isinstance(attachment.size, int)
            and isinstance(attachment.content_type, str)
            and isinstance(attachment.data, (bytes, type(None)))
        ):
            raise InvalidInbound(
                f"attachment {attachment.filename!r:.60}: a field of the wrong type"
            )
    if not item.text.strip() and not item.html and not attachments:
        raise InvalidInbound("no text, HTML or attachments")
    return dataclasses.replace(
        item, at=_utc_iso(item.at), references=references, attachments=attachments
    )


def _expect(item: Inbound, name: str, kind: type | tuple[type, ...]) -> None:
    value = getattr(item, name)
    if not isinstance(value, kind):
        raise InvalidInbound(f"{name}: wrong type {type(value).__name__} ({value!r:.60})")


def _sequence_of(item: Inbound, name: str, kind: type) -> tuple:
    value = getattr(item, name)
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, kind) for v in value):
        raise InvalidInbound(f"{name}: expected a tuple of {kind.__name__}, got {value!r:.60}")
    return tuple(value)


def _utc_iso(at: object) -> str:
    if not isinstance(at, str):
        raise InvalidInbound(f"at: expected ISO-8601 text, got {type(at).__name__}")
    try:
        return clock.to_iso(clock.parse_iso(at, naive_is_utc=False))
    except ValueError:
        raise InvalidInbound(f"at: {at!r:.60} is not an ISO-8601 time with a time zone") from None
