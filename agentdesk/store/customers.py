"""Customers and their identities (one address per channel), merged when linked."""

from __future__ import annotations

from collections.abc import Iterator

from agentdesk.domain import Customer, Identity
from agentdesk.store.database import Connection, Database, inserted
from agentdesk.store.dialect import Dialect


class Customers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def for_address(self, conn: Connection, channel: str, address: str, name: str, at: str) -> int:
        """The id of the customer known by ``address`` on ``channel`` (made if new), in
        the caller's transaction; a name fills a nameless customer's."""
        row = conn.execute(
            "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
            (channel, address),
        ).fetchone()
        if row:
            customer_id: int = row[0]
            conn.execute(
                "UPDATE customers SET first_seen = ? WHERE id = ? AND first_seen > ?",
                (at, customer_id, at),
            )
            if (
                not name
                or not conn.execute(
                    "UPDATE customers SET name = ? WHERE id = ? AND name = ''", (name, customer_id)
                ).rowcount
            ):
                return customer_id  # name and addresses unchanged: the search index holds
        else:
            customer_id = inserted(
                conn.execute(
                    "INSERT INTO customers (name, first_seen) VALUES (?, ?) RETURNING id",
                    (name, at),
                )
            )
            conn.execute(
                "INSERT INTO identities (customer_id, channel, address) VALUES (?, ?, ?)",
                (customer_id, channel, address),
            )
        _index(conn, self.db.dialect, customer_id)
        return customer_id

    def link_identity(self, address: str, channel: str, also: str) -> int:
        """Attach ``(channel, also)`` to the customer known by ``address``.

        If ``also`` already belongs to another customer, that customer is merged in.
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT customer_id FROM identities WHERE address = ? ORDER BY id LIMIT 1",
                (address,),
            ).fetchone()
            if row is None:
                raise KeyError(f"unknown customer {address!r}")
            customer_id: int = row[0]
            other = conn.execute(
                "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
                (channel, also),
            ).fetchone()
            if other is None:
                conn.execute(
                    "INSERT INTO identities (customer_id, channel, address) VALUES (?, ?, ?)",
                    (customer_id, channel, also),
                )
            elif other[0] != customer_id:
                _merge(conn, self.db.dialect, keep=customer_id, drop=other[0])
            _index(conn, self.db.dialect, customer_id)
            return customer_id

    def correct_address(self, customer_id: int, channel: str, old: str, new: str) -> None:
        """Replace a customer's ``old`` address on ``channel`` with ``new`` (replies go
        there from now on); a customer already known by ``new`` is merged in."""
        if new == old:
            return
        with self.db.transaction() as conn:
            other = conn.execute(
                "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
                (channel, new),
            ).fetchone()
            if other is not None and other[0] != customer_id:
                _merge(conn, self.db.dialect, keep=customer_id, drop=other[0])
            if other is None:
                conn.execute(
                    "UPDATE identities SET address = ? WHERE customer_id = ?"
                    " AND channel = ? AND address = ?",
                    (new, customer_id, channel, old),
                )
            else:
                conn.execute(
                    "DELETE FROM identities WHERE customer_id = ? AND channel = ? AND address = ?",
                    (customer_id, channel, old),
                )
            _index(conn, self.db.dialect, customer_id)

    def set_tags(self, customer_id: int, tags: list[str]) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (customer_id,))
            conn.executemany(
                "INSERT INTO customer_tags VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(customer_id, tag) for tag in tags],
            )

    def get(self, customer_id: int) -> Customer | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT id, name, first_seen,"
                " (SELECT count(*) FROM conversations WHERE customer_id = customers.id) AS n"
                " FROM customers WHERE id = ?",
                (customer_id,),
            ).fetchone()
            if row is None:
                return None
            identities = tuple(
                Identity(r[0], r[1])
                for r in conn.execute(
                    "SELECT channel, address FROM identities WHERE customer_id = ? ORDER BY id",
                    (customer_id,),
                )
            )
            tags = tuple(
                r[0]
                for r in conn.execute(
                    "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag",
                    (customer_id,),
                )
            )
        return Customer(row["id"], row["name"], row["first_seen"], identities, row["n"], tags)

    def linked_identities(self) -> Iterator[tuple[str, str, str]]:
        """``(primary address, channel, other address)`` for every linked identity."""
        with self.db.read() as conn:
            yield from conn.execute(
                "SELECT p.address, i.channel, i.address FROM identities i"
                " JOIN identities p ON p.customer_id = i.customer_id"
                " AND p.id = (SELECT min(id) FROM identities WHERE customer_id = i.customer_id)"
                " WHERE i.id != p.id ORDER BY i.id"
            ).fetchall()

    def tags_by_address(self) -> list[tuple[str, list[str]]]:
        """``(first address, tags)`` for every customer with tags."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT (SELECT address FROM identities WHERE customer_id = t.customer_id"
                " ORDER BY id LIMIT 1), group_concat(t.tag, ' ') FROM"
                " (SELECT customer_id, tag FROM customer_tags ORDER BY customer_id, tag) t"
                " GROUP BY t.customer_id ORDER BY t.customer_id"
            ).fetchall()
        return [(address, tags.split()) for address, tags in rows if address]

    def id_for_address(self, address: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT customer_id FROM identities WHERE address = ? ORDER BY id LIMIT 1",
                (address,),
            ).fetchone()
        return row[0] if row else None


def _index(conn: Connection, dialect: Dialect, customer_id: int) -> None:
    """Refresh the customer's entry in the search index (name and every address)."""
    name, addresses = conn.execute(
        "SELECT c.name, coalesce(group_concat(i.address, ' '), '') FROM customers c"
        " LEFT JOIN identities i ON i.customer_id = c.id WHERE c.id = ? GROUP BY c.id",
        (customer_id,),
    ).fetchone()
    dialect.index_customer(conn, customer_id, f"{name} {addresses}")


def _merge(conn: Connection, dialect: Dialect, keep: int, drop: int) -> None:
    conn.execute("UPDATE identities SET customer_id = ? WHERE customer_id = ?", (keep, drop))
    conn.execute("UPDATE conversations SET customer_id = ? WHERE customer_id = ?", (keep, drop))
    conn.execute(
        "INSERT INTO customer_tags SELECT ?, tag FROM customer_tags"
        " WHERE customer_id = ? ON CONFLICT DO NOTHING",
        (keep, drop),
    )
    conn.execute(
        "UPDATE customers SET first_seen = (SELECT min(x.first_seen) FROM customers x"
        " WHERE x.id IN (?, ?)),"
        " name = CASE WHEN name = '' THEN (SELECT name FROM customers WHERE id = ?)"
        " ELSE name END WHERE id = ?",
        (keep, drop, drop, keep),
    )
    conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (drop,))
    dialect.unindex_customer(conn, drop)
    conn.execute("DELETE FROM customers WHERE id = ?", (drop,))
