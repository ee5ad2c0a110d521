"""Every stream ending against a real llama.cpp server (llama-cpp-python) on a tiny model.

    python bench/bench_llamacpp.py [--timeout 3] [--words 1500] [--log FILE]

Needs ``pip install 'llama-cpp-python[server]' gguf`` (llama-cpp-python compiles
llama.cpp from source, which is why this is a bench script and not a test: see
bench/README.md for how long that takes here). Writes the tiny model of
``bench/llama_tiny.py`` (it streams ``--words`` known tokens, then stops), starts
``python -m llama_cpp.server`` on a free loopback port and makes a desk (the tests' small
desk and help centre, in a temporary SQLite file). Then, through the desk's own assist
path (the draft backends the panel and ``agentdesk draft`` use, ``assist/backends.py``):

1. a full draft: every token, ``finish_reason: stop``: complete;
2. ``[llm] max_tokens = 40``: "stopped at the length limit (40 tokens)", the 40 tokens kept;
3. the server killed (SIGKILL, by its PID) mid-stream: cut off, the partial text kept;
4. the server stopped (SIGSTOP) mid-stream: "stopped sending for … s" after ``timeout``;
5. a hung endpoint (SIGSTOP before the request): "did not answer for … s" at
   ``timeout``, then the offline draft, and the time the desk really waited;
6. another client's request: the server ends the first stream with ``[DONE]`` and no
   finish reason (``interrupt_requests``): cut off;
7. ``agentdesk draft --format json`` (a child process) for 1 and 2;
8. the real app under Pilot: the length stop and a kill mid-stream as the status line
   shows them, the partial text kept, and ``d`` giving the offline draft.

Prints each ending with its timings (wall and CPU: this process, the CLI children, and
the server from /proc) and exits 1 if any ending is not what the desk should say.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402
from assist_data import write_kb  # noqa: E402
from desk_data import build_desk  # noqa: E402

from agentdesk.assist.backends import End, Job, Source, backend_for  # noqa: E402
from agentdesk.assist.kbimport import import_kb  # noqa: E402
from agentdesk.assist.service import Assistant  # noqa: E402
from agentdesk.config import Config, parse_config  # noqa: E402
from agentdesk.store import Store  # noqa: E402
from bench import llama_tiny  # noqa: E402

AFTER = 20  # fragments that arrive before the server is killed or stopped
LENGTH = 40  # max_tokens for the length stop
READY_WITHIN = 300.0  # seconds for the server to load the model and answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_cpu(pid: int) -> float:
    """CPU seconds of a live process (user + system), from /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu(children: bool = False) -> float:
    """CPU seconds of this process, or of its finished children (the CLI runs; a killed
    server is one too once reaped, so the drafts count this process alone)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


class LlamaServer:
    """``python -m llama_cpp.server`` on loopback; killed, stopped and resumed by PID."""

    def __init__(self, model: Path, log: Path) -> None:
        self.model, self.log = model, log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.cpu_used = 0.0  # by the servers already gone
        self.started_in: list[float] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self.port = free_port()
        began = time.perf_counter()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "llama_cpp.server",
                    "--model",
                    str(self.model),
                    "--model_alias",
                    "tiny",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--n_ctx",
                    str(llama_tiny.CONTEXT),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while time.perf_counter() - began < READY_WITHIN:
            if self.process.poll() is not None:
                raise SystemExit(f"llama_cpp.server exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/models", timeout=1).status_code == 200:
                    self.started_in.append(time.perf_counter() - began)
                    return
            time.sleep(0.2)
        raise SystemExit(f"llama_cpp.server did not answer within {READY_WITHIN:g} s")

    def cpu(self) -> float:
        alive = self.process is not None and self.process.poll() is None
        return self.cpu_used + (process_cpu(self.pid) if alive else 0.0)

    def signal(self, number: signal.Signals) -> None:
        os.kill(self.pid, number)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it."""
        self.cpu_used += process_cpu(self.pid)
        self.signal(signal.SIGKILL)
        assert self.process is not None
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.signal(signal.SIGCONT)
        self.cpu_used += process_cpu(self.pid)
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Run:
    """One draft as the desk's assist code saw it."""

    text: str = ""
    fragments: int = 0
    sources: list[Source] = field(default_factory=list)
    end: End | None = None
    first: float | None = None  # seconds to the first fragment
    wall: float = 0.0
    cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def model_text(self) -> str:
        """What the model streamed (before any offline fallback)."""
        return self.text.split("\x00")[0]


def desk_config(server: LlamaServer, timeout: float, max_tokens: int) -> Config:
    return parse_config(
        {
            "agent": {"name": "alice", "display_name": "Alice Martin"},
            "llm": {
                "base_url": server.base_url,
                "model": "tiny",
                "timeout": timeout,
                "max_retries": 0,
                "max_tokens": max_tokens,
                "temperature": 0.4,
            },
            "presend": {"unanswered_question": False, "empathy": False},
        }
    )


async def draft(
    store: Store,
    conversation: int,
    config: Config,
    server: LlamaServer,
    on_fragment: Callable[[int], None] | None = None,
) -> Run:
    """Stream one draft through ``backend_for`` as the panel does; ``on_fragment(n)``
    runs after the n-th fragment (to kill or stop the server mid-stream)."""
    run = Run()
    assistant = Assistant(store, config.assist)
    context = assistant.context(conversation)
    assert context is not None
    cpu, server_cpu, began = own_cpu(), server.cpu(), time.perf_counter()
    async for event in backend_for(assistant).generate(Job("draft", context)):
        if isinstance(event, Source):
            run.sources.append(event)
            if event.fallback:
                run.text += "\x00"  # the offline draft follows
        elif isinstance(event, End):
            run.end = event
        else:
            run.text += event
            run.fragments += 1
            if run.first is None:
                run.first = time.perf_counter() - began
            if on_fragment is not None:
                on_fragment(run.fragments)
    run.wall = time.perf_counter() - began
    run.cpu = own_cpu() - cpu
    run.server_cpu = server.cpu() - server_cpu
    await assistant.close()
    return run


def words(text: str) -> list[str]:
    return text.split()


def expected_words(count: int) -> list[str]:
    return [word.lstrip("▁") for word in llama_tiny.chain_words(count)]


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def line(self, name: str, run: Run, verdict: list[str]) -> None:
        end = f"{run.end.reason}: {run.end.notice}" if run.end else "no end"
        first = "-" if run.first is None else f"{run.first * 1000:.0f} ms"
        print(
            f"{name}\n    ends: {end}\n    {run.fragments} fragments, {len(run.model_text)} chars"
            f" from the model; first after {first}; {run.wall:.2f} s wall, {run.cpu:.2f} s"
            f" CPU here, {run.server_cpu:.2f} s CPU in the server"
        )
        for note in run.sources:
            if note.note:
                print(f"    source: {'offline' if note.offline else 'model'} ({note.note})")
        self.check(name, verdict)

    def check(self, name: str, verdict: list[str]) -> None:
        for problem in verdict:
            print(f"    NOT AS EXPECTED: {problem}")
            self.failures.append(f"{name}: {problem}")
        if not verdict:
            print("    as expected")


def expect(condition: bool, problem: str) -> list[str]:
    return [] if condition else [problem]


async def endings(store: Store, cid: int, server: LlamaServer, timeout: float, total: int):
    report = Report()
    full = await draft(store, cid, desk_config(server, timeout, total + 200), server)
    report.line(
        "1. full draft",
        full,
        expect(full.end == End("complete"), "not complete")
        + expect(words(full.text) == expected_words(total), "not the model's whole text"),
    )

    length = await draft(store, cid, desk_config(server, timeout, LENGTH), server)
    report.line(
        f"2. max_tokens = {LENGTH}",
        length,
        expect(
            length.end == End("length", f"stopped at the length limit ({LENGTH} tokens)"),
            "not the length stop",
        )
        + expect(words(length.text) == expected_words(LENGTH), f"not the first {LENGTH} words"),
    )

    def kill_at(n: int) -> None:
        if n == AFTER:
            server.kill()

    cut = await draft(store, cid, desk_config(server, timeout, total + 200), server, kill_at)
    kept = words(cut.model_text)
    report.line(
        f"3. server killed (SIGKILL) after {AFTER} fragments",
        cut,
        expect(cut.end is not None and cut.end.reason == "cut off", "not cut off")
        + expect(AFTER <= len(kept) < total, "the partial text is not kept")
        + expect(kept == expected_words(len(kept)), "the partial text is not the model's"),
    )
    server.start()

    def stop_at(n: int) -> None:
        if n == AFTER:
            server.signal(signal.SIGSTOP)

    stalled = await draft(store, cid, desk_config(server, timeout, total + 200), server, stop_at)
    server.signal(signal.SIGCONT)
    notice = stalled.end.notice if stalled.end else ""
    report.line(
        f"4. server stopped (SIGSTOP) after {AFTER} fragments",
        stalled,
        expect(stalled.end is not None and stalled.end.reason == "cut off", "not cut off")
        + expect(notice.startswith("LLM endpoint stopped sending for"), "not 'stopped sending for'")
        + expect(AFTER <= len(words(stalled.model_text)) < total, "partial text not kept"),
    )
    await asyncio.sleep(1)  # the resumed server finishes the abandoned stream

    server.signal(signal.SIGSTOP)
    hung = await draft(store, cid, desk_config(server, timeout, total + 200), server)
    server.signal(signal.SIGCONT)
    note = hung.sources[-1].note if hung.sources else ""
    said = re.search(r"did not answer for ([\d.]+) s", note)
    report.line(
        "5. hung endpoint (SIGSTOP before the request)",
        hung,
        expect(said is not None, "not 'did not answer for … s'")
        + expect(hung.sources[-1].fallback, "no offline fallback")
        + expect(hung.end == End("complete") and "\x00" in hung.text, "no offline draft")
        + expect(
            said is not None and abs(float(said.group(1)) - (hung.wall)) < 0.5,
            "the reported wait is not the true one",
        ),
    )
    if said:
        print(f"    gave up after {hung.wall:.2f} s (timeout {timeout:g} s), said {said.group(0)}")
    await asyncio.sleep(1)

    async def other_client() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            await client.post(
                f"{server.base_url}/chat/completions",
                json={"model": "tiny", "messages": [{"role": "user", "content": "hi"}],
                      "max_tokens": 5},
            )  # fmt: skip

    tasks: list[asyncio.Task[None]] = []

    def interrupt_at(n: int) -> None:
        if n == AFTER:
            tasks.append(asyncio.get_running_loop().create_task(other_client()))

    config = desk_config(server, timeout, total + 200)
    interrupted = await draft(store, cid, config, server, interrupt_at)
    await asyncio.gather(*tasks)
    report.line(
        f"6. another client's request after {AFTER} fragments",
        interrupted,
        expect(
            interrupted.end
            == End("cut off", "LLM stream was cut off: it ended before the model finished"),
            "not cut off without a finish reason",
        )
        + expect(AFTER <= len(words(interrupted.text)) < total, "partial text not kept"),
    )
    return report


def cli_drafts(report: Report, db: Path, cid: int, server: LlamaServer, timeout: float, total: int):
    """``agentdesk draft --format json`` in a child process, full and length-limited."""
    for name, max_tokens, completed, reason in (
        ("7a. agentdesk draft, full", total + 200, True, "complete"),
        (f"7b. agentdesk draft, max_tokens = {LENGTH}", LENGTH, False, "length"),
    ):
        config = db.parent / f"config-{max_tokens}.toml"
        config.write_text(
            '[agent]\nname = "alice"\ndisplay_name = "Alice Martin"\n[llm]\n'
            f'base_url = "{server.base_url}"\nmodel = "tiny"\ntimeout = {timeout}\n'
            f"max_retries = 0\nmax_tokens = {max_tokens}\n"
        )
        cpu, began = own_cpu(children=True), time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "agentdesk", "--config", str(config), "draft", str(cid)]
            + ["--db", str(db), "--format", "json"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        wall, cpu = time.perf_counter() - began, own_cpu(children=True) - cpu
        result = json.loads(done.stdout)
        print(
            f"{name}\n    completed {result['completed']}, stop_reason {result['stop_reason']!r},"
            f" notice {result['notice']!r}, exit code {done.returncode};"
            f" {wall:.2f} s wall, {cpu:.2f} s CPU (the child process)"
        )
        report.check(
            name,
            expect(
                (result["completed"], result["stop_reason"], result["source"])
                == (completed, reason, "llm"),
                f"completed {result['completed']}, {result['stop_reason']}",
            )
            + expect(done.returncode == (0 if completed else 1), "wrong exit code"),
        )


async def in_the_app(report: Report, db: Path, cid: int, server: LlamaServer, timeout: float):
    """The real app under Pilot: the length stop, then a kill mid-stream, and ``d``."""
    from agentdesk.app import make_app
    from agentdesk.widgets.assist_panel import AssistPanel

    for case in ("length", "kill"):
        max_tokens = LENGTH if case == "length" else 10_000
        app = make_app(desk_config(server, timeout, max_tokens), db, [])
        began = time.perf_counter()
        async with app.run_test(size=(200, 50)) as pilot:
            app.open_conversation(cid)
            deadline = time.perf_counter() + 60
            while (shown := next(iter(app.screen.query(AssistPanel)), None)) is None or (
                not shown.text
            ):
                assert time.perf_counter() < deadline, "no draft streamed"
                await pilot.pause(0.01)
            if case == "kill":
                while len(words(shown.text)) < AFTER:
                    await pilot.pause(0.001)
                server.kill()
            while shown.streaming or not shown.status:
                assert time.perf_counter() < deadline, "the stream did not end"
                await pilot.pause(0.05)
            status, partial = shown.status, shown.text
            if not shown.has_focus_within:
                await pilot.press("a")  # focus the panel
            await pilot.press("d")  # the offline draft
            while shown.streaming or not shown.status.startswith("offline draft"):
                assert time.perf_counter() < deadline, "no offline draft"
                await pilot.pause(0.05)
            offline_text = shown.text
        wall = time.perf_counter() - began
        name = f"8{'a' if case == 'length' else 'b'}. the app: " + (
            f"max_tokens = {LENGTH}" if case == "length" else f"server killed after {AFTER} words"
        )
        print(f"{name}\n    status line: {status!r}\n    kept {len(words(partial))} words;"
              f" d gave {len(words(offline_text))} words offline; {wall:.2f} s wall")  # fmt: skip
        wanted = (
            f"stopped at the length limit ({LENGTH} tokens); kept the partial text"
            if case == "length"
            else "LLM stream was cut off mid-way; kept the partial text"
        )
        report.check(
            name,
            expect(status.startswith(wanted) and "d: offline draft" in status, "status line")
            + expect(words(partial) == expected_words(len(words(partial))), "partial not kept")
            + expect(bool(offline_text) and offline_text != partial, "d gave no offline draft"),
        )
        if case == "kill":
            server.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0, help="[llm] timeout (seconds)")
    parser.add_argument("--words", type=int, default=1500, help="tokens the model streams")
    parser.add_argument("--log", type=Path, help="the server's output (default: a temp file)")
    args = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}")
    with tempfile.TemporaryDirectory(prefix="bench-llamacpp-") as tmp:
        folder = Path(tmp)
        model = llama_tiny.write(folder / "tiny.gguf", args.words, seed=17)
        print(f"model: {model.stat().st_size / 1e6:.1f} MB, {args.words} words then </s>")
        server = LlamaServer(model, args.log or folder / "server.log")
        db = folder / "desk.db"
        with Store(db) as store:
            ids = build_desk(store)
            import_kb(store, write_kb(folder / "kb"))
        server.start()
        print(f"server up in {server.started_in[-1]:.1f} s (pid {server.pid}, port {server.port})")
        try:
            with Store(db) as store:
                report = asyncio.run(
                    endings(store, ids["refund"], server, args.timeout, args.words)
                )
            cli_drafts(report, db, ids["refund"], server, args.timeout, args.words)
            asyncio.run(in_the_app(report, db, ids["refund"], server, args.timeout))
        finally:
            server.stop()
        starts = ", ".join(f"{s:.1f}" for s in server.started_in)
        print(f"server starts (s): {starts}; server CPU in all: {server.cpu():.1f} s")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    if report.failures:
        print(f"{len(report.failures)} ending(s) not as expected")
        raise SystemExit(1)
    print("every ending as expected")


if __name__ == "__main__":
    main()
