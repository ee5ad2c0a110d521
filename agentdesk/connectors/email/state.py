"""What the email connector keeps in the desk database: its own tables, through the
``ConnectorData`` every connector gets (``mail_folders``, ``mail_messages``,
``mail_outbox``; the desk schema made them, its migrations 3 and 5, so they are this
connector's version 1).

Sync progress is keyed on (account, mailbox, UIDVALIDITY, UID); every write here
joins the caller's transaction when there is one, so the email connector commits a
message, its UID mapping and the folder's UIDNEXT together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdesk import clock

if TYPE_CHECKING:
    from agentdesk.store import Store
    from agentdesk.store.connector_data import ConnectorData

MIGRATIONS = ["-- mail_folders, mail_messages, mail_outbox: desk schema migrations 3 and 5"]

# Where a mailbox UID now points (replacing an older mapping of the same UID).
_MAIL_MESSAGE = (
    "(account, mailbox, uidvalidity, uid, message_id_header, body_hash, message_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, mailbox, uidvalidity, uid)"
    " DO UPDATE SET message_id_header = excluded.message_id_header,"
    " body_hash = excluded.body_hash, message_id = excluded.message_id"
)


@dataclass(frozen=True)
class FolderState:
    """How far a mailbox has been synced."""

    uidvalidity: int
    uidnext: int
    highestmodseq: int | None


@dataclass(frozen=True)
class OutboxEntry:
    """One reply in the outbox: its final bytes and where it is in the state machine."""

    message_id: int
    account: str
    message_id_header: str
    sender: str
    recipient: str
    raw: bytes
    state: str  # queued | sending | accepted | saved | done | failed
    attempts: int
    next_attempt_at: str | None
    last_error: str
    data_sent: bool  # the current attempt reached SMTP DATA: the server may have it
    uncertain: bool  # resent after a crash hid whether the server had taken it


class MailState:
    """Sync positions, UID mappings and the outbox of the email connectors."""

    def __init__(self, data: ConnectorData, store: Store) -> None:
        self.data, self.store = data, store
        data.tables("email", MIGRATIONS)

    # ---- sync state -------------------------------------------------------------------
    def folder(self, account: str, mailbox: str) -> FolderState | None:
        row = self.data.query_one(
            "SELECT uidvalidity, uidnext, highestmodseq FROM mail_folders"
            " WHERE account = ? AND mailbox = ?",
            (account, mailbox),
        )
        return FolderState(row[0], row[1], row[2]) if row else None

    def set_folder(self, account: str, mailbox: str, state: FolderState) -> None:
        """Save a mailbox's progress (UIDNEXT never moves backwards within a UIDVALIDITY).

        The old row's columns are named with the table: PostgreSQL finds a bare
        ``uidvalidity`` ambiguous beside ``excluded``."""
        with self.data.atomic():
            self.data.execute(
                "INSERT INTO mail_folders (account, mailbox, uidvalidity, uidnext, highestmodseq,"
                " synced_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, mailbox) DO UPDATE"
                " SET uidnext = CASE WHEN mail_folders.uidvalidity = excluded.uidvalidity"
                "   AND mail_folders.uidnext > excluded.uidnext THEN mail_folders.uidnext"
                "   ELSE excluded.uidnext END,"
                " uidvalidity = excluded.uidvalidity,"
                " highestmodseq = coalesce(excluded.highestmodseq, mail_folders.highestmodseq),"
                " synced_at = excluded.synced_at",
                (
                    account,
                    mailbox,
                    state.uidvalidity,
                    state.uidnext,
                    state.highestmodseq,
                    clock.now_iso(),
                ),
            )

    def record(
        self,
        account: str,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        header: str | None,
        body_hash: str,
        ext_id: str,
    ) -> None:
        """Map a mailbox UID to the stored message ``ext_id`` and advance UIDNEXT past it."""
        message_id = self.store.messages.id_for_ext(ext_id)
        with self.data.atomic():
            self.data.execute(
                f"INSERT INTO mail_messages {_MAIL_MESSAGE}",
                (account, mailbox, uidvalidity, uid, header, body_hash, message_id),
            )
            self.data.execute(
                "UPDATE mail_folders SET uidnext = CASE WHEN uidnext > ? THEN uidnext ELSE ? END,"
                " synced_at = ?"
                " WHERE account = ? AND mailbox = ? AND uidvalidity = ?",
                (uid + 1, uid + 1, clock.now_iso(), account, mailbox, uidvalidity),
            )

    def content_hashes(self, ext_id: str, header: str) -> set[str]:
        """The content hashes of the mail stored under ``ext_id`` (Message-ID ``header``),
        in any account; empty when nothing is stored under it."""
        message_id = self.store.messages.id_for_ext(ext_id)
        if message_id is None:
            return set()
        return {
            row[0]
            for row in self.data.query(
                "SELECT DISTINCT body_hash FROM mail_messages WHERE account IN"
                " (SELECT DISTINCT account FROM mail_folders) AND message_id_header = ?"
                " AND message_id = ?",
                (header, message_id),
            )
        }

    def remap(
        self,
        account: str,
        mailbox: str,
        uidvalidity: int,
        headers: dict[int, str | None],
        uidnext: int,
    ) -> list[int]:
        """Adopt a new UIDVALIDITY: map UIDs to known messages by Message-ID.

        ``headers`` is every UID in the mailbox with its Message-ID. Known messages are
        re-mapped (nothing refetched, no conversation touched); the UIDs returned are
        the ones to fetch. The old UID rows of this mailbox are dropped.
        """
        unknown: list[int] = []
        with self.data.atomic():
            for uid, header in sorted(headers.items()):
                row = (
                    self.data.query_one(
                        "SELECT body_hash, message_id FROM mail_messages WHERE account = ?"
                        " AND message_id_header = ? AND message_id IS NOT NULL LIMIT 1",
                        (account, header),
                    )
                    if header
                    else None
                )
                if row is None:
                    unknown.append(uid)
                    continue
                self.data.execute(
                    f"INSERT INTO mail_messages {_MAIL_MESSAGE}",
                    (account, mailbox, uidvalidity, uid, header, row[0], row[1]),
                )
            self.data.execute(
                "DELETE FROM mail_messages WHERE account = ? AND mailbox = ? AND uidvalidity != ?",
                (account, mailbox, uidvalidity),
            )
            first_unknown = min(unknown) if unknown else uidnext
            self.set_folder(
                account, mailbox, FolderState(uidvalidity, min(first_unknown, uidnext), None)
            )
        return unknown

    # ---- outbox -------------------------------------------------------------------------
    def outbox_entry(self, message_id: int) -> OutboxEntry | None:
        row = self.data.query_one(
            "SELECT message_id, account, message_id_header, sender, recipient, raw, state,"
            " attempts, next_attempt_at, last_error, data_sent, uncertain FROM mail_outbox"
            " WHERE message_id = ?",
            (message_id,),
        )
        if row is None:
            return None
        return OutboxEntry(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            bool(row[10]),
            bool(row[11]),
        )

    def outbox_current(self, message_id: int) -> OutboxEntry:
        """The entry of a reply known to be in the outbox."""
        entry = self.outbox_entry(message_id)
        if entry is None:
            raise KeyError(f"no outbox entry for reply {message_id}")
        return entry

    def outbox_add(
        self, message_id: int, account: str, header: str, sender: str, recipient: str, raw: bytes
    ) -> OutboxEntry:
        """Write a reply's final bytes once; an existing entry is returned unchanged.

        The reply's message row takes the Message-ID, so answers thread on it.
        """
        now = clock.now_iso()
        with self.data.atomic():
            self.data.execute(
                "INSERT INTO mail_outbox (message_id, account, message_id_header,"
                " sender, recipient, raw, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (message_id, account, header, sender, recipient, raw, now, now),
            )
            self.store.replies.set_header(message_id, header)  # answers thread on it
        return self.outbox_current(message_id)  # inserted above, or there before

    def outbox_discard(self, message_id: int) -> None:
        """Forget a failed entry (its reply is composed again, e.g. to a corrected address)."""
        self.data.execute(
            "DELETE FROM mail_outbox WHERE message_id = ? AND state = 'failed'", (message_id,)
        )

    def outbox_set(
        self,
        message_id: int,
        state: str,
        *,
        error: str | None = None,
        attempt: bool = False,
        next_attempt_at: str | None = None,
        uncertain: bool = False,
    ) -> None:
        """Move an entry to ``state`` (committed before the caller's next action);
        ``uncertain`` marks it for good as possibly delivered already."""
        with self.data.atomic():
            self.data.execute(
                "UPDATE mail_outbox SET state = ?, updated_at = ?,"
                " last_error = coalesce(?, last_error), attempts = attempts + ?,"
                " next_attempt_at = ?, uncertain = CASE WHEN ? = 1 THEN 1 ELSE uncertain END,"
                " data_sent = CASE WHEN ? = 1 THEN 0 ELSE data_sent END WHERE message_id = ?",
                (
                    state,
                    clock.now_iso(),
                    error,
                    int(attempt),
                    next_attempt_at,
                    int(uncertain),
                    int(attempt),
                    message_id,
                ),
            )

    def outbox_later(self, message_id: int, when: str) -> None:
        """Try the entry again at ``when`` at the earliest, its state unchanged."""
        self.data.execute(
            "UPDATE mail_outbox SET next_attempt_at = ? WHERE message_id = ?", (when, message_id)
        )

    def outbox_data_sent(self, message_id: int) -> None:
        """The current attempt is about to hand the message over (SMTP DATA)."""
        self.data.execute(
            "UPDATE mail_outbox SET data_sent = 1 WHERE message_id = ?", (message_id,)
        )

    def answered(self, message_id: int, header: str) -> bool:
        """True if the customer answered reply ``message_id`` (Message-ID ``header``): the
        proof that it was delivered."""
        return self.store.replies.answered(message_id, header)

    def outbox_pending(self, account: str) -> list[OutboxEntry]:
        """Entries not yet done or failed, oldest first."""
        ids = [
            r[0]
            for r in self.data.query(
                "SELECT message_id FROM mail_outbox WHERE account = ?"
                " AND state NOT IN ('done', 'failed') ORDER BY message_id",
                (account,),
            )
        ]
        return [entry for entry in map(self.outbox_entry, ids) if entry]
