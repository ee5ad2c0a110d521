"""HTML mail to text through html2text, marking hidden elements (``text.html_to_text``
is the entry point; this module is imported with the first HTML mail)."""

from __future__ import annotations

import re

import html2text

from agentdesk.text import HIDDEN_CLOSE, HIDDEN_OPEN

_HIDING_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])"
    r"|opacity\s*:\s*0(?![.\d]*[1-9])|(?:max-)?height\s*:\s*0(?![.\d]*[1-9])[^;]*;.*overflow\s*:"
    r"\s*hidden|overflow\s*:\s*hidden.*(?:max-)?height\s*:\s*0(?![.\d]*[1-9]))",
    re.IGNORECASE | re.DOTALL,
)
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)


def is_hiding(attrs: dict[str, str | None]) -> bool:
    """True if an element's attributes hide it from the reader."""
    return "hidden" in attrs or bool(_HIDING_STYLE.search(attrs.get("style") or ""))


class _Converter(html2text.HTML2Text):
    """html2text that marks the text of hidden elements instead of showing it as normal."""

    def __init__(self) -> None:
        super().__init__()
        self._hidden_depth = 0  # open elements inside the outermost hidden one

    def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
        if tag in _VOID_TAGS:
            super().handle_tag(tag, attrs, start)
            return
        if start:
            super().handle_tag(tag, attrs, start)
            if self._hidden_depth:
                self._hidden_depth += 1
            elif is_hiding(attrs):
                self._hidden_depth = 1
                self.o(HIDDEN_OPEN)
            return
        if self._hidden_depth:
            self._hidden_depth -= 1
            if not self._hidden_depth:
                self.o(HIDDEN_CLOSE)
        super().handle_tag(tag, attrs, start)

    def close(self) -> None:
        if self._hidden_depth:  # unclosed hidden element at the end of the mail
            self._hidden_depth = 0
            self.o(HIDDEN_CLOSE)
        super().close()


def html_text(html: str) -> str:
    """html2text's reading of ``html`` (links as references, no images or emphasis),
    hidden elements' text between ``HIDDEN_OPEN`` and ``HIDDEN_CLOSE``."""
    converter = _Converter()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.protect_links = True
    converter.unicode_snob = True
    converter.inline_links = False
    return converter.handle(html)
