"""What the impact report's machine names read as for a person, in the language of the moment. Pure code.

The report document (JSON) keeps its English keys and texts: it is the canonical, fingerprinted record. The page,
the PDF and the CSV's header row are for people, so they look names up here when they show them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from service.compensation.models import ObligationStatus
from service.i18n import N_, gettext, ngettext

SECTION_TITLES = {
    "lifetime_extension": N_("Lifetime extension"),
    "one_for_one": N_("One for one"),
    "second_life": N_("Second life"),
    "money_and_people": N_("Money and people"),
    "procurement": N_("Procurement"),
}
FIGURE_NAMES = {
    "co2e_avoided_kg": N_("Net CO2e avoided (kg)"),
    "co2e_extended_kg": N_("CO2e of longer use (kg)"),
    "co2e_early_kg": N_("CO2e of early replacement (kg)"),
    "replaced": N_("Replaced after a fault"),
    "replaced_early": N_("Replaced early"),
    "average_age_months": N_("Average age (months)"),
    "baseline_months": N_("Fixed cycle (months)"),
    "declared_lifetime_months": N_("Declared lifetime (months)"),
    "owed": N_("Owed"),
    "compensated": N_("Compensated"),
    "share_covered_percent": N_("Covered (%)"),
    "ewaste_kg": N_("E-waste (kg)"),
    "scrap_phones": N_("Scrap phones"),
    "before_start": N_("Bought before start"),
    "devices": N_("Devices"),
    "realised": N_("Realised"),
    "pooled": N_("Residual value pooled"),
    "donated": N_("Donated"),
    "paid": N_("Paid"),
    "people_reached": N_("People reached"),
    "purchases": N_("Purchases"),
    "spend": N_("Spend"),
}
# Procurement attributes that are our own words; the others are label names (EPEAT, TCO Certified) and stay.
ATTRIBUTE_NAMES = {
    "e_waste_compensated": N_("e-waste compensated"),
    "long_declared_lifetime": N_("long declared lifetime"),
    "repairable": N_("repairable"),
}
# How a second-life row's devices left (repository.SECOND_LIFE), in the words the valuation page uses for them.
DISPOSITIONS = {
    "sold_to_refurbisher": N_("Sold to a refurbisher"),
    "donated_in_kind": N_("Donated in kind"),
}
# The units, chart titles and series names service.build_report writes, marked here for the catalogue.
TEXTS = (
    N_("category"), N_("company"), N_("cost centre"),
    N_("devices"), N_("months"), N_("people"), N_("scrap phones"), N_("kg"), N_("kg CO2e"),
    N_("Devices in service by age"), N_("Average age at replacement against the fixed cycle"),
    N_("Pool in and out per month"), N_("One-for-one coverage by purchase quarter"),
    N_("Net CO2e avoided by year of replacement"),
    N_("average age"), N_("in"), N_("out"), N_("owed"), N_("compensated"), N_("net kg CO2e"),
)  # fmt: skip


def group_name(group_by: str) -> str:
    """What the report is grouped by (category, company, cost_centre), as a reader says it: the key's words."""
    return text(group_by.replace("_", " "))


def disposition(name: str) -> str:
    return gettext(DISPOSITIONS[name]) if name in DISPOSITIONS else name.replace("_", " ")


def obligation(status: str) -> str:
    """An uncovered device's obligation: its status, or "none" while the nightly run has not made one yet."""
    return ObligationStatus(status).label if status in ObligationStatus.values() else text(status)


def section_title(name: str) -> str:
    return gettext(SECTION_TITLES[name]) if name in SECTION_TITLES else name.replace("_", " ").capitalize()


def figure_name(name: str) -> str:
    if name in FIGURE_NAMES:
        return gettext(FIGURE_NAMES[name])
    for suffix, pattern in (("_count_percent", N_("{attribute}, by count (%)")),
                            ("_spend_percent", N_("{attribute}, by spend (%)"))):  # fmt: skip
        if name.endswith(suffix):
            return gettext(pattern).format(attribute=attribute_name(name.removesuffix(suffix)))
    return name.replace("_", " ")


def attribute_name(name: str) -> str:
    return gettext(ATTRIBUTE_NAMES[name]) if name in ATTRIBUTE_NAMES else name.replace("_", " ")


def text(value: str) -> str:
    """A unit, chart title, method or note from the report, translated when the catalogue knows it."""
    if not value:
        return value
    for pattern, say in _COUNTED:
        if match := pattern.fullmatch(value):
            return say(*(int(g) for g in match.groups()))
    return gettext(value)


# The notes and flags calculations.py writes with a count in them, as the report document has them (English).
_COUNTED: tuple[tuple[re.Pattern[str], Callable[..., str]], ...] = (
    (re.compile(r"replaced early: (\d+) device\(s\) before (\d+) months"),
     lambda n, months: ngettext("replaced early: {n} device before {months} months",
                                "replaced early: {n} devices before {months} months", n).format(n=n, months=months)),
    (re.compile(r"(\d+) device\(s\) of unknown weight not counted"),
     lambda n: ngettext("{n} device of unknown weight not counted", "{n} devices of unknown weight not counted",
                        n).format(n=n)),
    (re.compile(r"(\d+) device\(s\) without a purchase price"),
     lambda n: ngettext("{n} device without a purchase price", "{n} devices without a purchase price", n).format(n=n)),
)  # fmt: skip


def source(value: str) -> str:
    """A figure's source: the sources it names, separated by "; ", each translated when the catalogue knows it."""
    return "; ".join(text(part) for part in value.split("; ")) if value else value


def shown_chart(chart: dict[str, Any]) -> dict[str, Any]:
    """A chart of the report with its texts in the reader's language (values untouched)."""
    shown = {**chart, "title": text(chart["title"]), "unit": text(chart["unit"]), "method": text(chart["method"]),
             "source": source(chart["source"])}  # fmt: skip
    if chart["labels"] and chart["labels"][0] == "< 1 y":  # the fleet's age buckets (calculations.AGE_BUCKETS)
        shown["labels"] = [text(label) for label in chart["labels"]]
    shown["series"] = [{**s, "name": text(s["name"])} for s in chart["series"]]
    if chart.get("reference"):
        # The only reference line is the fixed replacement cycle (service.build_report).
        months = chart["reference"]["value"]
        shown["reference"] = {**chart["reference"], "label": gettext("fixed cycle {n} months").format(n=months)}
    return shown
