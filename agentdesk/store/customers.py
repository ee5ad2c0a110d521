"""Customers and their identities (one address per channel), merged when linked."""

from __future__ import annotations

from collections.abc import Iterator

from agentdesk import clock
from agentdesk.domain import Customer, EventKind, Identity
from agentdesk.store.database import Connection, Database, inserted
from agentdesk.store.dialect import Dialect
from agentdesk.store.events import EventLog
from agentdesk.text import tag_text

SEARCH_POOL = 500  # the newest matching customers a search ranks by last contact


class CustomerGone(KeyError):
    """A customer to merge or link to no longer exists (another desk merged it meanwhile)."""


class Customers:
    def __init__(self, db: Database, events: EventLog) -> None:
        self.db, self.events = db, events

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

    def ensure(self, channel: str, address: str, name: str = "") -> int:
        """The id of the customer known by ``address`` on ``channel``, made if new (an
        import's line about a person whose messages come later, or never)."""
        with self.db.transaction() as conn:
            return self.for_address(conn, channel, address, name, clock.now_iso())

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

    def change_tags(
        self,
        customer_id: int,
        add: list[str],
        remove: list[str],
        agent: str,
        *,
        at: str | None = None,
    ) -> bool:
        """An agent's edit of a customer's tags (``remove`` first, then ``add``); False if
        nothing changed. A change is a ``customer_tags`` event ``{added, removed}`` on
        each of the customer's conversations, so every desk showing one re-reads it."""
        added: list[str] = []
        removed: list[str] = []
        add, remove = [t for t in map(tag_text, add) if t], [tag_text(t) for t in remove]
        with self.db.transaction() as conn:
            for tag in remove:
                if conn.execute(
                    "DELETE FROM customer_tags WHERE customer_id = ? AND tag = ?",
                    (customer_id, tag),
                ).rowcount:
                    removed.append(tag)
            for tag in add:
                if conn.execute(
                    "INSERT INTO customer_tags VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (customer_id, tag),
                ).rowcount:
                    added.append(tag)
            if added or removed:
                self._tell_conversations(
                    conn,
                    customer_id,
                    EventKind.CUSTOMER_TAGS,
                    at or clock.now_iso(),
                    agent,
                    {"customer": customer_id, "added": added, "removed": removed},
                )
        return bool(added or removed)

    def add_address(
        self, customer_id: int, channel: str, address: str, agent: str, *, at: str | None = None
    ) -> int | None:
        """Link ``address`` on ``channel`` to the customer: their messages from it join
        this customer from now on. Returns None once linked (a ``customer_linked`` event
        ``{customer, channel, address}`` on each of their conversations). When someone
        has that address already nothing changes and their id comes back: this
        customer's own, or another's (a merge, which the caller confirms first). Raises
        ``CustomerGone`` when the customer no longer exists."""
        with self.db.transaction() as conn:
            if not conn.execute(
                "UPDATE customers SET name = name WHERE id = ?", (customer_id,)
            ).rowcount:
                raise CustomerGone(customer_id)
            owner = conn.execute(
                "SELECT customer_id FROM identities WHERE channel = ? AND address = ?",
                (channel, address),
            ).fetchone()
            if owner is not None:
                return int(owner[0])
            conn.execute(
                "INSERT INTO identities (customer_id, channel, address) VALUES (?, ?, ?)",
                (customer_id, channel, address),
            )
            _index(conn, self.db.dialect, customer_id)
            self._tell_conversations(
                conn,
                customer_id,
                EventKind.CUSTOMER_LINKED,
                at or clock.now_iso(),
                agent,
                {"customer": customer_id, "channel": channel, "address": address},
            )
        return None

    def merge(
        self, keep: int, drop: int, agent: str, *, at: str | None = None
    ) -> tuple[Customer, Customer]:
        """Fold customer ``drop`` into ``keep``: its conversations, addresses and tags
        move, its record goes (``keep``'s name stays, or ``drop``'s if it had none).

        Returns both as they were just before. Each conversation of the customer now
        (``keep``'s and the moved ones) gets a ``customer_merged`` event saying what
        moved (``moved``: this conversation did).
        Raises ValueError for a customer merged into itself, and ``CustomerGone`` when
        either no longer exists.
        """
        if keep == drop:
            raise ValueError("a customer cannot be merged into itself")
        with self.db.transaction() as conn:
            # Lock both rows first (PostgreSQL: a concurrent merge of either waits here,
            # then finds the row gone).
            locked = conn.execute(
                "UPDATE customers SET name = name WHERE id IN (?, ?)", (keep, drop)
            ).rowcount
            kept, merged = _read(conn, keep), _read(conn, drop)
            if locked != 2 or kept is None or merged is None:
                raise CustomerGone(keep if kept is None else drop)
            moved = {
                row[0]
                for row in conn.execute(
                    "SELECT id FROM conversations WHERE customer_id = ?", (drop,)
                ).fetchall()
            }
            _merge(conn, self.db.dialect, keep=keep, drop=drop)
            _index(conn, self.db.dialect, keep)
            payload: dict[str, object] = {
                "kept": keep,
                "kept_name": kept.name,
                "merged": drop,
                "merged_name": merged.name,
                "conversations": len(moved),
                "identities": [
                    {"channel": i.channel, "address": i.address} for i in merged.identities
                ],
                "tags": sorted(set(merged.tags) - set(kept.tags)),
            }
            self._tell_conversations(
                conn,
                keep,
                EventKind.CUSTOMER_MERGED,
                at or clock.now_iso(),
                agent,
                payload,
                moved,
            )
        return kept, merged

    def _tell_conversations(
        self,
        conn: Connection,
        customer_id: int,
        kind: EventKind,
        at: str,
        agent: str,
        payload: dict[str, object],
        moved: set[int] | None = None,
    ) -> None:
        """Append ``kind`` to every conversation of the customer (with ``moved``: each
        payload says whether that conversation is among them)."""
        for (conversation_id,) in conn.execute(
            "SELECT id FROM conversations WHERE customer_id = ? ORDER BY id", (customer_id,)
        ).fetchall():
            extra = {} if moved is None else {"moved": conversation_id in moved}
            self.events.append(conversation_id, kind, at, agent, None, {**payload, **extra})

    def search(self, text: str, limit: int = 20) -> tuple[list[Customer], int]:
        """Customers whose name or an address (email, chat handle) has every word of
        ``text`` (the last one as a prefix), most recently in contact first, at most
        ``limit``; and how many match in all. The ranking looks at the newest
        ``SEARCH_POOL`` matches only, so a one-letter search costs no more than a name."""
        if not text.split():
            return [], 0
        dialect = self.db.dialect
        phrase = dialect.search_phrase(text.split())
        with self.db.read() as conn:
            total = conn.execute(
                f"SELECT count(*) FROM customers WHERE id IN ({dialect.customer_match()})",
                (phrase,),
            ).fetchone()[0]
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM (SELECT c.id, (SELECT max(last_message_at) FROM"
                    " conversations WHERE customer_id = c.id) AS last FROM customers c"
                    " WHERE c.id IN (SELECT id FROM customers WHERE id IN"
                    f" ({dialect.customer_match()}) ORDER BY id DESC LIMIT ?)) pool"
                    " ORDER BY last IS NULL, last DESC, id DESC LIMIT ?",
                    (phrase, SEARCH_POOL, limit),
                ).fetchall()
            ]
            found = [_read(conn, customer_id) for customer_id in ids]
        return [customer for customer in found if customer is not None], int(total)

    def channels(self) -> list[str]:
        """Every channel a customer has an address on (read from the identities' index)."""
        with self.db.read() as conn:
            return [
                r[0]
                for r in conn.execute("SELECT DISTINCT channel FROM identities ORDER BY channel")
            ]

    def get(self, customer_id: int) -> Customer | None:
        with self.db.read() as conn:
            return _read(conn, customer_id)

    def linked_identities(self) -> Iterator[tuple[str, str, str, str]]:
        """``(first address, its channel, channel, address)`` of every linked identity."""
        with self.db.read() as conn:
            yield from conn.execute(
                "SELECT p.address, p.channel, i.channel, i.address FROM identities i"
                " JOIN identities p ON p.customer_id = i.customer_id"
                " AND p.id = (SELECT min(id) FROM identities WHERE customer_id = i.customer_id)"
                " WHERE i.id != p.id ORDER BY i.id"
            ).fetchall()

    def tags_by_address(self) -> list[tuple[str, str, list[str]]]:
        """``(first address, its channel, tags)`` for every customer with tags."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT i.address, i.channel, t.tags FROM"
                " (SELECT customer_id, group_concat(tag, ' ') AS tags FROM"
                " (SELECT customer_id, tag FROM customer_tags ORDER BY customer_id, tag) ordered"
                " GROUP BY customer_id) t"
                " JOIN identities i ON i.customer_id = t.customer_id"
                " AND i.id = (SELECT min(id) FROM identities WHERE customer_id = t.customer_id)"
                " ORDER BY t.customer_id"
            ).fetchall()
        return [(address, channel, tags.split()) for address, channel, tags in rows]

    def id_for_address(self, address: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT customer_id FROM identities WHERE address = ? ORDER BY id LIMIT 1",
                (address,),
            ).fetchone()
        return row[0] if row else None


def _read(conn: Connection, customer_id: int) -> Customer | None:
    """The customer with their identities, tags, conversation count and last contact."""
    row = conn.execute(
        "SELECT id, name, first_seen,"
        " (SELECT count(*) FROM conversations WHERE customer_id = customers.id) AS n,"
        " (SELECT max(last_message_at) FROM conversations"
        "  WHERE customer_id = customers.id) AS last_contact"
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
            "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag", (customer_id,)
        )
    )
    return Customer(
        row["id"], row["name"], row["first_seen"], identities, row["n"], tags, row["last_contact"]
    )


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
