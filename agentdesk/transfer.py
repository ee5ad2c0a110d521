"""Import and export of a desk as JSON Lines (the format is in docs/import-format.md).

Import replays each line through the Store API, so it writes the same rows and events live
use would (an ``in`` message on a resolved conversation reopens it). It is idempotent:
message lines are keyed by their ``id`` (or a hash of conversation, direction, time and
text), other lines by a hash of their canonical JSON remembered in the same transaction.
A bad line is reported as ``FILE:LINE: reason`` and the other lines still import.

Export writes agents and canned replies, then every event in log order, then identity
links and customer tags, so importing an export into an empty database reproduces it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

from agentdesk import clock
from agentdesk.domain import Attachment, Direction, Inbound, Status
from agentdesk.store.database import DATABASE_ERRORS

BATCH = 500  # lines per transaction
# What a bad line raises while it is replayed (a database refusal included).
_LINE_ERRORS: tuple[type[Exception], ...] = (KeyError, ValueError, TypeError, *DATABASE_ERRORS)


class LineError(Exception):
    """What is wrong with one import line (one sentence, no traceback)."""


class UnknownCustomer(LineError):
    """A line about a customer with no message in the desk (yet)."""

    def __init__(self, address: str, channel_key: str) -> None:
        super().__init__(
            f"unknown customer {address!r} (no message of theirs in the desk or the file;"
            f' with "{channel_key}" the line creates them)'
        )


@dataclass
class ImportReport:
    lines: int = 0
    imported: int = 0
    present: int = 0  # already imported before: nothing written
    errors: list[str] = field(default_factory=list)

    def summary(self, source: str) -> str:
        return (
            f"{source}: {self.imported} lines imported, {self.present} already present, "
            f"{len(self.errors)} failed"
        )


# ---- import ------------------------------------------------------------------------------
def import_file(store, path: Path | str) -> ImportReport:
    """Import ``path``; raises OSError if the file cannot be read at all."""
    with open(path, "rb") as handle:
        return import_lines(store, handle, str(path))


def import_lines(store, lines: Iterable[bytes | str], source: str = "-") -> ImportReport:
    """Import JSON Lines; errors are collected as ``SOURCE:LINE: reason``.

    The order of lines does not matter for people: a line about a customer not seen yet
    (``identity``, ``customer``) waits until the end of the file, when their messages
    have been imported, and is applied then; one that names the address's channel
    creates the customer at once, so their messages may also come in a later file.
    """
    report = ImportReport()
    waiting: list[tuple[int, bytes | str]] = []
    numbered = enumerate(lines, start=1)
    while batch := list(itertools.islice(numbered, BATCH)):
        with store.atomic():
            for number, raw in batch:
                _import_one(store, raw, number, source, report, waiting)
    with store.atomic():
        for number, raw in waiting:
            report.lines -= 1  # counted when it was first read
            _import_one(store, raw, number, source, report, None)
    store.metrics.refresh()  # the metrics' cycles of every conversation it touched
    return report


def _import_one(
    store,
    raw: bytes | str,
    number: int,
    source: str,
    report: ImportReport,
    waiting: list[tuple[int, bytes | str]] | None,
) -> None:
    """One line; with ``waiting``, a line about an unknown customer is put there for
    later instead of failing."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        report.lines += 1
        report.errors.append(f"{source}:{number}: not UTF-8 ({error.reason} at byte {error.start})")
        return
    text = text.lstrip("\ufeff").strip()
    if not text:
        return
    report.lines += 1
    try:
        try:
            line = json.loads(text)
        except json.JSONDecodeError as error:
            raise LineError(f"invalid JSON: {error.msg} (column {error.colno})") from None
        if not isinstance(line, dict):
            raise LineError("expected a JSON object")
        kind = line.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise LineError(f"unknown type {kind!r} (expected one of {', '.join(_HANDLERS)})")
        with store.savepoint():
            wrote = handler(store, line)
    except UnknownCustomer as error:
        if waiting is not None:
            waiting.append((number, raw))
        else:
            report.errors.append(f"{source}:{number}: {error}")
    except LineError as error:
        report.errors.append(f"{source}:{number}: {error}")
    except _LINE_ERRORS as error:
        reason = error.args[0] if isinstance(error, KeyError) and error.args else error
        report.errors.append(f"{source}:{number}: {reason}")
    else:
        if wrote:
            report.imported += 1
        else:
            report.present += 1


# ---- field checks --------------------------------------------------------------------------
@overload
def _text(line: dict, key: str, required: Literal[True] = True) -> str: ...
@overload
def _text(line: dict, key: str, required: bool) -> str | None: ...
def _text(line: dict, key: str, required: bool = True) -> str | None:
    value = line.get(key)
    if value is None or value == "":
        if required:
            raise LineError(f'missing "{key}"')
        return None
    if not isinstance(value, str):
        raise LineError(f'"{key}" must be a string, got {type(value).__name__}')
    return value


@overload
def _at(line: dict, key: str = "at", required: Literal[True] = True) -> str: ...
@overload
def _at(line: dict, key: str, required: bool) -> str | None: ...
def _at(line: dict, key: str = "at", required: bool = True) -> str | None:
    value = _text(line, key, required)
    if value is None:
        return None
    try:
        return clock.to_iso(clock.parse_iso(value))
    except ValueError:
        raise LineError(f'"{key}" is not an ISO-8601 time: {value!r}') from None


def _bool(line: dict, key: str) -> bool:
    value = line.get(key, False)
    if not isinstance(value, bool):
        raise LineError(f'"{key}" must be true or false')
    return value


def _choice(line: dict, key: str, choices: tuple[str, ...]) -> str:
    value = _text(line, key)
    if value not in choices:
        raise LineError(f'"{key}" must be one of {", ".join(choices)}, got {value!r}')
    return value


def _agent(line: dict, key: str = "agent", required: bool = True) -> str | None:
    value = _text(line, key, required)
    if value is not None and (not value.strip() or any(ch.isspace() for ch in value)):
        raise LineError(f'"{key}" must be an agent name without spaces, got {value!r}')
    return value


def _conversation(store, line: dict) -> int:
    uid = _text(line, "conversation")
    conversation_id = store.conversations.id_for_uid(uid)
    if conversation_id is None:
        raise LineError(
            f'unknown conversation {uid!r} (it starts with an "in" message or a "created" line)'
        )
    return conversation_id


def _strings(line: dict, key: str) -> list[str]:
    value = line.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LineError(f'"{key}" must be a list of strings')
    return value


def _first_time(store, line: dict) -> bool:
    """Remember this line's canonical JSON; False if it was imported before."""
    canonical = json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return store.transfer.remember_key("line:" + hashlib.sha256(canonical.encode()).hexdigest())


def _attachments(line: dict) -> tuple[Attachment, ...]:
    value = line.get("attachments", [])
    if not isinstance(value, list):
        raise LineError('"attachments" must be a list')
    result = []
    for item in value:
        if not isinstance(item, dict):
            raise LineError("each attachment must be an object")
        filename = _text(item, "filename")
        data = None
        if item.get("data_base64") is not None:
            try:
                data = base64.b64decode(_text(item, "data_base64"), validate=True)
            except ValueError:
                raise LineError(f'attachment {filename!r}: "data_base64" is not base64') from None
        size = item.get("size", len(data) if data is not None else None)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise LineError(f'attachment {filename!r}: "size" must be a whole number')
        result.append(
            Attachment(
                filename,
                size,
                _text(item, "content_type", False) or "application/octet-stream",
                data,
            )
        )
    return tuple(result)


# ---- line types ------------------------------------------------------------------------------
def _message(store, line: dict) -> bool:
    uid = _text(line, "conversation")
    direction = _choice(line, "direction", tuple(str(d) for d in Direction))
    at = _at(line)
    text = line.get("text", "")
    if not isinstance(text, str):
        raise LineError('"text" must be a string')
    html = _text(line, "html", False)
    subject = _text(line, "subject", False) or ""
    ext_id = (
        _text(line, "id", False)
        or "import:"
        + hashlib.sha256(
            json.dumps([uid, direction, at, text, html], ensure_ascii=False).encode()
        ).hexdigest()[:32]
    )
    if direction == Direction.IN:
        if not text.strip() and not html:
            raise LineError('an "in" message needs "text" or "html"')
        inbound = Inbound(
            channel=_text(line, "channel"),
            address=_text(line, "customer"),
            name=_text(line, "customer_name", False) or "",
            text=text,
            html=html,
            at=at,
            subject=subject,
            ext_id=ext_id,
            thread_key=uid,
            message_id_header=_text(line, "message_id", False),
            in_reply_to=_text(line, "in_reply_to", False),
            references=tuple(_strings(line, "references")),
            auto=_bool(line, "auto"),
            attachments=_attachments(line),
        )
        new = store.conversations.id_for_uid(uid) is None
        stored = store.messages.record_inbound(inbound)
        if stored is None:
            return False
        if new:
            _keep_key(store, stored[0], line)
        _tags(store, stored[0], line, None, at)
        return True
    agent = _agent(line)
    if store.messages.ext_exists(ext_id):
        return False
    conversation_id = store.conversations.id_for_uid(uid)
    if conversation_id is None and direction == Direction.OUT:
        conversation_id = store.conversations.start_outbound(
            _text(line, "channel"),
            _text(line, "customer"),
            agent,
            subject,
            name=_text(line, "customer_name", False) or "",
            at=at,
            uid=uid,
        )
        _keep_key(store, conversation_id, line)
    elif conversation_id is None:
        raise LineError(f"unknown conversation {uid!r} (a note needs an existing conversation)")
    if direction == Direction.OUT:
        edit_distance = line.get("edit_distance")
        if edit_distance is not None and (
            not isinstance(edit_distance, int) or isinstance(edit_distance, bool)
        ):
            raise LineError('"edit_distance" must be a whole number')
        store.replies.add(
            conversation_id,
            agent,
            text,
            at=at,
            ext_id=ext_id,
            ai_assisted=_bool(line, "ai_assisted"),
            edit_distance=edit_distance,
            header=_text(line, "message_id", False),
            subject=subject,
        )
    else:
        store.messages.add_note(conversation_id, agent, text, at=at, ext_id=ext_id)
    _tags(store, conversation_id, line, agent, at)
    return True


def _keep_key(store, conversation_id: int, line: dict) -> None:
    """A conversation this line created keeps the ``key`` it had where it came from."""
    key = _text(line, "key", False)
    created_here = store.conversations.get(conversation_id).uid == _text(line, "conversation")
    if key and created_here and store.conversations.id_for_key(key) is None:
        store.conversations.set_key(conversation_id, key)


def _tags(store, conversation_id: int, line: dict, agent: str | None, at: str) -> None:
    for tag in _strings(line, "tags"):
        store.conversations.set_tag(conversation_id, tag, True, agent, at=at)


def _created(store, line: dict) -> bool:
    uid = _text(line, "conversation")
    at, agent = _at(line), _agent(line)
    channel, customer = _text(line, "channel"), _text(line, "customer")
    if store.conversations.id_for_uid(uid) is not None:
        return False
    conversation_id = store.conversations.start_outbound(
        channel,
        customer,
        agent,
        _text(line, "subject", False) or "",
        name=_text(line, "customer_name", False) or "",
        at=at,
        uid=uid,
    )
    _keep_key(store, conversation_id, line)
    return True


def _keyed(action: Callable[[object, dict], None]) -> Callable[[object, dict], bool]:
    """Wrap a line action so a line seen before writes nothing.

    The key is remembered in the line's savepoint: if the action fails, it is undone too.
    """

    def once(store, line: dict) -> bool:
        if not _first_time(store, line):
            return False
        action(store, line)
        return True

    return once


def _status(store, line: dict) -> None:
    conversation_id = _conversation(store, line)
    status = _choice(line, "status", tuple(str(s) for s in Status))
    until = _at(line, "until", required=False)
    until_reply = _bool(line, "until_reply")
    if status == Status.SNOOZED and not until and not until_reply:
        raise LineError('a snooze needs "until" or "until_reply": true')
    store.conversations.set_status(
        conversation_id,
        status,
        _agent(line, required=False),
        at=_at(line),
        until=until,
        until_reply=until_reply,
        reason=_text(line, "reason", False),
    )


def _assign(store, line: dict) -> None:
    conversation_id = _conversation(store, line)
    store.conversations.assign(
        conversation_id, _agent(line), _agent(line, "by", False), at=_at(line)
    )


def _unassign(store, line: dict) -> None:
    conversation_id = _conversation(store, line)
    store.conversations.assign(conversation_id, None, _agent(line, "by", False), at=_at(line))


def _tag_line(present: bool):
    def action(store, line: dict) -> None:
        conversation_id = _conversation(store, line)
        store.conversations.set_tag(
            conversation_id, _text(line, "tag"), present, _agent(line, required=False), at=_at(line)
        )

    return action


def _viewed(store, line: dict) -> None:
    conversation_id = _conversation(store, line)
    if not isinstance(line.get("focus"), bool):
        raise LineError('"focus" must be true or false')
    store.events.view(
        conversation_id,
        _agent(line),
        line["focus"],
        at=_at(line),
        reason=_text(line, "reason", False),
    )


def _csat(store, line: dict) -> None:
    conversation_id = _conversation(store, line)
    rating = line.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise LineError(f'"rating" must be a whole number from 1 to 5, got {rating!r}')
    store.events.csat(
        conversation_id, rating, at=_at(line), comment=_text(line, "comment", False) or ""
    )


def _person(store, line: dict, channel_key: str) -> int:
    """The customer a people line is about (``customer``, an address of theirs): known,
    or made from the line when it names the address's channel (``channel_key``)."""
    address = _text(line, "customer")
    customer_id = store.customers.id_for_address(address)
    if customer_id is not None:
        return customer_id
    channel = _text(line, channel_key, False)
    if channel is None:
        raise UnknownCustomer(address, channel_key)
    return store.customers.ensure(channel, address, _text(line, "name", False) or "")


def _identity(store, line: dict) -> None:
    also, channel = _text(line, "also"), _text(line, "channel")
    _person(store, line, "customer_channel")
    store.customers.link_identity(_text(line, "customer"), channel, also)


def _customer(store, line: dict) -> None:
    store.customers.set_tags(_person(store, line, "channel"), _strings(line, "tags"))


def _agent_line(store, line: dict) -> None:
    store.agents.ensure(
        _agent(line, "name"),
        _text(line, "display_name", False) or "",
        _text(line, "email", False) or "",
    )


def _canned(store, line: dict) -> None:
    store.canned.save(_text(line, "name"), _text(line, "body"))


def _event(store, line: dict) -> None:
    conversation_id = _conversation(store, line)
    payload = line.get("payload", {})
    if not isinstance(payload, dict):
        raise LineError('"payload" must be an object')
    store.events.append(  # a kind this version has no action for: kept verbatim
        conversation_id, _text(line, "kind"), _at(line), _agent(line, required=False), None, payload
    )


_HANDLERS: dict[str, Callable[[object, dict], bool]] = {
    "message": _message,
    "created": _created,
    "status": _keyed(_status),
    "assign": _keyed(_assign),
    "unassign": _keyed(_unassign),
    "tag": _keyed(_tag_line(True)),
    "untag": _keyed(_tag_line(False)),
    "viewed": _keyed(_viewed),
    "csat": _keyed(_csat),
    "identity": _keyed(_identity),
    "customer": _keyed(_customer),
    "agent": _keyed(_agent_line),
    "canned": _keyed(_canned),
    "event": _keyed(_event),
}


# ---- export ------------------------------------------------------------------------------
def export_file(store, path: Path | str) -> int:
    """Write the whole desk to ``path`` (atomically); returns the number of lines."""
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    count = 0
    with open(temporary, "w", encoding="utf-8") as handle:
        for line in export_lines(store):
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    os.replace(temporary, path)
    return count


def export_lines(store) -> Iterator[dict]:
    """The desk as import lines: agents, canned replies, every event, identities, tags."""
    for agent in store.agents.all():
        yield _compact(
            {
                "type": "agent",
                "name": agent.name,
                "display_name": agent.display_name,
                "email": agent.email,
            }
        )
    for name, body in store.canned.all():
        yield {"type": "canned", "name": name, "body": body}
    keyed: set[str] = set()  # conversations whose first line (with their key) is out
    for row in store.transfer.rows():
        line = _event_line(store, row)
        if line is not None:
            if row["uid"] not in keyed and line["type"] in ("message", "created"):
                keyed.add(row["uid"])
                line["key"] = row["key"]
            yield line
    # Each names the channel of its customer's address, so a customer with no
    # conversation (made by an import's people lines) is made again.
    for primary, primary_channel, channel, also in store.customers.linked_identities():
        yield {
            "type": "identity",
            "customer": primary,
            "customer_channel": primary_channel,
            "also": also,
            "channel": channel,
        }
    for address, address_channel, tags in store.customers.tags_by_address():
        yield {"type": "customer", "customer": address, "channel": address_channel, "tags": tags}


def _compact(line: dict) -> dict:
    """Drop empty optional fields so lines stay short."""
    return {
        k: v for k, v in line.items() if v is not None and v is not False and v != "" and v != []
    }


def _event_line(store, row) -> dict | None:
    kind, payload = row["kind"], json.loads(row["payload"])
    base = {"conversation": row["uid"], "at": row["at"]}
    if kind == "created":
        if row["agent"] is None:
            return None  # implied by the conversation's first "in" message
        return _compact(
            {
                "type": "created",
                **base,
                "channel": row["channel"],
                "customer": row["customer"],
                "customer_name": row["customer_name"],
                "subject": row["conversation_subject"],
                "agent": row["agent"],
            }
        )
    if kind in ("inbound", "reply", "note") and row["direction"] is not None:
        return _message_line(store, row, payload, base)
    if kind == "status":
        if payload.get("reason") == "customer replied":
            return None  # written again by the "in" message that caused it
        return _compact(
            {
                "type": "status",
                **base,
                "status": payload.get("to"),
                "agent": row["agent"],
                "until": payload.get("until"),
                "until_reply": payload.get("until_reply"),
                "reason": payload.get("reason"),
            }
        )
    if kind == "assigned":
        return _compact({"type": "assign", **base, "agent": row["agent"], "by": payload.get("by")})
    if kind == "unassigned":
        return _compact({"type": "unassign", **base, "by": payload.get("by")})
    if kind in ("tagged", "untagged"):
        return _compact(
            {
                "type": "tag" if kind == "tagged" else "untag",
                **base,
                "tag": payload.get("tag"),
                "agent": row["agent"],
            }
        )
    if kind == "viewed":
        return {
            **_compact(
                {"type": "viewed", **base, "agent": row["agent"], "reason": payload.get("reason")}
            ),
            "focus": payload.get("focus"),
        }
    if kind == "csat":
        return _compact(
            {
                "type": "csat",
                **base,
                "rating": payload.get("rating"),
                "comment": payload.get("comment"),
            }
        )
    return _compact(
        {"type": "event", **base, "kind": kind, "agent": row["agent"], "payload": payload}
    )


def _message_line(store, row, payload: dict, base: dict) -> dict:
    line = {
        "type": "message",
        **base,
        "channel": row["channel"],
        "customer": row["author"] if row["direction"] == "in" else row["customer"],
        "customer_name": row["customer_name"],
        "direction": row["direction"],
        "agent": row["agent"],
        "id": row["ext_id"],
        "subject": row["subject"],
        "text": row["body"],
        "html": row["body_html"],
        "message_id": row["message_id_header"],
        "in_reply_to": row["in_reply_to"],
        "references": (row["refs"] or "").split(),
        "auto": bool(row["auto"]),
        "ai_assisted": payload.get("ai_assisted"),
        "edit_distance": payload.get("edit_distance"),
    }
    if row["attachments"]:
        line["attachments"] = [
            _compact(
                {
                    "filename": a.filename,
                    "size": a.size,
                    "content_type": a.content_type,
                    "data_base64": base64.b64encode(a.data).decode() if a.data else None,
                }
            )
            for a in store.messages.attachments_with_data(row["message_id"])
        ]
    text = line.pop("text")
    line = _compact(line)
    line["text"] = text  # always present, even when empty (HTML-only mail)
    return line
