"""``agentdesk kb import [DIR]`` and ``agentdesk kb search QUERY``: the knowledge base."""

from __future__ import annotations

import argparse

from agentdesk.commands import UsageError, database_path, tell_if_new
from agentdesk.config import Config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("kb", help="import and search help-centre articles")
    actions = parser.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    importer = actions.add_parser(
        "import", help="import Markdown articles (re-import updates and removes)"
    )
    importer.add_argument(
        "directory", nargs="?", help="folder of *.md files with front matter (default: [kb] dir)"
    )
    importer.add_argument("--db", help="database file (default: from config)")
    importer.set_defaults(run=run_import)
    search = actions.add_parser("search", help="the articles that best match a query")
    search.add_argument("query", nargs="+", help="words to look for")
    search.add_argument("--db", help="database file (default: from config)")
    search.add_argument("--limit", type=int, default=5, help="how many (default 5)")
    search.set_defaults(run=run_search)


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
    from agentdesk.assist.words import keywords, tokens
    from agentdesk.store import Store

    text = " ".join(args.query)
    terms = keywords([text], limit=20) or tokens(text)
    with Store(database_path(args, config), readonly=True) as store:
        hits = store.kb.search(terms, max(1, args.limit))
    if not hits:
        print("no matching articles")
        return 1
    for number, hit in enumerate(hits, 1):
        print(f"{number}. {hit.article.title}  [{hit.article.slug}]")
        if hit.article.url:
            print(f"   {hit.article.url}")
        print(f"   matches: {', '.join(hit.matched)}")
        print(f"   {hit.snippet}")
    return 0
