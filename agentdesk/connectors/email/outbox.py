"""The durable outbox: nothing lost, nothing sent twice.

A reply is written to ``mail_outbox`` with its final bytes and a Message-ID made
once, before anything is sent. Then a persisted state machine, each step committed
before the next action::

    queued -> sending -> accepted -> saved (to Sent) -> done      (or failed on 5xx)

The step before SMTP DATA is committed too (``data_sent``). After a crash, an entry
found in ``sending`` that never reached DATA is simply sent; one that did is looked
up in the Sent folder by Message-ID, and in the customer's answers (an answer quoting
it proves delivery), before it is sent again. SMTP cannot tell more: a crash between
the server taking the DATA and the desk recording its 250 may deliver the reply
twice, so such a resend is marked ``uncertain`` and the reply says "may have been
delivered twice". An entry found in ``accepted`` is looked up in Sent before it is
saved there, so a crash during the APPEND never leaves two copies.

Headers are built here from validated values, never copied from customer headers:
CR/LF in a subject or name cannot start a new header.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from agentdesk import clock
from agentdesk.connectors.base import DeliveryResult
from agentdesk.connectors.email.mime import message_ids
from agentdesk.connectors.email.smtp import PermanentFailure, TemporaryFailure
from agentdesk.connectors.email.state import MailState, OutboxEntry
from agentdesk.domain import SENDING_ELSEWHERE, Outgoing

log = logging.getLogger(__name__)
NOT_SENT = "not sent: the agent withdrew the reply (or it was sent already)"
DUPLICATE_RISK = (
    "may have been delivered twice: the desk stopped while the mail server was taking it"
)


def _one_line(text: str) -> str:
    """Header-safe text: every run of whitespace (CR and LF included) becomes a space."""
    return " ".join((text or "").split())


def reply_subject(subject: str) -> str:
    subject = _one_line(subject)
    return subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()


def compose(reply: Outgoing, sender: str, sender_name: str, message_id: str) -> bytes:
    """The reply's final bytes (CRLF line ends, RFC 5322)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(display_name=_one_line(sender_name), addr_spec=sender)
    message["To"] = Address(display_name=_one_line(reply.to_name), addr_spec=reply.to_address)
    message["Subject"] = reply_subject(reply.subject)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id
    parent = message_ids(reply.in_reply_to)
    if parent:
        message["In-Reply-To"] = parent[0]
    references = [ref for header in reply.references for ref in message_ids(header)]
    if references:
        message["References"] = " ".join(references)
    message.set_content(reply.text)
    return message.as_bytes()


def address_problem(address: str) -> str:
    """Why mail cannot go to ``address`` ('' when it can), in a few words."""
    if address.lower().endswith(".invalid"):  # (the parser's stand-in: no sender was read)
        return "no address could be read from the customer's message"
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError) as error:  # header defects are ValueErrors
        return " ".join(str(error).split()) or "not an e-mail address"
    if not parsed.username or not parsed.domain:
        return "not an e-mail address"
    return ""


def new_message_id(sender: str) -> str:
    return make_msgid(domain=sender.rpartition("@")[2] or "agentdesk.invalid")


class Outbox:
    """Drives outbox entries through their states for one account.

    ``transmit(entry, before_data)`` hands the bytes to SMTP (raising
    ``TemporaryFailure`` / ``PermanentFailure``; ``before_data()`` is called, in its
    thread, just before DATA), ``in_sent(header)`` and ``save_sent(header, raw)`` (which
    appends only when no message with that Message-ID is there yet) talk to the Sent
    folder. All three are coroutines (the connector runs the blocking calls in threads).
    """

    def __init__(
        self,
        saved: MailState,
        account: str,
        *,
        transmit: Callable[[OutboxEntry, Callable[[], None]], Awaitable[str]],
        in_sent: Callable[[str], Awaitable[bool]],
        save_sent: Callable[[str, bytes], Awaitable[None]],
        backoff_max: float,
    ) -> None:
        self.saved, self.store, self.account = saved, saved.store, account
        self.transmit, self.in_sent, self.save_sent = transmit, in_sent, save_sent
        self.backoff_max = backoff_max
        self._locks: dict[int, asyncio.Lock] = {}

    def enqueue(self, reply: Outgoing, sender: str, sender_name: str) -> OutboxEntry:
        """Write the reply's final bytes once (a second call returns the first entry).

        A failed entry whose recipient has since been corrected is composed anew.
        Raises ``ValueError`` when the recipient cannot receive mail.
        """
        entry = self.saved.outbox_entry(reply.message_id)
        if entry is not None and (entry.state != "failed" or entry.recipient == reply.to_address):
            return entry
        problem = address_problem(reply.to_address)
        if problem:
            raise ValueError(
                f"cannot send to {reply.to_address!r}: {problem}; "
                f"correct the customer's address, then resend"
            )
        if entry is not None:
            self.saved.outbox_discard(reply.message_id)
        header = reply.message_id_header or new_message_id(sender)
        raw = compose(reply, sender, sender_name, header)
        return self.saved.outbox_add(
            reply.message_id, self.account, header, sender, reply.to_address, raw
        )

    def due(self) -> list[OutboxEntry]:
        """Pending entries whose next attempt time has come."""
        now = clock.now_iso()
        return [
            entry
            for entry in self.saved.outbox_pending(self.account)
            if not entry.next_attempt_at or entry.next_attempt_at <= now
        ]

    def next_wakeup(self) -> float | None:
        """Seconds until the earliest pending entry is due (None: nothing pending)."""
        times = [entry.next_attempt_at for entry in self.saved.outbox_pending(self.account)]
        if not times:
            return None
        earliest = min((t for t in times if t), default=None)
        return max(0.0, -(clock.since(earliest) or 0.0)) if earliest else 0.0

    async def drive(self, message_id: int) -> DeliveryResult:
        """Advance one entry as far as it can go now; the outcome is also shown on the reply."""
        lock = self._locks.setdefault(message_id, asyncio.Lock())
        async with lock:
            result = await self._drive(message_id)
        if result.state != "sent" and result.detail != SENDING_ELSEWHERE:
            self.store.replies.set_delivery(message_id, f"{result.state}: {result.detail}")
        return result

    def _elsewhere(self, message_id: int) -> DeliveryResult | None:
        """Another desk of the team is sending this reply now (the lease moved while it
        did): its entry is left alone until that desk's claim may have ended."""
        until = self.store.replies.claimed_elsewhere(message_id)
        if until is None:
            return None
        self.saved.outbox_later(message_id, until)
        return DeliveryResult("retry", SENDING_ELSEWHERE)

    async def _drive(self, message_id: int) -> DeliveryResult:
        entry = self.saved.outbox_entry(message_id)
        if entry is None:
            return DeliveryResult("failed", f"no outbox entry for reply {message_id}")
        elsewhere = self._elsewhere(message_id)
        if elsewhere is not None:
            return elsewhere
        if entry.state == "failed":
            return DeliveryResult("failed", entry.last_error)
        if entry.state == "sending" and not entry.data_sent:  # stopped before DATA
            self.saved.outbox_set(message_id, "queued")
            entry = self.saved.outbox_current(message_id)
        if entry.state == "sending":  # interrupted during DATA: did the server take it?
            try:
                found = await self.in_sent(entry.message_id_header)
            except Exception as error:
                return self._retry(entry, f"cannot check the Sent folder: {error}")
            answered = self.saved.answered(message_id, entry.message_id_header)
            if found or answered:
                self.saved.outbox_set(message_id, "saved" if found else "accepted")
                self.store.replies.mark_sent(message_id)
            else:  # unknown: send again, and say it may arrive twice
                self.saved.outbox_set(message_id, "queued", uncertain=True)
            entry = self.saved.outbox_current(message_id)
        if entry.state == "queued":
            if not self.store.replies.claim(message_id):  # withdrawn, or another desk's now
                elsewhere = self._elsewhere(message_id)
                if elsewhere is not None:
                    return elsewhere
                self.saved.outbox_set(message_id, "failed", error=NOT_SENT)
                return DeliveryResult("failed", NOT_SENT)
            self.saved.outbox_set(message_id, "sending", attempt=True)
            try:
                await self.transmit(entry, lambda: self.saved.outbox_data_sent(message_id))
            except PermanentFailure as error:
                self.saved.outbox_set(message_id, "failed", error=str(error))
                return DeliveryResult("failed", str(error))
            except TemporaryFailure as error:
                return self._retry(entry, str(error))
            self.saved.outbox_set(message_id, "accepted", error="")
            self.store.replies.mark_sent(message_id)
            if entry.uncertain:
                self.store.replies.set_delivery(message_id, f"sent · {DUPLICATE_RISK}")
            entry = self.saved.outbox_current(message_id)
        if entry.state == "accepted":
            try:
                await self.save_sent(entry.message_id_header, entry.raw)
            except Exception as error:  # the customer has it; saving is retried later
                log.warning("saving reply %s to Sent failed: %s", message_id, error)
                self.saved.outbox_set(
                    message_id,
                    "accepted",
                    error=f"Sent: {error}",
                    next_attempt_at=self._later(entry.attempts),
                )
                return DeliveryResult(
                    "sent", "accepted; not yet saved to Sent", entry.message_id_header
                )
            self.saved.outbox_set(message_id, "saved")
        self.saved.outbox_set(message_id, "done")
        return DeliveryResult(
            "sent", DUPLICATE_RISK if entry.uncertain else "", entry.message_id_header
        )

    def _later(self, attempts: int) -> str:
        delay = clock.backoff(attempts, self.backoff_max)
        return clock.to_iso(clock.now() + timedelta(seconds=max(1.0, delay)))

    def _retry(self, entry: OutboxEntry, error: str) -> DeliveryResult:
        attempts = self.saved.outbox_current(entry.message_id).attempts
        when = self._later(attempts)
        self.saved.outbox_set(entry.message_id, "queued", error=error, next_attempt_at=when)
        wait = -(clock.since(when) or 0.0)
        return DeliveryResult("retry", f"{error} (next try in {max(1, round(wait))} s)")
