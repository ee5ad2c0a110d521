"""The assist panel: mood and intent, KB suggestions and a streamed draft reply.

The panel never sends anything: it posts ``AssistPanel.Insert`` for the screen to put
text in the composer (with the assist use to record: a rewrite accepted, an article
inserted), and reads the composer through the ``composer_text`` callable.
Generation runs in one exclusive async worker that shows the events of a draft backend
(``agentdesk.assist.backends``: who writes, the text, how it ended); a model's tokens are
appended to a ``MarkdownStream`` (never re-rendering the whole draft), while the offline
rules' text, which comes whole and is the plain text the composer gets, is shown as it is
in one ``Static`` (no Markdown blocks mounted for it: opening a conversation draws the
analysis and the offline draft in one screen update). The conversation is read
and analysed in a thread (``asyncio.to_thread``), where the assistant and its heavy
imports (openai, vaderSentiment) are first loaded, and the result applied on the UI
loop, unless the panel has moved on to another conversation meanwhile.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Markdown, Static

from agentdesk.assist import structure
from agentdesk.assist.backends import End, Job, Source, backend_for
from agentdesk.assist.context import AssistContext
from agentdesk.assist.kb import article_answer, article_link
from agentdesk.assist.presend import Finding, check, check_conversation
from agentdesk.assist.settings import AssistSettings
from agentdesk.domain import EventKind
from agentdesk.text import clean, one_line

if TYPE_CHECKING:
    from agentdesk.assist.service import Assistant
    from agentdesk.store.kb import KbArticle

TONE_NAMES = {"friendlier": "friendlier", "concise": "more concise", "formal": "more formal"}
TITLES = {"draft": "Draft", "summary": "Summary", "rewrite": "Rewrite: {tone}"}
_DIFF_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
ARTICLES = ("#assist-kb",)  # parts of the panel (AssistPanel._show)
DRAFT = ("#assist-title", "#assist-scroll", "#assist-status")

# An assist use the screen records as an event: its kind and payload.
Use = tuple[EventKind, dict[str, object]]


def word_diff(old: str, new: str) -> Text:
    """``new`` against ``old``: removed words struck through in red, added ones green."""
    a, b = _DIFF_TOKEN.findall(old), _DIFF_TOKEN.findall(new)
    result = Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            result.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            result.append("".join(a[i1:i2]), style="red strike")
        if j2 > j1:
            result.append("".join(b[j1:j2]), style="green bold")
    return result


class AssistPanel(Vertical, can_focus=True):
    """Mood line, KB suggestions, the streamed draft and a status line."""

    DEFAULT_CSS = """
    AssistPanel { width: 1fr; min-width: 36; border-left: solid $accent; padding: 0 1; }
    AssistPanel:focus-within { border-left: thick $accent; }
    AssistPanel #assist-mood { height: auto; min-height: 2; text-style: bold; }
    AssistPanel #assist-kb { height: auto; max-height: 12; margin-bottom: 1; }
    AssistPanel #assist-title { text-style: bold; color: $text-muted; }
    AssistPanel #assist-scroll { height: 1fr; }
    AssistPanel #assist-draft { margin: 0; padding: 0; }
    AssistPanel #assist-plain { height: auto; }
    AssistPanel #assist-diff { height: auto; }
    AssistPanel #assist-status { height: auto; min-height: 2; color: $text-muted; }
    """

    BINDINGS = [
        Binding(
            "enter",
            "accept(True)",
            "Use draft",
            id="assist.accept",
            tooltip="Use the assist draft in the composer",
        ),
        Binding(
            "i",
            "accept(False)",
            "Insert draft",
            id="assist.insert",
            tooltip="Insert the assist draft at the cursor",
        ),
        Binding("g", "regenerate", "Regenerate", id="assist.regenerate", tooltip="Draft again"),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="assist.cancel",
            tooltip="Stop the assist stream or discard a rewrite",
        ),
        Binding(
            "d",
            "offline_draft",
            "Offline draft",
            id="assist.offline",
            tooltip="Offline draft (no model)",
        ),
        Binding(
            "f",
            "rewrite('friendlier')",
            "Friendlier",
            id="assist.friendlier",
            tooltip="Rewrite the reply friendlier",
        ),
        Binding(
            "c",
            "rewrite('concise')",
            "Concise",
            id="assist.concise",
            tooltip="Rewrite the reply more concise",
        ),
        Binding(
            "F",
            "rewrite('formal')",
            "Formal",
            id="assist.formal",
            tooltip="Rewrite the reply more formal",
        ),
        Binding("s", "summarise", "Summary", id="assist.summary", tooltip="Summarise the thread"),
        Binding(
            "1",
            "insert_article(0)",
            "Article 1",
            id="assist.article1",
            tooltip="Insert article 1's answer and link",
        ),
        Binding(
            "2",
            "insert_article(1)",
            "Article 2",
            show=False,
            id="assist.article2",
            tooltip="Insert article 2's answer and link",
        ),
        Binding(
            "3",
            "insert_article(2)",
            "Article 3",
            show=False,
            id="assist.article3",
            tooltip="Insert article 3's answer and link",
        ),
        Binding(
            "l",
            "insert_links",
            "Links",
            id="assist.links",
            tooltip="Insert the suggested articles' links",
        ),
    ]

    class Insert(Message):
        """Put ``text`` in the composer (``replace`` its text, or insert at the cursor);
        ``uses`` are the assist uses it makes, to record as events."""

        def __init__(self, text: str, replace: bool, uses: tuple[Use, ...] = ()) -> None:
            super().__init__()
            self.text = text
            self.replace = replace
            self.uses = uses

    def __init__(
        self,
        store,
        settings: AssistSettings,
        composer_text: Callable[[], str],
        *,
        id: str | None = "assist",
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store, self.settings = store, settings
        self.assistant: Assistant | None = None  # made in a thread on first use
        self._making = threading.Lock()
        self.composer_text = composer_text
        self.conversation_id: int | None = None
        self.context: AssistContext | None = None
        self.kind = "draft"  # draft | rewrite | summary
        self.text = ""  # everything streamed for the current kind
        self.rewrite_of: str | None = None  # composer text a finished rewrite replaces
        self.tone = ""  # … and the rewrite's tone
        self.streaming = False
        self.accepted_text: str | None = None  # last draft put in the composer
        self.accepted_from_model = False  # … and whether a model wrote it
        self._source = Source(True)  # who wrote the text shown
        self.status = ""
        self._view = asyncio.Lock()  # one generation owns the draft view at a time
        self._markdown_written = False  # the Markdown view holds a model's text

    def compose(self) -> ComposeResult:
        yield Static(id="assist-mood")
        yield Static(id="assist-kb")
        yield Label("Draft", id="assist-title")
        with VerticalScroll(id="assist-scroll"):
            yield Static(id="assist-plain")  # the offline rules' text
            markdown = Markdown(id="assist-draft", open_links=False)  # a model's, streamed
            markdown.display = False
            yield markdown
            diff = Static(id="assist-diff")
            diff.display = False
            yield diff
        yield Static(id="assist-status")

    # ---- conversation ----------------------------------------------------------------
    def show_conversation(self, conversation_id: int, generate: bool = True) -> None:
        """Analyse ``conversation_id`` and (when ``generate``) stream a new draft.

        Work still running for the previous conversation is cancelled; the analysis runs
        in a thread, so the screen stays live meanwhile.
        """
        self.stop()
        self.conversation_id = conversation_id
        self.accepted_text = None
        self.context = None
        self.kind, self.text, self.rewrite_of, self.status = "draft", "", None, ""
        self._show_analysis(reading=True)
        self._open(conversation_id, "draft" if generate else "")

    def stop(self) -> None:
        """Cancel the stream and any analysis in flight (an unfinished open is forgotten,
        so showing the conversation again starts it anew)."""
        self.workers.cancel_group(self, "assist")
        self.workers.cancel_group(self, "assist-analysis")
        if self.context is None:
            self.conversation_id = None

    def refresh_analysis(self, conversation_id: int) -> None:
        """Re-read mood and suggestions after the conversation changed; the draft stays.

        When the customer wrote again, the status line says so (``g`` drafts again).
        """
        if conversation_id == self.conversation_id and self.context is not None:
            self._refresh(conversation_id)

    @work(exclusive=True, exit_on_error=False, group="assist")
    async def _open(self, conversation_id: int, kind: str) -> None:
        context = await asyncio.to_thread(self._read, conversation_id)
        if conversation_id != self.conversation_id:
            return  # the agent moved on meanwhile: the result is dropped
        self.context = context
        self._show_analysis()
        if context is not None:
            async with self._view:
                await self._generate(kind, None, "", False)

    @work(exclusive=True, exit_on_error=False, group="assist-analysis")
    async def _refresh(self, conversation_id: int) -> None:
        context = await asyncio.to_thread(self._read, conversation_id)
        if conversation_id != self.conversation_id or context is None or self.context is None:
            return  # moved on, deleted, or a new open is under way
        before, self.context = self.context.customer_texts, context
        self._show_analysis()
        if context.customer_texts != before and not self.streaming:
            self._set_status("the customer wrote again · g: draft again")

    def _read(self, conversation_id: int) -> AssistContext | None:
        """(In a thread) the conversation's context; the assistant is made on first use."""
        with self._making:
            if self.assistant is None:
                from agentdesk.assist.service import Assistant

                self.assistant = Assistant(self.store, self.settings)
        return self.assistant.context(conversation_id)

    def _show_analysis(self, reading: bool = False) -> None:
        mood = self.query_one("#assist-mood", Static)
        kb = self.query_one("#assist-kb", Static)
        if self.context is None:
            line = "Reading the conversation…" if reading else "No conversation."
            # The line keeps the mood's height: nothing below it moves, twice per open.
            mood.update(Text(line + "\n" * max(0, mood.size.height - 1)))
            self._show(ARTICLES + DRAFT, False)
            return
        self._show(ARTICLES)
        style = {"angry": "bold red", "frustrated": "bold yellow", "positive": "bold green"}.get(
            self.context.mood.label, "bold"
        )
        mood.update(Text(one_line(self.context.mood.line(), 200), style=style))
        lines = Text()
        if not self.context.suggestions:
            lines.append("No matching help-centre articles.", style="dim")
        for number, hit in enumerate(self.context.suggestions, 1):
            if number > 1:
                lines.append("\n")
            lines.append(f"{number} ", style="bold reverse")
            lines.append(f" {one_line(hit.article.title, 70)}", style="bold")
            lines.append(f"  matches: {', '.join(hit.matched)}", style="cyan")
            lines.append(f"\n   {one_line(hit.snippet, 160)}", style="dim")
        kb.update(lines)

    def _show(self, parts: tuple[str, ...], shown: bool = True) -> None:
        """Show (or hide) ``parts`` of the panel (``ARTICLES``, ``DRAFT``).

        Hidden while the next conversation is read, rather than emptied: the last
        conversation's text is never seen, and nothing changes size, so an open lays the
        screen out once and draws nothing of the panel but its mood line.
        """
        for name in parts:
            self.query_one(name).visible = shown

    # ---- generation ------------------------------------------------------------------
    def _set_status(self, status: str) -> None:
        self.status = status
        self.query_one("#assist-status", Static).update(Text(status))

    def _show_diff(self, diff: Text | None) -> None:
        """The rewrite's word diff in place of the draft, or (None) the draft again."""
        widget = self.query_one("#assist-diff", Static)
        widget.display = diff is not None
        widget.update(diff or "")
        self.query_one("#assist-plain").display = diff is None and not self._markdown_written
        self.query_one("#assist-draft").display = diff is None and self._markdown_written

    def _show_text(self, text: Text) -> None:
        """Plain ``text`` as the draft (the Markdown view is hidden, its blocks kept)."""
        self._markdown_written = False
        self.query_one("#assist-plain", Static).update(text)
        self._show_diff(None)

    async def _markdown_stream(self):
        """An empty Markdown view, shown, and its stream (``Markdown.get_stream``)."""
        markdown = self.query_one("#assist-draft", Markdown)
        if markdown.source:
            await markdown.update("")
        self.query_one("#assist-plain", Static).update("")
        self._markdown_written = True
        self._show_diff(None)
        return Markdown.get_stream(markdown)

    def _title(self, title: str) -> None:
        self.query_one("#assist-title", Label).update(title)

    @work(exclusive=True, exit_on_error=False, group="assist")
    async def generate(
        self, kind: str, tone: str | None = None, original: str = "", offline: bool = False
    ) -> None:
        """Stream a draft / rewrite / summary into the panel (Esc keeps what arrived).

        ``kind`` "" only clears the view. A cancelled generation finishes writing what it
        received before the next one takes the view.
        """
        async with self._view:
            await self._generate(kind, tone, original, offline)

    async def _generate(self, kind: str, tone: str | None, original: str, offline: bool) -> None:
        if self.context is None or self.assistant is None:
            return
        if not kind:
            self.text = ""
            self._title("Draft")
            self._show_text(Text())
            self._set_status("g: draft a reply")
            self._show(DRAFT)
            return
        self.kind, self.text = kind, ""
        self.rewrite_of = original if kind == "rewrite" else None
        self.tone = tone or ""
        self._show_text(Text())
        self._show(DRAFT)
        stream = None  # a model's text goes to a MarkdownStream, the offline text not
        scroll = self.query_one("#assist-scroll", VerticalScroll)
        scroll.anchor(False)
        scroll.scroll_home(animate=False, immediate=True)
        self.streaming = True
        job = Job(kind, self.context, tone or "", original)
        source = Source(True)
        try:
            async for event in backend_for(self.assistant, offline).generate(job):
                if isinstance(event, Source):
                    source = self._source = event
                    self._show_source(kind, tone, source)
                    self.text = ""  # the fallback starts afresh
                    if stream is not None:
                        await stream.stop()
                        stream = None
                    if source.offline:
                        self._show_text(Text())
                    else:
                        stream = await self._markdown_stream()
                elif isinstance(event, End):
                    self._show_end(kind, source, event)
                else:
                    await self._write(stream, event)
        except asyncio.CancelledError:
            self._set_status("stopped; kept what had streamed")
            self.rewrite_of = None  # half a rewrite is never offered for the composer
            raise
        finally:
            self.streaming = False
            if stream is not None:
                await stream.stop()
            if self.rewrite_of is not None and self.text.strip():
                self._show_diff(word_diff(original, self.text))

    def _show_source(self, kind: str, tone: str | None, source: Source) -> None:
        """Title and status for who writes: the model (streaming) or the offline rules."""
        title = TITLES[kind].format(tone=TONE_NAMES.get(tone or "", ""))
        scroll = self.query_one("#assist-scroll", VerticalScroll)
        if source.offline:
            self._title(f"Offline {title[0].lower()}{title[1:]}")
            scroll.anchor(False)
        else:
            self._title(title)
            self._set_status("streaming from the model… Esc stops")
            scroll.anchor()  # follow the text as it streams in

    def _show_end(self, kind: str, source: Source, end: End) -> None:
        """The status line for how the text ended; partial text is never "ready"."""
        what = ("offline " if source.offline else "") + TITLES[kind].split(":")[0].lower()
        if end.complete:
            if source.fallback:
                what = f"{source.note}, showing {what}"
            elif source.note:
                what = f"{what} ({source.note})"
            if end.notice:  # e.g. written in English: the article is in English
                what = f"{what} · {end.notice}"
            self._set_status(self._ready(what))
            return
        self.rewrite_of = None  # a partial or unchanged rewrite is never offered
        if end.reason == "unchanged":
            self._set_status(f"{end.notice}; the composer is unchanged")
        elif self.text.strip():
            self._set_status(f"{end.notice}; kept the partial text · d: offline draft")
        else:
            self._set_status(f"{end.notice} · d: offline draft")

    async def _write(self, stream, token: str) -> None:
        """Append ``token`` (cleaned) to the draft: to the model's stream, or (``stream``
        None) to the plain offline text."""
        token = clean(token)
        self.text += token
        if stream is None:
            self.query_one("#assist-plain", Static).update(Text(self.text))
            return
        # Line breaks stay line breaks on screen (Markdown would join them).
        await stream.write(token.replace("\n", "  \n"))

    def _ready(self, what: str) -> str:
        if self.kind == "rewrite":
            return f"{what} · Enter: replace the composer text · Esc: keep yours"
        if self.kind == "summary":
            return f"{what} · Enter or i: insert at the composer's cursor · g: draft a reply"
        return f"{what} · Enter: replace composer · i: insert · g: again"

    # ---- actions ---------------------------------------------------------------------
    def action_regenerate(self) -> None:
        if self.context is not None:
            self.generate("draft")

    def action_offline_draft(self) -> None:
        if self.context is not None:
            self.generate("draft", offline=True)

    def action_summarise(self) -> None:
        if self.context is not None:
            self.generate("summary")

    def action_rewrite(self, tone: str) -> None:
        original = self.composer_text()
        if not original.strip():
            self._set_status("The composer is empty: write or accept a draft first.")
            return
        self.generate("rewrite", tone, original)

    def action_cancel(self) -> None:
        """Esc: stop the stream (keeping its text), or drop a proposed rewrite."""
        if self.streaming:
            self.workers.cancel_group(self, "assist")
        elif self.kind == "rewrite" and self.rewrite_of is not None:
            self.rewrite_of = None
            self._show_diff(None)
            self._set_status("rewrite discarded; the composer is unchanged")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc belongs to the screen unless there is a stream or a rewrite to cancel."""
        if action == "cancel":
            return self.streaming or (self.kind == "rewrite" and self.rewrite_of is not None)
        return True

    def action_accept(self, replace: bool) -> None:
        """Put the draft (or the accepted rewrite) in the composer."""
        text = self.text.strip()
        if not text or self.streaming:
            self._set_status("Nothing to use yet." if not text else "Still streaming: Esc first.")
            return
        if self.kind == "rewrite":
            if self.rewrite_of is None:
                return
            by = "offline" if self._source.offline else "model"
            used: Use = (EventKind.REWRITE_USED, {"tone": self.tone, "by": by})
            self.post_message(self.Insert(text, True, (used,)))
            self.rewrite_of = None
            self._show_diff(None)
            self._set_status("rewrite accepted")
            return
        if self.kind == "draft":
            self.accepted_text = text
            self.accepted_from_model = not self._source.offline
        else:  # a summary is added to what the agent wrote, never replaces it
            replace = False
        self.post_message(self.Insert(text, replace))
        self._set_status("in the composer: edit, then send" if replace else "inserted")

    def presend_findings(self, reply: str, conversation_id: int) -> list[Finding]:
        """The pre-send check of ``reply`` (fast and local: run on the UI thread)."""
        if self.context is None or self.context.conversation.id != conversation_id:
            return check_conversation(self.store, conversation_id, reply, self.settings.presend)
        texts, upset = self.context.customer_texts, self.context.mood.upset
        mine = self.conversation_id == conversation_id
        return check(
            reply,
            texts,
            upset,
            draft=self.accepted_text if mine else None,
            from_model=mine and self.accepted_from_model,
            enabled=self.settings.presend,
        )

    def action_insert_article(self, index: int) -> None:
        if self.context is None or index >= len(self.context.suggestions):
            self._set_status(f"No article {index + 1}.")
            return
        article = self.context.suggestions[index].article
        self._insert_in_body(article_answer(article), (_inserted(article, "answer"),))
        self._set_status(f"inserted: {article.title}")

    def _insert_in_body(self, text: str, uses: tuple[Use, ...]) -> None:
        """Before the composer's signature when it has one, else at its cursor."""
        current = self.composer_text()
        if structure.split(current).signature:
            text = structure.insert_before_signature(current, text)
            self.post_message(self.Insert(text, True, uses))
        else:
            self.post_message(self.Insert(text, False, uses))

    def action_insert_links(self) -> None:
        if self.context is None or not self.context.suggestions:
            self._set_status("No articles to link.")
            return
        articles = [hit.article for hit in self.context.suggestions]
        links = "\n".join(article_link(article) for article in articles)
        self._insert_in_body(links, tuple(_inserted(article, "link") for article in articles))
        self._set_status("inserted the article links")

    async def on_unmount(self) -> None:
        if self.assistant is not None:
            await self.assistant.close()


def _inserted(article: KbArticle, what: str) -> Use:
    """The event for one article put in the composer (``what``: its answer or its link)."""
    return (EventKind.ARTICLE_INSERTED, {"article": article.slug, "as": what})
