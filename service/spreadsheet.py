"""Cells a spreadsheet would run as a formula (OWASP CSV injection), kept as text: every CSV Kringloop writes
goes through here, and the importer undoes it. Pure code."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
_GUARDED_STARTS = frozenset((*FORMULA_STARTS, TEXT_MARK))


def guard_text(value: str) -> str:
    """A free-text cell a spreadsheet shows as text and never evaluates."""
    return TEXT_MARK + value if value and value[0] in _GUARDED_STARTS else value


def unguard_text(value: str) -> str:
    """The inverse of :func:`guard_text`, for the importer's free-text cells."""
    return value[1:] if value[:1] == TEXT_MARK and value[1:2] in _GUARDED_STARTS else value
