"""``agentdesk kb import [DIR]``, ``kb search QUERY`` and ``kb gaps``: the knowledge base."""

from __future__ import annotations

import argparse
import json

from agentdesk.commands import UsageError, add_db_option, database_path, tell_if_new
from agentdesk.config import Config


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk kb``."""
    actions = parser.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    importer = actions.add_parser(
        "import", help="import Markdown articles (re-import updates and removes)"
    )
    importer.add_argument(
        "directory", nargs="?", help="folder of *.md files with front matter (default: [kb] dir)"
    )
    add_db_option(importer)
    importer.set_defaults(run=run_import)
    search = actions.add_parser("search", help="the articles that best match a query")
    search.add_argument("query", nargs="+", help="words to look for")
    add_db_option(search)
    search.add_argument("--limit", type=int, default=5, help="how many (default 5)")
    search.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    search.set_defaults(run=run_search)
    gaps = actions.add_parser(
        "gaps", help="recent customer questions no article answers, most frequent first"
    )
    gaps.add_argument("--since", default="30d", help="7d, 30d, 2w or YYYY-MM-DD (default 30d)")
    gaps.add_argument("--limit", type=int, default=500, help="newest messages read (500)")
    gaps.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    add_db_option(gaps)
    gaps.set_defaults(run=run_gaps)


def run_import(args: argparse.Namespace, config: Config) -> int:
    from agentdesk.assist.kbimport import KbImportError, import_kb
    from agentdesk.store import Store

    directory = args.directory or config.assist.kb_dir
    if directory is None:
        raise UsageError("kb import: give a DIR or set dir in the [kb] table of the config")
    with tell_if_new(Store(database_path(args, config))) as store:
        try:
            result = import_kb(store, directory)
        except KbImportError as error:
            raise UsageError(str(error)) from None
        total = store.kb.count()
    for problem in result.skipped:
        print(f"skipped {problem}")
    print(f"{result.line()}; {total} article(s) in the knowledge base")
    return 0


def run_search(args: argparse.Namespace, config: Config) -> int:
    """Rank articles for the query as the assist panel ranks them for a customer message."""
    from agentdesk.assist.ranking import rank
    from agentdesk.store import Store

    text = " ".join(args.query)
    with Store(database_path(args, config), readonly=True) as store:
        hits = rank(store, [text], limit=max(1, args.limit))
    if args.format == "json":
        rows = [
            {
                "slug": hit.article.slug,
                "title": hit.article.title,
                "url": hit.article.url,
                "score": hit.score,
                "why": hit.why,
            }
            for hit in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0 if hits else 1
    if not hits:
        print("no matching articles")
        return 1
    for number, hit in enumerate(hits, 1):
        print(f"{number}. {hit.article.title}  [{hit.article.slug}]")
        if hit.article.url:
            print(f"   {hit.article.url}")
        print(f"   {hit.why}")
        print(f"   {hit.snippet}")
    return 0


def run_gaps(args: argparse.Namespace, config: Config) -> int:
    """List the intents and questions of recent customer messages no article answers."""
    from agentdesk.assist.gaps import find_gaps
    from agentdesk.assist.words import SCAN_CHARS
    from agentdesk.metrics.period import PeriodError, parse_period
    from agentdesk.store import Store

    try:
        period = parse_period(args.since, None)
    except PeriodError as error:
        raise UsageError(f"kb gaps: {error}") from None
    with Store(database_path(args, config), readonly=True) as store:
        texts = store.kb.customer_texts(period.since_iso, max(1, args.limit), SCAN_CHARS)
        gaps, read = find_gaps(store, texts)
    if args.format == "json":
        rows = [
            {
                "intent": gap.intent,
                "count": gap.count,
                "questions": [{"text": q, "count": n} for q, n in gap.questions],
            }
            for gap in gaps
        ]
        print(json.dumps({"since": period.since_iso, "messages": read, "gaps": rows}, indent=2))
        return 0
    unanswered = sum(gap.count for gap in gaps)
    print(
        f"{unanswered} of {read} customer messages since {period.since_iso[:10]} have no "
        "article that answers them"
    )
    for gap in gaps:
        print(f"{gap.intent}  {gap.count}")
        for question, count in gap.questions[:5]:
            print(f"  {count}x {question}")
    return 0
