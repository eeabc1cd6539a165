"""The impact report's English document texts, read in Dutch on the page and in the PDF (service/impact/labels.py)."""

from __future__ import annotations

from service.i18n import use_locale
from service.impact import calculations, factors, labels, render
from service.impact.service import METHODS


def test_counted_notes_and_flags_are_read_in_the_readers_language() -> None:
    flag = "replaced early: 2 device(s) before 36 months"
    with use_locale("nl"):
        assert labels.text(flag) == "te vroeg vervangen: 2 apparaten vóór 36 maanden"
        assert labels.text("1 device(s) without a purchase price") == "1 apparaat zonder aankoopprijs"
        assert labels.figure_name("e_waste_compensated_spend_percent") == "e-waste gecompenseerd, naar bedrag (%)"
        assert labels.figure_name("EPEAT_count_percent") == "EPEAT, naar aantal (%)"
        assert labels.source(f"{factors.BOAVIZTA}; {factors.LIFETIME_METHOD}").startswith(
            "Boavizta environmental-footprint-data, medianen van fabrikantopgaven"
        )
        assert labels.text("") == ""  # not the catalogue's header, which is what gettext("") returns
    with use_locale("en"):
        assert labels.text(flag) == "replaced early: 2 devices before 36 months"
        assert labels.figure_name("co2e_avoided_kg") == "Net CO2e avoided (kg)"


def test_every_text_the_report_document_carries_has_a_dutch_reading() -> None:
    # The document's texts are plain English strings; a changed one would silently stay English on a Dutch page.
    texts = [m["text"] for m in METHODS] + list(calculations.AGE_BUCKETS)
    texts += [calculations.REGISTRY_SOURCE, calculations.LEDGER_SOURCE, factors.PEOPLE_SOURCE, factors.OUR_ASSUMPTION]
    texts += list(labels.TEXTS) + [labels.section_title(m["name"]) for m in METHODS]
    with use_locale("nl"):
        same = [t for t in texts if labels.text(t) == t and t not in ("in", "kg", "kg CO2e")]
    assert not same, same


def test_the_csv_header_is_translated_and_the_cells_are_not() -> None:
    report = {"totals": {"owed": {"value": "3", "unit": "devices", "method": "count", "method_version": "impact-1",
                                  "factor_version": "v1", "source": "x", "inputs": {}, "note": ""}},
              "lifetime_extension": {"rows": []}, "one_for_one": {"rows": []}, "second_life": {"rows": []},
              "procurement": {"rows": []}, "money": {"pool": {"figures": {}}, "charities": []}}  # fmt: skip
    with use_locale("nl"):
        header, line = render.csv_bytes(report).decode().splitlines()
    assert header.startswith("sectie,groep,kengetal,waarde,eenheid,methode")
    assert line == "totals,all,owed,3,devices,count,impact-1,v1,x,{},"


def test_grouping_dispositions_and_obligations_are_read_in_the_readers_language() -> None:
    with use_locale("nl"):
        # The key has an underscore, the catalogue the words: gettext("cost_centre") would stay English.
        assert labels.group_name("cost_centre") == "kostenplaats"
        assert labels.group_name("category") == "categorie"
        assert labels.disposition("donated_in_kind") == "In natura gedoneerd"
        assert labels.disposition("sold_to_refurbisher") == "Verkocht aan een refurbisher"
        assert labels.obligation("pending") == "in behandeling"
        assert labels.obligation("none") == "geen"
