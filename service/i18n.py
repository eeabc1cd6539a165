"""Translation hook for user-facing messages. A placeholder: the i18n work replaces it with gettext catalogues."""

from __future__ import annotations


def gettext(message: str) -> str:
    return message
