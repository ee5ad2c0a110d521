"""Matrix chat state: the sync ``since`` token per account and one transaction id per reply.

The token is saved only after the messages of its sync batch are stored, so a restart
neither misses nor repeats anything. A reply's transaction id is made once and
committed before the first attempt to send it, so a retry after a crash reuses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from agentdesk.store.database import Database


@dataclass(frozen=True)
class MatrixSend:
    """A reply's send record: its transaction id, tries so far and event id once posted."""

    message_id: int
    room_id: str
    txn_id: str
    attempts: int
    event_id: str | None


class Matrix:
    """Read and write the ``matrix_accounts`` and ``matrix_outbox`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- sync position and device ---------------------------------------------------
    def since(self, account: str) -> str | None:
        """The ``next_batch`` token of the last sync batch fully stored, or None."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT since FROM matrix_accounts WHERE account = ?", (account,)
            ).fetchone()
        return row[0] if row else None

    def set_since(self, account: str, since: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO matrix_accounts (account, since) VALUES (?, ?)"
                " ON CONFLICT (account) DO UPDATE SET since = excluded.since",
                (account, since),
            )

    def device(self, account: str) -> str | None:
        """The device id a password login reuses (not a secret; the token is never stored)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT device_id FROM matrix_accounts WHERE account = ?", (account,)
            ).fetchone()
        return row[0] if row else None

    def set_device(self, account: str, device_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO matrix_accounts (account, device_id) VALUES (?, ?)"
                " ON CONFLICT (account) DO UPDATE SET device_id = excluded.device_id",
                (account, device_id),
            )

    # ---- outbox ---------------------------------------------------------------------
    def send_record(self, message_id: int, room_id: str) -> MatrixSend:
        """The reply's send record, made (with a new transaction id) on first call."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO matrix_outbox (message_id, room_id, txn_id)"
                " VALUES (?, ?, ?)",
                (message_id, room_id, f"agentdesk-{uuid.uuid4().hex}"),
            )
            row = conn.execute(
                "SELECT message_id, room_id, txn_id, attempts, event_id FROM matrix_outbox"
                " WHERE message_id = ?",
                (message_id,),
            ).fetchone()
        return MatrixSend(*row)

    def send_attempt(self, message_id: int) -> None:
        """Count one attempt; committed before the request leaves."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE matrix_outbox SET attempts = attempts + 1 WHERE message_id = ?",
                (message_id,),
            )

    def send_done(self, message_id: int, event_id: str) -> None:
        """The homeserver accepted the reply as ``event_id``."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE matrix_outbox SET event_id = ? WHERE message_id = ?", (event_id, message_id)
            )

    # ---- rooms ------------------------------------------------------------------------
    def last_inbound_event(self, room_id: str) -> str | None:
        """The event id of the newest customer message stored for the room."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT m.ext_id FROM messages m JOIN conversations c"
                " ON c.id = m.conversation_id WHERE c.uid = ? AND m.direction = 'in'"
                " AND m.ext_id LIKE '$%' ORDER BY m.at DESC, m.id DESC LIMIT 1",
                (room_id,),
            ).fetchone()
        return row[0] if row else None

    def room_customer(self, room_id: str) -> str | None:
        """The chat address of the customer whose conversation is the room, if any."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT i.address FROM conversations c JOIN identities i"
                " ON i.customer_id = c.customer_id AND i.channel = c.channel"
                " WHERE c.uid = ? ORDER BY i.id LIMIT 1",
                (room_id,),
            ).fetchone()
        return row[0] if row else None
