"""Dutch and English: which language a person reads, the gettext catalogues, and numbers, money and dates in it.

The language of the moment lives in a context variable: a request sets it once (service/web/locale.py) and every
``_()`` below, in a template, a service or an error handler, reads it; a job or CLI command that sets nothing reads
the organisation default (``KRINGLOOP_LANG``). Catalogues are gettext .po files under service/locale, compiled to
.mo by ``make i18n-compile`` (``make run``/``make test`` and the Dockerfile do it); without .mo files every text
is English, with one warning in the log, so a plain ``pip install`` still runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale, negotiate_locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

log = logging.getLogger("kringloop.i18n")

LOCALES = ("nl", "en")
# A language Kringloop speaks, as an API field takes it (a user's locale, a charity's statement language).
Language = Literal["nl", "en"]
LOCALE_NAMES = {"nl": "Nederlands", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# English as read in Europe: day before month, as the Dutch do ("2 December 2026", "€1,234.56").
_FORMAT_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

_current: ContextVar[str | None] = ContextVar("kringloop_locale", default=None)
_default = "nl"


def set_default_locale(locale: str) -> None:
    """The organisation default, for whatever runs outside a request (jobs, CLI) or finds no better choice."""
    global _default
    _default = supported(locale) or "nl"


def default_locale() -> str:
    return _default


def current_locale() -> str:
    return _current.get() or _default


def supported(locale: str | None) -> str | None:
    """``locale`` if Kringloop speaks it (``"nl-NL"`` counts as ``"nl"``), else None."""
    if not locale:
        return None
    return negotiate_locale([locale.replace("_", "-")], LOCALES, sep="-")


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Everything inside reads ``locale`` (or the default, when it is None or not one we speak)."""
    chosen = supported(locale) or _default
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def set_locale(locale: str | None) -> str:
    """Sets the language for the rest of this context (a request's task); returns what was chosen."""
    chosen = supported(locale) or _default
    _current.set(chosen)
    return chosen


_QUALITY = re.compile(r"^q=([01](?:\.\d{0,3})?)$")


def accepted_languages(header: str) -> list[str]:
    """An Accept-Language header's tags, most wanted first (RFC 9110 12.5.4); q=0 means 'not this one'."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params:
            if match := _QUALITY.match(param):
                quality = float(match.group(1))
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _quality, _index, tag in sorted(weighted)]


def choose_locale(user_locale: str | None, accept_language: str | None, default: str | None = None) -> str:
    """The person's own setting, else what their browser asks for, else the organisation default."""
    if chosen := supported(user_locale):
        return chosen
    if accept_language and (chosen := negotiate_locale(accepted_languages(accept_language), LOCALES, sep="-")):
        return chosen
    return supported(default) or _default


@cache
def translations(locale: str) -> NullTranslations:
    found = Translations.load(LOCALE_DIR, [locale], DOMAIN)
    if not isinstance(found, Translations) and locale != "en":
        log.warning(
            "No compiled catalogue for %r under %s (run `make i18n-compile`); showing English text.",
            locale,
            LOCALE_DIR,
        )
    return found


def gettext(message: str) -> str:
    return translations(current_locale()).ugettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ungettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """Translated when used, not when defined: for texts built at import time (labels, class attributes)."""
    return LazyProxy(gettext, message, enable_cache=False)


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; whoever shows it translates it with ``_()``."""
    return message


def _format_locale(locale: str | None) -> str:
    return _FORMAT_LOCALES[supported(locale) or current_locale()]


def format_money(
    amount: int | str | Decimal, currency: str = "EUR", locale: str | None = None, *, code: bool = False
) -> str:
    """Integer cents (or a decimal string from an API schema) as people here read money: ``€ 1.234,56``
    in Dutch (with a no-break space), ``€1,234.56`` in English. Decimal all the way, never float.
    ``code``: ``EUR 1.234,56`` / ``EUR 1,234.56``, for a PDF font without the euro sign."""
    value = Decimal(amount).scaleb(-2) if isinstance(amount, int) else Decimal(str(amount))
    pattern = "\u00a4\u00a4\u00a0#,##0.00" if code else None
    return format_currency(value, currency, pattern, locale=_format_locale(locale))


def format_number(value: int | Decimal | str, locale: str | None = None) -> str:
    """``1234`` as ``1.234`` (nl) or ``1,234`` (en)."""
    return format_decimal(Decimal(str(value)), locale=_format_locale(locale))


def format_day(value: date, locale: str | None = None, *, short: bool = False) -> str:
    """``2 december 2026`` (nl) / ``2 December 2026`` (en); short: ``2 dec. 2026`` / ``2 Dec 2026``."""
    return _babel_date(value, "d MMM y" if short else "d MMMM y", locale=_format_locale(locale))


def format_moment(value: datetime, tz: tzinfo, locale: str | None = None, *, with_time: bool = True) -> str:
    """A stored (UTC) moment as it was on the clock at ``tz``: ``2 dec. 2026 14:05``."""
    pattern = "d MMM y HH:mm" if with_time else "d MMM y"
    return _babel_datetime(value, pattern, tzinfo=tz, locale=_format_locale(locale))


def language_name(locale: str) -> str:
    return LOCALE_NAMES.get(locale) or Locale.parse(locale).get_display_name(locale) or locale
