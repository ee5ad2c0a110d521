"""Raw RFC 5322 bytes -> ``Inbound``, with the stdlib ``email`` package (``policy.default``).

text/plain is preferred; HTML-only mail is converted to text (nothing remote is
fetched); unknown charsets decode with replacement; attachments are kept up to a
size cap and always listed; auto-replies and bounces are marked ``auto``. A message
the parser cannot handle is kept raw and labelled as such: parsing never raises.
"""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes, policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, MIMEPart

from agentdesk import clock
from agentdesk.domain import Attachment, Inbound
from agentdesk.text import html_to_text

UNPARSEABLE = "[agentdesk could not parse this message; its raw source follows]"
_MSG_ID = re.compile(r"<[^<>\s]+>")
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_CACHED_HEADERS = {"content-type", "content-disposition", "content-transfer-encoding"}


class _CachingRegistry(HeaderRegistry):
    """``policy.default``'s header registry, remembering parsed MIME headers.

    The stdlib re-parses Content-Type on every ``get_content_type()`` (about ten per
    message); parsed headers are immutable, so the same text can share one object.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[tuple[str, str], object] = {}

    def __call__(self, name: str, value: str):
        if name.lower() not in _CACHED_HEADERS:
            return super().__call__(name, value)
        key = (name, value)
        header = self._cache.get(key)
        if header is None:
            if len(self._cache) >= 4096:
                self._cache.clear()
            header = self._cache[key] = super().__call__(name, value)
        return header


_POLICY = policy.default.clone(header_factory=_CachingRegistry())


def raw_hash(raw: bytes) -> str:
    """The identity of a message's bytes."""
    return hashlib.sha256(raw).hexdigest()


def body_hash(raw: bytes) -> str:
    """The identity of a message's content: its body, headers left out (copies of one
    mail that reached two folders by different routes differ only in their headers)."""
    _, blank, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    return hashlib.sha256(body.rstrip() if blank else raw).hexdigest()


def ext_id_for(message_id: str | None, raw: bytes) -> str:
    """The id a mail is stored under: its Message-ID, else its bytes' hash.

    Message-IDs are not unique in the wild: the connector gives a mail whose
    Message-ID is already stored with other content an id of its own (``distinct_id``).
    """
    return f"email:{message_id}" if message_id else f"email:sha256:{raw_hash(raw)}"


def distinct_id(ext_id: str, raw: bytes) -> str:
    """The id of a mail that reuses a stored Message-ID with different content."""
    return f"{ext_id}#sha256:{body_hash(raw)[:32]}"


def message_ids(value: str | None) -> tuple[str, ...]:
    """``<id>`` tokens of a Message-ID / In-Reply-To / References header."""
    return tuple(_MSG_ID.findall(value or ""))


def _header(msg: EmailMessage, name: str) -> str:
    """A header as one line of text ('' if absent or broken)."""
    try:
        value = msg[name]
    except Exception:  # policy.default can fail on malformed structured headers
        value = msg.get_all(name, [""])[0] if hasattr(msg, "get_all") else ""
    return " ".join(str(value or "").split())


def _raw_header(msg: EmailMessage, name: str) -> str:
    """A header's undecoded text, for id lists (never raises)."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _decoded(part: MIMEPart) -> bytes | None:
    """A leaf part's payload with its transfer encoding undone (None for a container)."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else None


def _text(part: MIMEPart) -> str:
    """A text part decoded, replacing what the charset cannot decode."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):
        payload = _decoded(part) or b""
        try:
            return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")


def is_auto(msg: EmailMessage) -> bool:
    """Auto-replies, list mail and bounces (RFC 3834 and common practice)."""
    headers: dict[str, str] = {}
    for key, value in msg.raw_items():  # raw values: cheaper than the header registry
        headers.setdefault(key.lower(), " ".join(str(value).split()).lower())
    auto_submitted = headers.get("auto-submitted", "")
    if auto_submitted and auto_submitted != "no":
        return True
    if headers.get("precedence", "") in _AUTO_PRECEDENCE:
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    if not msg.is_multipart():  # (content types are re-parsed on every call: ask little)
        return False
    if msg.get_content_type() == "multipart/report":
        return True
    return any(
        part.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        for part in msg.walk()
        if not part.is_multipart()
    )


def _attachments(
    msg: EmailMessage, body: MIMEPart | None, max_bytes: int
) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    parts = msg.walk() if msg.is_multipart() else ([] if body is msg else [msg])
    for part in parts:
        if part is body or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition != "attachment" and not filename and part.get_content_maintype() == "text":
            continue  # an alternative text part, not an attachment
        if part.get_content_type() in ("message/delivery-status", "text/rfc822-headers"):
            continue
        data = _decoded(part)
        if data is None:  # message/rfc822 and friends: keep their bytes
            data = part.as_bytes()
        name = " ".join(str(filename or "").split()) or f"part-{len(found) + 1}"
        found.append(
            Attachment(
                name, len(data), part.get_content_type(), data if len(data) <= max_bytes else None
            )
        )
    return tuple(found)


def parse(
    raw: bytes,
    *,
    channel: str = "email",
    max_attachment_bytes: int = 10_000_000,
    received_at: str | None = None,
) -> Inbound:
    """One mail as an ``Inbound`` (never raises; broken mail is kept raw)."""
    try:
        return _parse(raw, channel, max_attachment_bytes, received_at)
    except Exception as error:
        return unparseable(raw, channel, received_at, f"{type(error).__name__}: {error}")


def parse_many(raws: list[bytes], max_attachment_bytes: int, received_at: str) -> list[Inbound]:
    """``parse`` for a batch (what a worker process runs during a large sync).

    ``received_at`` comes from the caller, whose clock (possibly frozen) is the desk's.
    """
    return [
        parse(raw, max_attachment_bytes=max_attachment_bytes, received_at=received_at)
        for raw in raws
    ]


def _parse(raw: bytes, channel: str, max_bytes: int, received_at: str | None) -> Inbound:
    msg = message_from_bytes(raw, policy=_POLICY)
    sender = msg["From"]
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    if not addresses or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
        return unparseable(raw, channel, received_at, "no sender address")
    address = addresses[0].addr_spec
    name = " ".join(addresses[0].display_name.split())
    date = msg["Date"]
    when = getattr(date, "datetime", None) if date is not None else None
    at = clock.to_iso(when) if when and when.tzinfo else (received_at or clock.now_iso())
    body = msg.get_body(preferencelist=("plain", "html"))
    html = None
    if body is None:
        text = ""
    elif body.get_content_subtype() == "html":
        html = _text(body)
        text = html_to_text(html)
    else:
        text = _text(body)
    header_id = message_ids(_raw_header(msg, "Message-ID"))
    message_id = header_id[0] if header_id else None
    in_reply_to = message_ids(_raw_header(msg, "In-Reply-To"))
    return Inbound(
        channel=channel,
        address=address.lower(),
        name=name,
        text=text,
        html=html,
        at=at,
        subject=_header(msg, "Subject"),
        ext_id=ext_id_for(message_id, raw),
        message_id_header=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(_raw_header(msg, "References")),
        auto=is_auto(msg),
        attachments=_attachments(msg, body, max_bytes),
    )


def unparseable(raw: bytes, channel: str, received_at: str | None, reason: str) -> Inbound:
    """A message kept as its raw source, labelled so the agent sees what happened."""
    source = raw.decode("utf-8", errors="replace")
    match = re.search(r"^From:.*?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", source, re.M | re.I)
    return Inbound(
        channel=channel,
        address=match.group(1).lower() if match else "unknown@invalid",
        text=f"{UNPARSEABLE} ({reason})\n\n{source}",
        at=received_at or clock.now_iso(),
        subject="(unparseable message)",
        ext_id=ext_id_for(None, raw),
    )
