"""Token arrival at the socket to on screen, in a headless app (target: median < 30 ms).

    python bench/bench_stream.py [--tokens 2000] [--interval 0.004] [--paragraph 60]

Starts the loopback OpenAI-compatible SSE server used by the tests, opens a headless
app hosting the assist panel and streams a long draft into it. For every token the
server notes when it wrote the token to the socket; the app notes when the screen
refresh after the token's text reached the Markdown widget completed. Prints the
latency median / p90 / max, for the first and the last 200 tokens (appending must not
slow down as the draft grows), and the total stream time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from openai_server import OpenAIServer, Reply  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Markdown, TextArea  # noqa: E402

from agentdesk.assist.settings import AssistSettings, LLMSettings  # noqa: E402
from agentdesk.domain import Inbound  # noqa: E402
from agentdesk.store import Store  # noqa: E402
from agentdesk.widgets.assist_panel import AssistPanel  # noqa: E402


class Host(App):
    def __init__(self, store: Store, settings: AssistSettings, conversation_id: int) -> None:
        super().__init__()
        self.store, self.settings, self.conversation_id = store, settings, conversation_id
        self.shown: dict[str, float] = {}

    def compose(self) -> ComposeResult:
        yield TextArea()
        yield AssistPanel(self.store, self.settings, composer_text=lambda: "")

    def on_mount(self) -> None:
        markdown = self.query_one("#assist-draft", Markdown)
        original = markdown.append

        async def timed_append(fragment: str):
            result = await original(fragment)
            names = fragment.split()
            self.call_after_refresh(self._painted, names)
            return result

        markdown.append = timed_append
        self.query_one(AssistPanel).show_conversation(self.conversation_id)

    def _painted(self, names: list[str]) -> None:
        now = time.perf_counter()
        for name in names:
            self.shown.setdefault(name, now)


def summary(values: list[float]) -> str:
    values = sorted(values)
    return (
        f"median {statistics.median(values):.1f} ms, p90 {values[int(len(values) * 0.9)]:.1f}"
        f" ms, max {values[-1]:.1f} ms"
    )


async def run(tokens: int, interval: float, paragraph: int) -> None:
    server = OpenAIServer()
    server.start()
    sent: list[tuple[str, float]] = []
    names = [f"w{n}" for n in range(tokens)]
    text = [
        f"{name}\n\n" if n % paragraph == paragraph - 1 else f"{name} "
        for n, name in enumerate(names)
    ]
    server.script(Reply.stream(text, delay=interval, sent=sent))
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "b.db") as store:
        conversation_id, _ = store.messages.record_inbound(
            Inbound(
                channel="email",
                address="ann@example.com",
                name="Ann Lee",
                subject="Refund",
                text="Where is my refund?",
                at="2026-01-07T12:00:00Z",
            )
        )
        settings = AssistSettings(
            LLMSettings(base_url=server.base_url, model="m", timeout=30, max_retries=0)
        )
        app = Host(store, settings, conversation_id)
        started = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            panel = app.query_one(AssistPanel)
            while len(app.shown) < tokens and time.perf_counter() - started < 120:
                await asyncio.sleep(0.05)
            await pilot.pause()
            elapsed = time.perf_counter() - started
            assert panel.text.split() == names, "draft incomplete"
    server.stop()
    latency = {token.strip(): (app.shown[token.strip()] - at) * 1000 for token, at in sent}
    ordered = [latency[name] for name in names]
    print(
        f"{tokens} tokens, one every {interval * 1000:.0f} ms, a paragraph every {paragraph}"
        f" tokens, streamed in {elapsed:.1f} s"
    )
    print(f"socket to screen, all tokens: {summary(ordered)} (target: median < 30 ms)")
    print(f"  first 200 tokens: {summary(ordered[:200])}")
    print(f"  last 200 tokens:  {summary(ordered[-200:])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=0.004)
    parser.add_argument(
        "--paragraph",
        type=int,
        default=60,
        help="tokens per paragraph (default 60, about 4 sentences)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.tokens, args.interval, args.paragraph))


if __name__ == "__main__":
    main()
