"""``agentdesk kb import``: Markdown files with front matter into the KB tables.

A file looks like::

    ---
    title: Refund a charge
    tags: [billing, refund]
    url: https://help.example.com/refunds
    ---
    Body in Markdown…

Re-importing a directory updates changed articles (by content hash), adds new ones and
removes articles whose file is gone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from agentdesk.text import clean


class KbImportError(Exception):
    """The directory cannot be imported (one line for the user)."""


@dataclass
class ImportResult:
    """Counts of what an import changed; ``skipped`` lists files that could not be read."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    tags: list[str]
    url: str
    body: str


def parse_article(text: str, fallback_title: str) -> ParsedArticle:
    """Front matter (``key: value`` lines between ``---``) and the Markdown body."""
    text = clean(text.lstrip("\ufeff"))
    meta: dict[str, str] = {}
    match = re.match(r"---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", text, re.DOTALL)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                meta[key.strip().lower()] = value.strip()
        text = text[match.end() :]
    body = text.strip()
    title = _unquote(meta.get("title", ""))
    if not title:
        heading = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
        title = heading.group(1).strip() if heading else fallback_title
    if body.startswith("# "):  # the title heading is not part of the searchable body
        body = body.partition("\n")[2].strip()
    raw_tags = meta.get("tags", "").strip().strip("[]")
    tags = [t for t in (_unquote(t).lower().replace(" ", "-") for t in raw_tags.split(",")) if t]
    return ParsedArticle(title, tags, _unquote(meta.get("url", "")), body)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def import_kb(store, directory: Path | str) -> ImportResult:
    """Import every ``*.md`` under ``directory`` into ``store`` (a ``Store``)."""
    root = Path(directory)
    if not root.is_dir():
        raise KbImportError(f"{root}: not a directory")
    files = sorted(p for p in root.rglob("*.md") if p.is_file())
    stored = store.kb.hashes()
    result = ImportResult()
    seen: set[str] = set()
    for path in files:
        slug = path.relative_to(root).with_suffix("").as_posix()
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            result.skipped.append(f"{path}: {error}")
            if slug in stored:  # unreadable now: keep the last good version
                seen.add(slug)
            continue
        seen.add(slug)
        article = parse_article(raw, slug.rsplit("/", 1)[-1].replace("-", " ").capitalize())
        if not article.body:
            result.skipped.append(f"{path}: empty article")
            seen.discard(slug)
            continue
        digest = hashlib.sha256(
            "\0".join([article.title, " ".join(article.tags), article.url, article.body]).encode()
        ).hexdigest()
        if stored.get(slug) == digest:
            result.unchanged += 1
            continue
        store.kb.upsert(
            slug, str(path), article.title, article.tags, article.url, article.body, digest
        )
        if slug in stored:
            result.updated += 1
        else:
            result.added += 1
    gone = [slug for slug in stored if slug not in seen]
    if gone:
        store.kb.delete(gone)
    result.removed = len(gone)
    return result
