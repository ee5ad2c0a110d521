"""``agentdesk draft CONVERSATION_ID``: the draft the assist panel would show, for scripts.

The same backends as the panel: the model's draft when ``[llm]`` is configured (the
offline draft when it fails before any text), else, or with ``--offline``, the offline
one. JSON adds the analysis, the articles, whether the text is complete and why it
stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from agentdesk.commands import UsageError, add_db_option, database_path
from agentdesk.config import Config

if TYPE_CHECKING:
    from agentdesk.assist.backends import End, Source
    from agentdesk.assist.context import AssistContext
    from agentdesk.assist.service import Assistant


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``agentdesk draft``."""
    parser.add_argument("conversation", type=int, metavar="CONVERSATION_ID")
    parser.add_argument("--offline", action="store_true", help="the offline draft, no model")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    add_db_option(parser)
    parser.set_defaults(run=run)


async def _draft(
    assistant: Assistant, context: AssistContext, offline: bool
) -> tuple[str, Source, End]:
    from agentdesk.assist.backends import End, Job, Source, backend_for

    text, source, end = "", Source(True), End("failed", "no text")
    async for event in backend_for(assistant, offline).generate(Job("draft", context)):
        if isinstance(event, Source):
            text, source = "", event  # a fallback starts afresh
        elif isinstance(event, End):
            end = event
        else:
            text += event
    await assistant.close()
    return text, source, end


def run(args: argparse.Namespace, config: Config) -> int:
    from agentdesk.assist.service import Assistant
    from agentdesk.store import Store
    from agentdesk.text import clean

    with Store(database_path(args, config), readonly=True) as store:
        assistant = Assistant(store, config.assist)
        context = assistant.context(args.conversation)
        if context is None:
            raise UsageError(f"draft: no conversation {args.conversation}")
        text, source, end = asyncio.run(_draft(assistant, context, args.offline))
    if args.format == "json":
        print(
            json.dumps(
                {
                    "conversation": args.conversation,
                    "source": "offline" if source.offline else "llm",
                    "note": source.note,
                    "text": text,
                    "completed": end.complete,
                    "stop_reason": end.reason,
                    "notice": end.notice,
                    "mood": context.mood.label,
                    "intent": context.mood.intent,
                    "facts": list(context.mood.facts),
                    "language": context.language,
                    "articles": [
                        {"slug": s.article.slug, "title": s.article.title, "why": s.why}
                        for s in context.suggestions
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(clean(text))
        if source.note:
            print(f"({'offline draft: ' if source.offline else ''}{source.note})", file=sys.stderr)
        if not end.complete:
            print(f"not complete: {end.notice}", file=sys.stderr)
    return 0 if end.complete else 1
