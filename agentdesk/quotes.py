"""Quoted history in mail: which lines of a body repeat earlier messages.

Mail clients quote the message they answer: ``>`` lines under an attribution ("On Mon,
5 Jan 2026, Ann wrote:"), or Outlook's "-----Original Message-----" / a line of
underscores followed by the old headers and everything after. The thread shows such runs
collapsed to one line; nothing here changes a body.
"""

from __future__ import annotations

import re

# An attribution line ("On … wrote:", "Ann wrote:", German, French, Spanish, Dutch and
# Portuguese forms); it counts only right above a quote.
_ATTRIBUTION = re.compile(
    r"^.{0,200}(?:\b(?:wrote|a écrit|escribió|escreveu)|\b(?:schrieb|schreef)\b.{0,120})\s*:\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje"
    r" original|oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OPENER = re.compile(r"^\s*(?:on|am|le|el|op|em)\s", re.IGNORECASE)  # an attribution's start
_RULE = re.compile(r"^\s*_{20,}\s*$")  # Outlook's line before the old headers
_HEADER = re.compile(r"^\s*(?:from|von|de|van)\s*:", re.IGNORECASE)


def quoted_runs(text: str) -> list[tuple[bool, list[str]]]:
    """``text`` split into runs of lines, each ``(quoted, lines)``, in order."""
    lines = text.split("\n")
    quoted = [line.lstrip().startswith(">") for line in lines]
    for index, line in enumerate(lines):
        if _ORIGINAL.match(line) or (
            _RULE.match(line) and any(_HEADER.match(n) for n in lines[index + 1 : index + 3])
        ):
            quoted[index:] = [True] * (len(lines) - index)
            break
    for index in range(len(lines)):
        start = None if quoted[index] else _attribution_start(lines, index)
        after = _next_text(lines, index)
        if start is not None and after is not None and quoted[after]:
            quoted[start:after] = [True] * (after - start)
    for index in range(1, len(lines)):  # blank lines inside a quote belong to it
        if not lines[index].strip() and quoted[index - 1]:
            after = _next_text(lines, index)
            quoted[index] = after is not None and quoted[after]
    runs: list[tuple[bool, list[str]]] = []
    for line, is_quoted in zip(lines, quoted, strict=True):
        if runs and runs[-1][0] == is_quoted:
            runs[-1][1].append(line)
        else:
            runs.append((is_quoted, [line]))
    return runs


def _attribution_start(lines: list[str], index: int) -> int | None:
    """Where an attribution ending on line ``index`` starts (mail clients wrap long ones
    onto two lines: "On Mon, 5 Jan 2026, Ann Lee <" / "ann@example.com> wrote:")."""
    if not _ATTRIBUTION.match(lines[index]):
        return None
    before = lines[index - 1] if index else ""
    wrapped = _OPENER.match(before) and not before.rstrip().endswith(":")
    return index - 1 if wrapped else index


def _next_text(lines: list[str], index: int) -> int | None:
    """The first line after ``index`` that is not blank."""
    return next((n for n in range(index + 1, len(lines)) if lines[n].strip()), None)
