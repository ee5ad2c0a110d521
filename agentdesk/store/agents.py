"""The desk's agents (names in events, assignees)."""

from __future__ import annotations

from agentdesk.domain import Agent
from agentdesk.store.database import Database, inserted


class Agents:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure(self, name: str, display_name: str = "", email: str = "") -> int:
        """The agent's id, made on first use; a non-empty name or email is updated."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
            if row:
                if display_name or email:
                    conn.execute(
                        "UPDATE agents SET display_name = coalesce(nullif(?, ''), display_name),"
                        " email = coalesce(nullif(?, ''), email) WHERE id = ?",
                        (display_name, email, row[0]),
                    )
                return int(row[0])
            return inserted(
                conn.execute(
                    "INSERT INTO agents (name, display_name, email) VALUES (?, ?, ?) RETURNING id",
                    (name, display_name or name.capitalize(), email),
                )
            )

    def login_mismatch(self, name: str) -> str | None:
        """On PostgreSQL, the database login of an agent role that is not ``name``.

        A team's agents each log in as themselves, members of the ``agents`` role
        (docs/database.md); such a login works only as the agent of that name. Other
        logins (the desk's owner, an administrator) and SQLite desks return None.
        """
        if self.db.dialect.name != "postgresql":
            return None
        with self.db.read() as conn:
            login, restricted = conn.execute(
                "SELECT current_user, coalesce((SELECT pg_has_role(current_user, oid, 'MEMBER')"
                " FROM pg_roles WHERE rolname = 'agents'), false)"
            ).fetchone()
        return str(login) if restricted and login != name else None

    def all(self) -> list[Agent]:
        with self.db.read() as conn:
            return [
                Agent(r[0], r[1], r[2])
                for r in conn.execute("SELECT name, display_name, email FROM agents ORDER BY name")
            ]
