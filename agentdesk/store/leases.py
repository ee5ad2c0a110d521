"""Connector leases: which desk runs each connector for the whole team."""

from __future__ import annotations

from agentdesk.domain import Lease
from agentdesk.store.database import Database


class Leases:
    def __init__(self, db: Database) -> None:
        self.db = db

    def hold(
        self, connector: str, desk: str, agent: str, now: str, until: str, gone: str = ""
    ) -> Lease:
        """Take the lease on ``connector`` for ``desk`` until ``until`` if it is free,
        expired (before ``now``), held by desk ``gone`` (known dead) or already the
        desk's (a renewal); returns its holder now, this desk or another. One statement
        decides, so two desks never both hold it.
        """
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO connector_leases (connector, desk, agent, expires_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (connector) DO UPDATE SET"
                " desk = excluded.desk, agent = excluded.agent, expires_at = excluded.expires_at"
                " WHERE connector_leases.desk = excluded.desk OR connector_leases.expires_at < ?"
                " OR connector_leases.desk = ?",
                (connector, desk, agent, until, now, gone),
            )
            row = conn.execute(
                "SELECT connector, desk, agent, expires_at FROM connector_leases"
                " WHERE connector = ?",
                (connector,),
            ).fetchone()
        return Lease(row[0], row[1], row[2], row[3])

    def release(self, connector: str, desk: str) -> None:
        """``desk`` stops running ``connector``: another desk may take it at once."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM connector_leases WHERE connector = ? AND desk = ?", (connector, desk)
            )

    def held(self, now: str) -> list[Lease]:
        """The leases held at ``now`` (not expired), by connector name."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT connector, desk, agent, expires_at FROM connector_leases"
                " WHERE expires_at >= ? ORDER BY connector",
                (now,),
            ).fetchall()
        return [Lease(row[0], row[1], row[2], row[3]) for row in rows]
