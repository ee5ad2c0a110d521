"""The email channel: IMAP (IDLE) in, SMTP out through the durable outbox.

Incoming: for each configured folder, fetch UIDs from the saved UIDNEXT on, parse,
yield; the host stores each message and calls ``recorded`` in the same transaction,
which saves the UID mapping and the new UIDNEXT. Then IDLE on the first folder
(re-issued every ``idle_minutes``, at most 29) and sync again on any change. On a
lost connection: reconnect with capped, jittered exponential backoff and resync.
Blocking imaplib2/smtplib calls run in threads; the event loop never waits on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from agentdesk import clock
from agentdesk.connectors.base import Capabilities, Connector, DeliveryResult, Option
from agentdesk.connectors.email import mime
from agentdesk.connectors.email.imap import ImapClient, MailboxStatus
from agentdesk.connectors.email.outbox import Outbox, address_problem
from agentdesk.connectors.email.security import SECURITY, MailError, password, tls_context
from agentdesk.connectors.email.smtp import send as smtp_send
from agentdesk.connectors.email.state import FolderState, MailState, OutboxEntry
from agentdesk.connectors.email.workers import parse_pool
from agentdesk.domain import Inbound, Outgoing

log = logging.getLogger(__name__)
MAX_IDLE_MINUTES = 29.0


class EmailConnector(Connector):
    """A support mailbox over IMAP and SMTP."""

    name = "email"
    channels = ("email",)
    capabilities = Capabilities(can_send=True, supports_push=True, supports_threads=True)
    fetch_batch = 100  # messages per UID FETCH (memory bound while syncing)
    parse_ahead = 2  # batches fetched and parsed ahead of the one being stored
    pool_threshold = 300  # a sync of this many messages parses in worker processes
    parse_workers = 1  # (measured: a second one only competes with storing on 2 cores)
    options = (
        Option("address", required=True, help="the support address replies come from"),
        Option("from_name", default="", help="display name on replies"),
        Option("username", required=True, help="IMAP/SMTP login"),
        Option("password_command", help="command printing the password (first line)", secret=True),
        Option("password_env", help="environment variable holding the password", secret=True),
        Option("imap_host", required=True, help="IMAP server"),
        Option("imap_port", int, default=0, help="default 993 (tls) or 143"),
        Option(
            "imap_security",
            default="tls",
            choices=SECURITY,
            help="tls (implicit), starttls, or none (loopback only)",
        ),
        Option("smtp_host", help="SMTP server (default: imap_host)"),
        Option("smtp_port", int, default=0, help="default 465 (tls) or 587"),
        Option(
            "smtp_security",
            default="starttls",
            choices=SECURITY,
            help="tls (implicit), starttls, or none (loopback only)",
        ),
        Option("ca_file", help="PEM file of a private CA to trust"),
        Option("folders", list, default=["INBOX"], help="mailboxes to sync; IDLE on the first"),
        Option("sent_folder", default="Sent", help="where sent replies are saved"),
        Option("idle_minutes", float, default=25.0, help="re-issue IDLE this often (<= 29)"),
        Option(
            "max_attachment_bytes",
            int,
            default=10_000_000,
            help="attachments above this are listed but not stored",
        ),
        Option("backoff_max", float, default=300.0, help="longest wait between reconnects"),
        Option("timeout", float, default=30.0, help="network timeout in seconds"),
    )

    def __init__(self, settings: dict[str, Any]) -> None:
        defaults = {option.name: option.default for option in self.options}
        super().__init__({**defaults, **settings})
        s = self.settings
        self.account = f"{s['username']}@{s['imap_host']}"
        self.store = None
        self.outbox: Outbox | None = None
        self._client: ImapClient | None = None
        self._stopping = asyncio.Event()
        self._outbox_task: asyncio.Task | None = None
        self._wake_outbox = asyncio.Event()
        # messages yielded from the current batch, not yet recorded: id -> (message,
        # folder, UIDVALIDITY, UID, raw); the host may store several in one transaction
        self._pending: dict[int, tuple[Inbound, str, int, int, bytes]] = {}
        self._more = False
        self._pool_failure = ""  # why worker processes cannot parse here (then: a thread)
        self._yielded: dict[str, set[str]] = {}  # ext_id -> content hashes, this sync

    @classmethod
    def validate(cls, table) -> dict[str, Any]:
        settings = super().validate(table)
        folders = settings["folders"]
        if not folders or not all(isinstance(f, str) and f for f in folders):
            raise table.error("folders", "expected a list of mailbox names such as ['INBOX']")
        if not (0 < settings["idle_minutes"] <= MAX_IDLE_MINUTES):
            raise table.error("idle_minutes", f"must be between 0 and {MAX_IDLE_MINUTES:g}")
        problem = address_problem(settings["address"])
        if problem:
            raise table.error("address", f"{settings['address']!r}: {problem}")
        if not settings["password_command"] and not settings["password_env"]:
            raise table.error("password_command", "set password_command or password_env")
        return settings

    # ---- settings -----------------------------------------------------------------------
    def _imap_client(self) -> ImapClient:
        s = self.settings
        port = s["imap_port"] or (993 if s["imap_security"] == "tls" else 143)
        return ImapClient(
            s["imap_host"],
            port,
            s["imap_security"],
            tls_context(s["ca_file"]),
            s["username"],
            lambda: password(s),
            timeout=s["timeout"],
        )

    # ---- lifecycle ----------------------------------------------------------------------
    def attach(self, store) -> None:
        self.store = store
        self.saved = MailState(store.connector_data(self.desk_name), store)
        self.outbox = Outbox(
            self.saved,
            self.account,
            transmit=self._transmit,
            in_sent=self._in_sent,
            save_sent=self._save_sent,
            backoff_max=self.settings["backoff_max"],
        )

    async def start(self) -> None:
        if self.store is None:
            raise MailError("the email connector needs the desk store (ChannelHost attaches it)")
        tls_context(self.settings["ca_file"])  # a bad ca_file is a start error, not a retry
        self._stopping.clear()
        self._outbox_task = asyncio.create_task(self._outbox_loop())
        self.set_state(f"{self.desk_name}: starting")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake_outbox.set()
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)
        task, self._outbox_task = self._outbox_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.set_state(f"{self.desk_name}: stopped")

    # ---- incoming -----------------------------------------------------------------------
    async def incoming(self) -> AsyncIterator[Inbound]:
        attempt = 0
        while not self._stopping.is_set():
            try:
                self.set_state(f"{self.desk_name}: connecting")
                client = self._imap_client()
                await asyncio.to_thread(client.connect)
                self._client = client
                attempt = 0
                while not self._stopping.is_set():
                    for folder in self.settings["folders"]:
                        async for message in self._sync_folder(client, folder):
                            yield message
                    if self._stopping.is_set():
                        break
                    first = self.settings["folders"][0]
                    status = await asyncio.to_thread(client.select, first)
                    if self._arrived_since_sync(first, status):
                        continue  # IDLE would not report it: it is there already
                    self.set_state(f"{self.desk_name}: connected")
                    await asyncio.to_thread(client.idle, self.settings["idle_minutes"] * 60)
            except Exception as error:  # network, TLS, server: reconnect with backoff
                if self._stopping.is_set():
                    break
                reason = " ".join(str(error).split()) or type(error).__name__
                log.info("%s: connection lost: %s", self.desk_name, reason)
                await asyncio.to_thread(self._drop)
                delay = clock.backoff(attempt, self.settings["backoff_max"])
                attempt += 1
                self.set_state(f"{self.desk_name}: reconnecting in {delay:.0f} s ({reason})")
                await self.wait_to_reconnect(delay, self._stopping)
        await asyncio.to_thread(self._drop)

    def _arrived_since_sync(self, folder: str, status: MailboxStatus) -> bool:
        """Mail landed in ``folder`` after its sync looked (the mailbox's UIDNEXT is past
        the one saved), so it must be synced again before IDLE, which reports only what
        comes after this SELECT."""
        saved = self.saved.folder(self.account, folder)
        return (
            saved is not None
            and saved.uidvalidity == status.uidvalidity
            and status.uidnext > saved.uidnext
        )

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def _sync_folder(self, client: ImapClient, folder: str) -> AsyncIterator[Inbound]:
        self.set_state(f"{self.desk_name}: syncing {folder}")
        status = await asyncio.to_thread(client.select, folder)
        known = self.saved.folder(self.account, folder)
        if known is not None and known.uidvalidity != status.uidvalidity:
            headers = await asyncio.to_thread(client.message_ids)
            unknown = self.saved.remap(
                self.account, folder, status.uidvalidity, headers, status.uidnext
            )
            log.info(
                "%s: %s UIDVALIDITY changed; %d of %d messages to fetch",
                self.desk_name,
                folder,
                len(unknown),
                len(headers),
            )
        elif known is None:
            self.saved.set_folder(
                self.account, folder, FolderState(status.uidvalidity, 1, status.highestmodseq)
            )
        current = self.saved.folder(self.account, folder)
        start = current.uidnext if current is not None else 1
        uids = await asyncio.to_thread(client.uids_from, start) if status.exists else []
        batches = [uids[i : i + self.fetch_batch] for i in range(0, len(uids), self.fetch_batch)]
        pool = self._parse_pool() if len(uids) >= self.pool_threshold else None
        # Batches are fetched (in a thread) and parsed (in worker processes for a large
        # sync, else in a thread) ahead of the one being stored.
        ahead = deque(
            asyncio.ensure_future(self._fetch_and_parse(client, chunk, pool))
            for chunk in batches[: self.parse_ahead]
        )
        queued = len(ahead)
        try:
            while ahead:
                batch = await ahead.popleft()
                if queued < len(batches):
                    ahead.append(
                        asyncio.ensure_future(self._fetch_and_parse(client, batches[queued], pool))
                    )
                    queued += 1
                self._pending.clear()
                for index, (uid, raw, message) in enumerate(batch):
                    message = self._distinct(message, raw)
                    self._pending[id(message)] = (message, folder, status.uidvalidity, uid, raw)
                    self._more = index + 1 < len(batch)
                    yield message
        finally:
            self._more = False
            self._pending.clear()
            self._yielded.clear()
            for future in ahead:  # stopped mid-sync: drop the prefetch quietly
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
                future.cancel()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self.saved.set_folder(
            self.account,
            folder,
            FolderState(status.uidvalidity, max(status.uidnext, start), status.highestmodseq),
        )

    async def _fetch_and_parse(
        self,
        client: ImapClient,
        chunk: list[int],
        pool: ProcessPoolExecutor | None,
    ) -> list[tuple[int, bytes, Inbound]]:
        fetched = await asyncio.to_thread(lambda: list(client.fetch(chunk)))
        raws = [raw for _, raw in fetched]
        args = (raws, self.settings["max_attachment_bytes"], clock.now_iso())
        parsed = None
        if pool is not None and not self._pool_failure:
            try:
                parsed = await asyncio.get_running_loop().run_in_executor(
                    pool, mime.parse_many, *args
                )
            except Exception as error:  # any pool trouble: parse in a thread instead
                self._parse_in_thread(error)
        if parsed is None:
            parsed = await asyncio.to_thread(mime.parse_many, *args)
        return [(uid, raw, message) for (uid, raw), message in zip(fetched, parsed, strict=True)]

    def _distinct(self, message: Inbound, raw: bytes) -> Inbound:
        """``message``, under an id of its own when its Message-ID is already stored (or
        yielded) with other content: a copy is ignored, a different mail never is."""
        if not message.message_id_header or not message.ext_id:
            return message
        content = mime.body_hash(raw)
        known = self._yielded.get(message.ext_id)
        if known is None:
            known = self._yielded[message.ext_id] = self.saved.content_hashes(
                message.ext_id, message.message_id_header
            )
        if not known or content in known or mime.raw_hash(raw) in known:  # (raw: older rows)
            known.add(content)
            return message
        log.info(
            "%s: %s reuses a stored Message-ID with other content; kept as a new mail",
            self.desk_name,
            message.message_id_header,
        )
        return replace(message, ext_id=mime.distinct_id(message.ext_id, raw))

    def _parse_pool(self) -> ProcessPoolExecutor | None:
        """Worker processes for a large sync, or None when they cannot run here."""
        if self._pool_failure:
            return None
        try:
            return parse_pool(self.parse_workers)
        except Exception as error:
            self._parse_in_thread(error)
            return None

    def _parse_in_thread(self, error: BaseException) -> None:
        """The worker pool failed: parse in a thread for the rest of the session."""
        if self._pool_failure:
            return
        self._pool_failure = " ".join(str(error).split()) or type(error).__name__
        log.warning(
            "%s: parsing worker failed (%s); parsing in a thread",
            self.desk_name,
            self._pool_failure,
        )
        self.set_state(
            f"{self.desk_name}: parsing in a thread (worker failed: {self._pool_failure})"
        )

    def ready(self) -> bool:
        """True while the current fetched batch has more messages to yield."""
        return self._more

    def recorded(self, message: Inbound, stored: tuple[int, int] | None) -> None:
        """Save the UID mapping and UIDNEXT in the transaction that stored ``message``."""
        pending = self._pending.pop(id(message), None)
        if pending is None or pending[0] is not message:
            return
        _, folder, uidvalidity, uid, raw = pending
        if message.ext_id is None:  # (mail always has one: mime.ext_id_for)
            return
        self.saved.record(
            self.account,
            folder,
            uidvalidity,
            uid,
            message.message_id_header,
            mime.body_hash(raw),
            message.ext_id,
        )

    # ---- outgoing -----------------------------------------------------------------------
    async def send(self, reply: Outgoing) -> DeliveryResult:
        """Write the reply to the outbox, then drive it (queued -> ... -> done)."""
        if self.outbox is None:
            return DeliveryResult("retry", "email connector not attached to a store")
        try:
            self.outbox.enqueue(reply, self.settings["address"], self.settings["from_name"])
        except ValueError as error:  # the recipient cannot receive mail: the agent decides
            return DeliveryResult("failed", f"{self.desk_name}: {error}")
        result = await self.outbox.drive(reply.message_id)
        self._wake_outbox.set()
        return result

    async def resume(self) -> None:
        """Drive every due outbox entry once (crash recovery and retries)."""
        outbox = self.outbox
        if outbox is None:
            return
        for entry in outbox.due():
            if self._stopping.is_set():
                return
            await outbox.drive(entry.message_id)

    async def _outbox_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake_outbox.clear()
            try:
                await self.resume()
            except Exception:
                log.exception("%s: outbox", self.desk_name)
            wait = self.outbox.next_wakeup() if self.outbox is not None else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake_outbox.wait(), 60.0 if wait is None else max(0.5, wait)
                )

    async def _transmit(self, entry: OutboxEntry, before_data: Callable[[], None]) -> str:
        s = self.settings
        host = s["smtp_host"] or s["imap_host"]
        port = s["smtp_port"] or (465 if s["smtp_security"] == "tls" else 587)
        return await asyncio.to_thread(
            smtp_send,
            host,
            port,
            s["smtp_security"],
            tls_context(s["ca_file"]),
            s["username"],
            lambda: password(s),
            entry.sender,
            entry.recipient,
            entry.raw,
            s["timeout"],
            before_data,
        )

    async def _in_sent(self, header: str) -> bool:
        return await asyncio.to_thread(
            self._with_imap,
            lambda client: client.has_message_id(self.settings["sent_folder"], header),
        )

    async def _save_sent(self, header: str, raw: bytes) -> None:
        def save(client: ImapClient) -> None:
            folder = self.settings["sent_folder"]
            if not client.has_message_id(folder, header):  # a crash may have saved it
                client.append(folder, raw)

        await asyncio.to_thread(self._with_imap, save)

    def _with_imap(self, action):
        """Run ``action(client)`` on a short-lived connection (not the IDLE one)."""
        client = self._imap_client()
        client.connect()
        try:
            return action(client)
        finally:
            client.close()
