"""The impact report in the reader's language: the page, the PDF and the CSV's header; the JSON stays English."""

from __future__ import annotations

from service.i18n import use_locale
from service.impact import labels, render
from tests.integration.conftest import Api, ui_login
from tests.integration.test_impact import _fleet
from tests.integration.test_statements import pdf_text

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


async def test_a_dutch_reader_gets_dutch_headings_and_the_machine_keys_stay(api: Api) -> None:
    await _fleet(api)
    csv = await api.get("finance", "/api/v1/impact/report.csv", headers=DUTCH)
    header, *lines = csv.text.splitlines()
    assert header == "sectie,groep,kengetal,waarde,eenheid,methode,methodeversie,factorversie,bron,invoer,opmerking"
    # The cells are the JSON's: English keys, a decimal point.
    assert any(line.startswith("lifetime_extension,laptop,co2e_avoided_kg,39.3,kg CO2e,") for line in lines)
    english = await api.get("finance", "/api/v1/impact/report.csv", headers={"Accept-Language": "en"})
    assert english.text.splitlines()[0] == ",".join(render.CSV_COLUMNS)

    document = (await api.get("finance", "/api/v1/impact/report.json", headers=DUTCH)).json()
    assert document["charts"]["co2e_by_year"]["title"] == "Net CO2e avoided by year of replacement"
    with use_locale("nl"):
        text = pdf_text(render.pdf_bytes(document))
    for expected in ("Impactrapport", "Totalen", "Levensduurverlenging", "Methoden en bronnen",
                     "Netto vermeden CO2e per jaar van vervanging", "Geld en mensen", "pagina 1"):  # fmt: skip
        assert expected in text, expected
    assert "Methods and sources" not in text and "Lifetime extension" not in text
    by_cost_centre = await api.get("finance", "/api/v1/impact/report.json?group_by=cost_centre", headers=DUTCH)
    with use_locale("nl"):
        assert "gegroepeerd per kostenplaats" in " ".join(pdf_text(render.pdf_bytes(by_cost_centre.json())).split())

    # Every text a chart carries is looked up by its English words: a chart title changed in service.build_report
    # but not in the catalogue would stay English on a Dutch page, and this says which.
    same_in_dutch = {"kg", "kg CO2e", "in", document["currency"]}
    with use_locale("nl"):
        for name, chart in document["charts"].items():
            shown = labels.shown_chart(chart)
            pairs = [(chart[k], shown[k]) for k in ("title", "unit", "method", "source")]
            pairs += [(s["name"], t["name"]) for s, t in zip(chart["series"], shown["series"], strict=True)]
            assert not [e for e, d in pairs if e == d and e not in same_in_dutch], name
    uncovered = document["one_for_one"]["uncovered"]
    assert uncovered and all(u["obligation"] in ("none", "pending") for u in uncovered)
    obligation = "geen" if uncovered[0]["obligation"] == "none" else "in behandeling"

    await ui_login(api, "finance")
    page = await api.client.get("/impact", headers=DUTCH)
    assert page.status_code == 200
    for expected in ("<h2 id=\"totals-heading\">Totalen</h2>", "Netto vermeden CO2e door langer gebruik",
                     "Netto vermeden CO2e per jaar van vervanging", "te vroeg vervangen: 1", "39,3",
                     "Dit rapport downloaden:",
                     f"<td>{obligation}</td>", '<th scope="col">Gedekt (%)</th>'):  # fmt: skip
        assert expected in page.text, expected
    assert "Lifetime extension" not in page.text and "Download this report" not in page.text

