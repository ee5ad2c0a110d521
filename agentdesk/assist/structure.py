"""A reply's parts: greeting line, body and signature (sign-off line and what follows).

Rewrites change the body (and restyle the greeting and sign-off as a whole, never
word by word), and inserted articles go at the end of the body, before the signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentdesk.assist.words import GREETING, SIGN_OFF

SIGNATURE_LINES = 4  # a sign-off is followed by at most this many lines (name, role, …)


@dataclass(frozen=True)
class Reply:
    greeting: str
    body: str
    signature: str

    def text(self) -> str:
        """The parts joined by blank lines (empty parts left out)."""
        return "\n\n".join(part for part in (self.greeting, self.body, self.signature) if part)


def split(text: str) -> Reply:
    """``text`` as greeting, body and signature (each may be empty)."""
    lines = text.strip().splitlines()
    greeting = ""
    if lines and GREETING.match(lines[0]):
        greeting, lines = lines[0].strip(), lines[1:]
    signature = ""
    for index in range(len(lines) - 1, max(-1, len(lines) - 2 - SIGNATURE_LINES), -1):
        if SIGN_OFF.match(lines[index]):
            signature = "\n".join(lines[index:]).strip()
            lines = lines[:index]
            break
    return Reply(greeting, "\n".join(lines).strip(), signature)


def insert_before_signature(text: str, addition: str) -> str:
    """``text`` with ``addition`` as the last paragraph of its body."""
    reply = split(text)
    if not reply.signature:
        return f"{text.rstrip()}\n\n{addition}" if text.strip() else addition
    body = f"{reply.body}\n\n{addition}" if reply.body else addition
    return Reply(reply.greeting, body, reply.signature).text()
