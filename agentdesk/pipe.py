"""``|`` in a conversation: a message piped to a shell command, as in mutt and aerc."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from agentdesk.domain import Message

PIPE_TIMEOUT = 30.0  # seconds the command may run
OUTPUT_LIMIT = 1024 * 1024  # bytes of its output kept


@dataclass(frozen=True)
class PipeResult:
    """What the command printed (stdout then stderr, cut at ``OUTPUT_LIMIT``; untrusted:
    clean it before showing it) and how it ended (one line)."""

    output: str
    ending: str


def message_text(message: Message) -> str:
    """The message as a command reads it: a few mail-like headers, a blank line, the body
    as stored (not cleaned: the command gets what the customer sent)."""
    return (
        f"From: {message.author}\nSubject: {message.subject}\nDate: {message.at}\n\n{message.body}"
    )


def pipe(command: str, text: str, timeout: float = PIPE_TIMEOUT) -> PipeResult:
    """Run ``command`` with ``sh -c``, ``text`` on its standard input (blocking: call it
    off the UI thread)."""
    try:
        done = subprocess.run(
            ["sh", "-c", command],
            input=text.encode("utf-8", "replace"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"") + (expired.stderr or b"")
        return PipeResult(_decoded(output), f"stopped after {timeout:g} s")
    except OSError as error:
        return PipeResult("", f"could not run: {error.strerror or error}")
    ending = "exit 0" if done.returncode == 0 else f"exit {done.returncode}"
    return PipeResult(_decoded(done.stdout + done.stderr), ending)


def _decoded(output: bytes) -> str:
    cut = output[:OUTPUT_LIMIT].decode("utf-8", "replace")
    more = len(output) - OUTPUT_LIMIT
    return cut + (f"\n… {more} more bytes not shown" if more > 0 else "")
