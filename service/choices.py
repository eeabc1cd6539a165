"""Choices that carry their stored value, the label people read and the badge colour the pages show (as NetBox's
ChoiceSet does), so no template or constraint re-lists them. Pure code."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from service.i18n import gettext


class Choice(StrEnum):
    """Members are declared as ``name = "value", N_("Label"), "colour"`` (colour defaults to grey); the label is
    translated each time it is read, in the language of the moment (service/i18n.py)."""

    _label: str
    colour: str

    def __new__(cls, value: str, label: str = "", colour: str = "grey") -> Any:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label or value
        member.colour = colour
        return member

    @property
    def label(self) -> str:
        return gettext(self._label)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Every stored value, in declaration order (for CHECK constraints and "use one of" messages)."""
        return tuple(m.value for m in cls)

    @classmethod
    def options(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a select."""
        return [(m.value, m.label) for m in cls]
