"""What the Matrix connector keeps in the desk database, through ``ConnectorData``.

Keyed state (scoped to the configured connector): the sync ``since`` token, saved only
after the messages of its batch are stored (``recorded`` runs in their transaction),
so a restart neither misses nor repeats anything; and the device id a password login
reuses. Its own table ``matrix_outbox``: one transaction id per reply, made once and
committed before the first attempt, so a retry after a crash reuses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentdesk.store.connector_data import ConnectorData

# The connector's own tables. 1: made by the desk schema (its migrations 4), with
# matrix_accounts, where desks before connector state kept the token and device.
MIGRATIONS = ["-- matrix_accounts and matrix_outbox: desk schema migration 4"]


@dataclass(frozen=True)
class MatrixSend:
    """A reply's send record: its transaction id, tries so far and event id once posted."""

    message_id: int
    room_id: str
    txn_id: str
    attempts: int
    event_id: str | None


class MatrixState:
    """The sync position, device and send records of one Matrix account."""

    def __init__(self, data: ConnectorData, user_id: str) -> None:
        self.data, self.user_id = data, user_id
        data.tables("matrix", MIGRATIONS)

    # ---- sync position and device ------------------------------------------------------
    def since(self) -> str | None:
        """The ``next_batch`` token of the last sync batch fully stored, or None."""
        return self.data.get("since") or self._before("since")

    def set_since(self, since: str) -> None:
        self.data.put("since", since)

    def device(self) -> str | None:
        """The device id a password login reuses (not a secret; the token is never stored)."""
        return self.data.get("device_id") or self._before("device_id")

    def set_device(self, device_id: str) -> None:
        self.data.put("device_id", device_id)

    def _before(self, column: str) -> str | None:
        """What a desk from before connector state kept for this account."""
        row = self.data.query_one(
            f"SELECT {column} FROM matrix_accounts WHERE account = ?", (self.user_id,)
        )
        return row[0] if row else None

    # ---- outbox ------------------------------------------------------------------------
    def send_record(self, message_id: int, room_id: str) -> MatrixSend:
        """The reply's send record, made (with a new transaction id) on first call."""
        with self.data.atomic():
            self.data.execute(
                "INSERT INTO matrix_outbox (message_id, room_id, txn_id)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (message_id, room_id, f"agentdesk-{uuid.uuid4().hex}"),
            )
            row = self.data.query_one(
                "SELECT message_id, room_id, txn_id, attempts, event_id FROM matrix_outbox"
                " WHERE message_id = ?",
                (message_id,),
            )
        assert row is not None  # inserted above, or there before
        return MatrixSend(row[0], row[1], row[2], row[3], row[4])

    def send_attempt(self, message_id: int) -> None:
        """Count one attempt; committed before the request leaves."""
        self.data.execute(
            "UPDATE matrix_outbox SET attempts = attempts + 1 WHERE message_id = ?", (message_id,)
        )

    def send_done(self, message_id: int, event_id: str) -> None:
        """The homeserver accepted the reply as ``event_id``."""
        self.data.execute(
            "UPDATE matrix_outbox SET event_id = ? WHERE message_id = ?", (event_id, message_id)
        )
