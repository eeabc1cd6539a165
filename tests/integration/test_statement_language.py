"""A charity's statement is in the charity's language: the PDF and the CSV's headings; the JSON stays English."""

from __future__ import annotations

import json
from datetime import date

import pytest

from service.i18n import format_day
from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api
from tests.integration.donation_helpers import approved, credit, run, set_shares
from tests.integration.test_statements import pdf_text

pytestmark = pytest.mark.usefixtures("api")


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(database.url, donor_name="Voorbeeld B.V.", donor_rsin="123456782")


def _readable(text: str) -> str:
    # The PDF's strings are cp1252 with their parentheses escaped; the euro sign (0x80) is written as octal 200.
    return text.encode("latin-1").decode("cp1252").replace("\\(", "(").replace("\\)", ")").replace("\\200", "€")


async def _statement(api: Api, language: str) -> dict[str, bytes]:
    await credit(api, 1, "1234.00")
    await credit(api, 2, "0.56")
    await set_shares(api, "100", "0", rsin="001234560", anbi_status="anbi", language=language)
    (draft,) = await run(api)
    donation = await approved(api, draft["id"])
    base = f"/api/v1/donations/{donation['id']}"
    return {form: (await api.get("charity", f"{base}/statement.{form}")).content for form in ("pdf", "csv", "json")}


async def test_a_dutch_charitys_statement_is_in_dutch(api: Api) -> None:
    forms = await _statement(api, "nl")
    document = json.loads(forms["json"])
    assert document["price"] == "1234.56" and "noCounterPerformance" in document  # machine keys and values
    text = _readable(pdf_text(forms["pdf"]))
    assert "Giftverklaring (donation statement)" in text
    assert "Totaal: € 1.234,56 (2 regels)" in text
    approved_on = format_day(date.fromisoformat(document["approvedOn"]), "nl")
    assert f"goedgekeurd op {approved_on}" in text and approved_on.split()[1] in ("december", "januari")
    assert "Schenker" in text and "Ontvanger" in text and "geen tegenprestatie" in text
    header, *rows = forms["csv"].decode().splitlines()
    assert header.startswith("verklaringnummer,regel,inventarisnummer,fabrikant,model,categorie,serienummer")
    assert header.endswith(
        ",bedrag,valuta,naam_schenker,adres_schenker,kvk_nummer_schenker,rsin_schenker,bedrijf_schenker"
    )
    assert len(rows) == 2
    # the cells keep the JSON's values: a decimal point
    assert rows[0].endswith(',1234.00,EUR,Voorbeeld B.V.,"Teststraat 1, 3511 AA Utrecht",87654321,123456782,'
                            "Default company")  # fmt: skip


async def test_an_english_charitys_statement_keeps_the_english_headings(api: Api) -> None:
    forms = await _statement(api, "en")
    text = _readable(pdf_text(forms["pdf"]))
    assert "Donation statement (giftverklaring)" in text and "Total: €1,234.56 (2 lines)" in text
    assert forms["csv"].decode().splitlines()[0].startswith("statement_number,line,asset_tag")


async def test_the_charity_api_takes_and_shows_the_language(api: Api) -> None:
    listed = (await api.get("admin", "/api/v1/charities")).json()["items"]
    assert {c["language"] for c in listed} == {"en"}  # the tests' organisation default
    refused = await api.patch(
        "admin", f"/api/v1/charities/{listed[0]['id']}", {"version": listed[0]["version"], "language": "de"}
    )
    assert refused.status_code == 422
    changed = await api.patch(
        "admin", f"/api/v1/charities/{listed[0]['id']}", {"version": listed[0]["version"], "language": "nl"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["language"] == "nl"
