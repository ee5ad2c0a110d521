"""Personal data out of prompts: mask before sending, restore in the streamed answer.

Emails, phone numbers, card numbers (Luhn-valid) and IBANs (mod-97-valid) become
placeholders such as ``[EMAIL_1]``; ``Restorer`` puts the originals back into a token
stream, buffering a placeholder split across tokens.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-/]{6,}\d(?!\w)")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN)_\d+\]")
_LONGEST = len("[EMAIL_999]")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def payment_numbers(text: str) -> list[str]:
    """Card numbers (Luhn-checked) and IBANs (checksum-checked) in ``text``."""
    found = [m.group(0) for m in _IBAN.finditer(text) if iban_ok(m.group(0))]
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.append(match.group(0))
    return found


class Masker:
    """Replaces personal data with numbered placeholders, remembering the originals."""

    def __init__(self) -> None:
        self.originals: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            count = sum(1 for k in self._by_value if k[0] == kind) + 1
            name = f"[{kind}_{count}]"
            self._by_value[key] = name
            self.originals[name] = value
        return self._by_value[key]

    def mask(self, text: str) -> str:
        """``text`` with emails, IBANs, cards and phone numbers replaced."""
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        text = _IBAN.sub(
            lambda m: self._placeholder("IBAN", m.group(0)) if iban_ok(m.group(0)) else m.group(0),
            text,
        )

        def card(match: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", match.group(0))
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                return self._placeholder("CARD", match.group(0))
            return match.group(0)

        text = _CARD.sub(card, text)

        def phone(match: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", match.group(0))
            if 8 <= len(digits) <= 15 and not re.fullmatch(r"\d{4}-\d\d-\d\d", match.group(0)):
                return self._placeholder("PHONE", match.group(0))
            return match.group(0)

        return _PHONE.sub(phone, text)

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.originals.get(m.group(0), m.group(0)), text)


class Restorer:
    """Feeds streamed tokens through ``Masker.restore`` without splitting placeholders."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self._held = ""

    def feed(self, token: str) -> str:
        """Text safe to show now; a possible placeholder prefix is held back."""
        text = self._held + token
        start = text.rfind("[")
        if (
            start != -1
            and "]" not in text[start:]
            and len(text) - start < _LONGEST
            and re.fullmatch(r"\[[A-Z_\d]*", text[start:])
        ):
            self._held = text[start:]
            text = text[:start]
        else:
            self._held = ""
        return self.masker.restore(text)

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self.masker.restore(text)
