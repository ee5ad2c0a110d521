"""Read queries for import/export and the demo summary (counts, full export rows)."""

from __future__ import annotations


class TransferMixin:
    """Whole-database reads that import, export and the demo generator need."""

    db: object  # Locked, set by Store

    def table_counts(self) -> dict[str, int]:
        """Row counts of the main tables, plus customers with identities on 2+ channels."""
        with self.db.read() as conn:
            counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("agents", "customers", "identities", "conversations",
                                    "messages", "events", "attachments", "canned_replies")}
            counts["linked_customers"] = conn.execute(
                "SELECT count(*) FROM (SELECT customer_id FROM identities GROUP BY customer_id"
                " HAVING count(DISTINCT channel) > 1)").fetchone()[0]
        return counts
