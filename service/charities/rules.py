"""Rules for charity data: allocation shares and Dutch registration numbers. Pure code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from service.choices import Choice
from service.i18n import N_, _, default_locale, gettext, supported

FULL_SHARE_BP = 10_000  # basis points: 100.00 %
_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


class AnbiStatus(Choice):
    """Whether the Belastingdienst lists the charity as an ANBI (a gift to one is deductible)."""

    unchecked = "unchecked", N_("Not checked yet"), "grey"
    anbi = "anbi", N_("ANBI (public benefit organisation)"), "green"
    not_anbi = "not_anbi", N_("Not an ANBI"), "amber"
    revoked = "revoked", N_("ANBI status withdrawn"), "red"

    @property
    def on_statement(self) -> str:
        """The words a statement prints, inside its "ANBI status" line."""
        return gettext(_ON_STATEMENT[self])


_ON_STATEMENT = {
    AnbiStatus.unchecked: N_("not checked"),
    AnbiStatus.anbi: N_("ANBI"),
    AnbiStatus.not_anbi: N_("not an ANBI"),
    AnbiStatus.revoked: N_("ANBI status withdrawn"),
}


class ShareFormatError(ValueError):
    pass


def parse_percent(text: str) -> int:
    """``"33.33"`` (per cent, up to two decimals) -> 3333 basis points. Exact: no float on the way."""
    candidate = text.strip() if isinstance(text, str) else ""
    if not _PERCENT.match(candidate):
        raise ShareFormatError(
            _('"{text}" is not a share; use a percentage with up to two decimals, e.g. "33.33"').format(text=text)
        )
    try:
        bp = int(Decimal(candidate) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        raise ShareFormatError(_('"{text}" is not a share').format(text=text)) from None
    if bp > FULL_SHARE_BP:
        raise ShareFormatError(_("a share cannot be more than 100 %"))
    return bp


def format_percent(bp: int) -> str:
    whole, part = divmod(bp, 100)
    return f"{whole}.{part:02d}"


def shares_problem(shares: Mapping[str, int]) -> str | None:
    """Why these shares (active charity name -> basis points) cannot be used for a run, or None when they can."""
    if not shares:
        return _("There is no active charity to donate to; add one (or reactivate one) and set its share first.")
    total = sum(shares.values())
    if total != FULL_SHARE_BP:
        listed = ", ".join(f"{name} {format_percent(bp)} %" for name, bp in shares.items())
        return (
            _(
                "The allocation shares of the active charities add up to {total} %, not 100 % "
                "({listed}). An admin sets them together on the shares page (PUT /api/v1/charities/shares)."
            ).format(total=format_percent(total), listed=listed)
        )
    return None


def rsin_problem(rsin: str) -> str | None:
    """An RSIN has nine digits and passes the eleven-test (as the BSN does)."""
    if not re.fullmatch(r"\d{9}", rsin):
        return _("an RSIN has exactly 9 digits")
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    if sum(int(d) * w for d, w in zip(rsin, weights, strict=True)) % 11 != 0:
        return _("this is not a valid RSIN (it fails the eleven-test); check for a typo")
    return None


def kvk_problem(kvk: str) -> str | None:
    if not re.fullmatch(r"\d{8}", kvk):
        return _("a chamber of commerce (KvK) number has exactly 8 digits")
    return None


def people_reached(amount_cents: int, cost_per_device_cents: int) -> int | None:
    """reference/impact.md: people reached = amount donated / the charity's cost per refurbished device."""
    if cost_per_device_cents <= 0:
        return None
    return amount_cents // cost_per_device_cents


def statement_language(charity: Any) -> str:
    """The language a charity's statements are written in: its own choice, else the organisation's."""
    return supported(getattr(charity, "language", None)) or default_locale()
