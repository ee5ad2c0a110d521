"""Making untrusted customer text safe to show and readable.

Customer text is data: it must never carry terminal control sequences to the screen
and never be interpreted as Rich/Textual markup. Widgets build ``rich.text.Text``
objects from ``clean()`` output (``Text`` never parses markup), so the two rules hold
together.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST),
# DCS/SOS/PM/APC (ESC P/X/^/_ ... ST) and two-byte escapes.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]              # CSI
  | \x1b[\]PX^_].*?(?:\x07|\x1b\\|$)     # OSC, DCS, SOS, PM, APC up to BEL / ST
  | \x1b[@-Z\\-_]                        # other two-byte escapes
  | \x9b[0-?]*[ -/]*[@-~]                # 8-bit CSI
  | [\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x9c|$)  # 8-bit string controls
    """,
    re.VERBOSE | re.DOTALL,
)
# Any remaining C0 control except tab and newline, DEL, and C1 controls;
# also bidi controls (marks, embeddings, overrides, isolates) that can make text lie
# about its order.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
    r"\u2066-\u2069]"
)
# Text an HTML mail hides from its reader (a phishing and prompt-injection trick) is
# kept, visibly marked; the marker's own characters never come from the mail.
HIDDEN_OPEN, HIDDEN_CLOSE = "⟦hidden in the HTML: ", "⟧"
_HIDDEN_TEXT = re.compile(
    f"{re.escape(HIDDEN_OPEN)}.*?(?:{re.escape(HIDDEN_CLOSE)}|\\Z)", re.DOTALL
)


def clean(text: str | None) -> str:
    """Remove escape sequences and control characters; keep tabs and newlines."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text).expandtabs(4)


def one_line(text: str | None, limit: int = 200) -> str:
    """A single cleaned line (whitespace collapsed), cut to ``limit`` characters.

    Only as much of ``text`` is cleaned as the line needs (a growing prefix), so a
    preview of a huge body costs no more than one of a short one.
    """
    text = text or ""
    window = 4 * limit
    while True:
        line = " ".join(clean(text[:window]).split())
        if len(line) > limit or window >= len(text):
            break
        window *= 4
    return line if len(line) <= limit else line[: limit - 1] + "…"


def tag_text(tag: str) -> str:
    """A tag as stored: one clean lower-case word (spaces become hyphens), at most 40
    characters."""
    return one_line(tag, 40).lower().replace(" ", "-")


def error_line(error: BaseException) -> str:
    """An exception as one short line for a state or notice (its type if it has no text)."""
    return one_line(str(error), 300) or type(error).__name__


def without_hidden(text: str) -> str:
    """``text`` without the hidden-HTML passages ``html_to_text`` marked (for the LLM
    and the text analysis: what the customer's reader never saw is not their words)."""
    return _HIDDEN_TEXT.sub(" ", text)


def html_to_text(html: str) -> str:
    """Readable plain text from HTML mail; images and remote content are never fetched.

    Text of hidden elements (``display:none``, zero size, ``hidden``) is wrapped in
    ``HIDDEN_OPEN`` … ``HIDDEN_CLOSE`` so the agent sees it for what it is. (html2text
    is imported with the first HTML mail: a desk that shows none never loads it.)
    """
    from agentdesk.mail_html import html_text

    html = html.replace(HIDDEN_OPEN[0], "[").replace(HIDDEN_CLOSE, "]")
    return clean(html_text(html)).strip()


def aligned(grid: list[list[str]] | list[tuple[str, ...]]) -> list[str]:
    """Rows of cells as lines of a plain-text table, each column as wide as its widest
    cell (two spaces between columns, no trailing space)."""
    widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
    return [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in grid
    ]


def count_of(n: int, word: str, plural: str | None = None) -> str:
    """``1 reply``, ``3 replies``: ``n`` and ``word`` (``plural``, default ``word + s``)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def human_size(size: int) -> str:
    """1.2 MB style sizes for attachment lists."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
