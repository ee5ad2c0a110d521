"""Knowledge-base articles: storage, re-import bookkeeping and ranked search.

Ranking weights title over tags over body (SQLite: FTS5 BM25, migration 2 in
``schema.py``; PostgreSQL: weighted ``ts_rank``, ``postgres_schema.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from agentdesk import clock
from agentdesk.store.database import Database, Row

CANDIDATES = 20  # best BM25 articles re-ranked by term coverage and intent


@dataclass(frozen=True)
class KbArticle:
    """One help-centre article as imported (``slug`` is its path without ``.md``)."""

    id: int
    slug: str
    title: str
    tags: tuple[str, ...]
    url: str
    body: str


@dataclass(frozen=True)
class KbHit:
    """A ranked search result: the article, a snippet and the query terms it contains."""

    article: KbArticle
    snippet: str
    matched: tuple[str, ...]
    score: float


def _article(row: Row) -> KbArticle:
    return KbArticle(
        row["id"], row["slug"], row["title"], tuple(row["tags"].split()), row["url"], row["body"]
    )


class KnowledgeBase:
    """KB reads and writes; the importer in ``agentdesk.assist.kbimport`` drives them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def hashes(self) -> dict[str, str]:
        """``slug -> content hash`` of every stored article."""
        with self.db.read() as conn:
            return {r[0]: r[1] for r in conn.execute("SELECT slug, hash FROM kb_articles")}

    def upsert(
        self,
        slug: str,
        path: str,
        title: str,
        tags: list[str],
        url: str,
        body: str,
        content_hash: str,
    ) -> None:
        """Insert the article or replace the stored one with the same slug."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO kb_articles (slug, path, title, tags, url, body, hash, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET"
                " path = excluded.path, title = excluded.title, tags = excluded.tags,"
                " url = excluded.url, body = excluded.body, hash = excluded.hash,"
                " updated_at = excluded.updated_at",
                (slug, path, title, " ".join(tags), url, body, content_hash, clock.now_iso()),
            )

    def delete(self, slugs: list[str]) -> None:
        with self.db.transaction() as conn:
            conn.executemany("DELETE FROM kb_articles WHERE slug = ?", [(s,) for s in slugs])

    def count(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute("SELECT count(*) FROM kb_articles").fetchone()[0])

    def article(self, slug: str) -> KbArticle | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM kb_articles WHERE slug = ?", (slug,)).fetchone()
        return _article(row) if row else None

    def search(self, terms: list[str], limit: int = 3) -> list[KbHit]:
        """Articles matching ANY of ``terms`` (each quoted, never FTS syntax), best first.

        BM25 ranks a bounded candidate set; each candidate's score is then scaled by
        the share of the query terms it contains (the classic coordination factor, so
        an article matching one rare word does not beat one answering the question).
        Snippets are computed only for the rows returned. ``assist.ranking`` re-ranks
        these candidates for the panel and the CLI.
        """
        terms = [t for t in dict.fromkeys(t.strip().lower() for t in terms) if t]
        if not terms:
            return []
        dialect = self.db.dialect
        any_sql, any_params = dialect.kb_any(terms)
        with self.db.read() as conn:
            pool = conn.execute(
                dialect.kb_pool(any_sql), (*any_params, max(limit * 4, CANDIDATES))
            ).fetchall()
            if not pool:
                return []
            scores = {r[0]: r[1] for r in pool}
            matched: dict[int, list[str]] = {i: [] for i in scores}
            for term in terms:
                for row in conn.execute(
                    dialect.kb_having(len(scores)), (dialect.kb_term(term), *scores)
                ):
                    matched[row[0]].append(term)
            for rowid in scores:  # ranks are negative: lower is better
                scores[rowid] *= len(matched[rowid]) / len(terms)
            top = sorted(scores, key=lambda rowid: scores[rowid])[:limit]
            hits = []
            for rowid in top:
                row = conn.execute(dialect.kb_hit(any_sql), (*any_params, rowid)).fetchone()
                hits.append(
                    KbHit(
                        _article(row),
                        " ".join(row["snip"].split()),
                        tuple(matched[rowid]),
                        scores[rowid],
                    )
                )
        return hits

    def frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many articles contain each of ``terms`` (for weighting rare words up)."""
        dialect = self.db.dialect
        with self.db.read() as conn:
            return {
                term: int(conn.execute(dialect.kb_count(), (dialect.kb_term(term),)).fetchone()[0])
                for term in terms
            }

    def customer_texts(self, since_iso: str, limit: int, chars: int) -> list[str]:
        """The newest ``limit`` customer messages since ``since_iso`` (auto-replies left
        out), each cut to its first ``chars`` characters: what ``kb gaps`` reads."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT substr(body, 1, ?) FROM messages WHERE direction = 'in' AND auto = 0"
                " AND at >= ? ORDER BY at DESC LIMIT ?",
                (chars, since_iso, limit),
            ).fetchall()
        return [str(row[0]) for row in rows]
