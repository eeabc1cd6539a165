"""The finance, admin and charity pages for donations and charities (HTML forms, same services)."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.integration.conftest import Api, count, ui_login
from tests.integration.donation_helpers import CHARITY, SECOND, credit, set_shares

pytestmark = pytest.mark.usefixtures("api")


async def _post(api: Api, csrf: str, url: str, **form: str) -> object:
    return await api.client.post(url, data={"_csrf_token": csrf, **form})


async def test_finance_walks_a_donation_through_its_pages(api: Api) -> None:
    await credit(api, 1, "64.00")
    await set_shares(api, "75", "25", cost_per_device="16.00")
    csrf = await ui_login(api, "finance")
    page = await api.client.get("/donations")
    assert page.status_code == 200 and "Run donations now" in page.text and "64.00" in page.text
    ran = await _post(api, csrf, "/donations/run")
    assert ran.status_code == 303 and ran.headers["location"] == "/donations?ran=2"
    listing = (await api.client.get("/donations?ran=2")).text
    assert "drafted 2 donation(s)" in listing and "Test Charity" in listing and "48.00" in listing
    first = int(re.search(r'href="/donations/(\d+)"', listing).group(1))  # type: ignore[union-attr]
    assert (await _post(api, csrf, f"/donations/{first}/submit")).status_code == 303
    own = await _post(api, csrf, f"/donations/{first}/approve")
    assert own.status_code == 403 and "four eyes" in own.text and 'role="alert"' in own.text
    detail = (await api.client.get(f"/donations/{first}")).text
    assert "You submitted this donation" in detail and "Approve EUR" not in detail
    rejected = await _post(api, csrf, f"/donations/{first}/reject", reason="")
    assert rejected.status_code == 422 and 'aria-invalid="true"' in rejected.text

    csrf2 = await ui_login(api, "finance2")
    approve_page = (await api.client.get(f"/donations/{first}")).text
    assert "Approve €48.00" in approve_page
    assert (await _post(api, csrf2, f"/donations/{first}/approve")).status_code == 303
    detail = (await api.client.get(f"/donations/{first}")).text
    assert "Approved, to be paid" in detail and "current" in detail and "Mark paid" in detail
    assert "Submitted for approval" in detail and "Statement issued" in detail  # every step is shown
    missing = await _post(api, csrf2, f"/donations/{first}/mark-paid", reference="  ")
    assert missing.status_code == 422 and "payment reference" in missing.text
    too_long = await _post(api, csrf2, f"/donations/{first}/mark-paid", reference="X" * 201)
    assert too_long.status_code == 422 and "longer than 200 characters" in too_long.text  # refused, not cut
    assert (await _post(api, csrf2, f"/donations/{first}/mark-paid", reference="TRX-2026-0042")).status_code == 303
    pdf = await api.client.get(f"/donations/{first}/statement.pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == pdf.headers["x-content-sha256"]
    totals = (await api.client.get("/donations")).text
    assert "Given in" in totals and "48.00" in totals
    assert (await api.client.get(f"/donations/{first}/nonsense")).status_code in (404, 405)

    await ui_login(api, "charity")
    portal = await api.client.get("/donations")
    assert portal.status_code == 200 and "Our donations" in portal.text and f"#{first}" in portal.text
    assert "Run donations now" not in portal.text and "Pool" not in portal.text.split("<main", 1)[1]
    page = (await api.client.get(f"/donations/{first}")).text
    assert "Acknowledge receipt" in page and "TRX-2026-0042" in page and "Every step" not in page
    charity_csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert (await _post(api, charity_csrf, f"/donations/{first}/acknowledge")).status_code == 303
    assert "You acknowledged receipt" in (await api.client.get(f"/donations/{first}")).text

    statement_id = (await api.get("finance", f"/api/v1/donations/{first}/statements")).json()[0]["id"]
    other_csrf = await ui_login(api, "charity2")
    for url in (
        f"/donations/{first}",
        f"/donations/{first}/statement.pdf",
        f"/donations/{first}/statement.json",
        f"/donations/{first}/statements/{statement_id}/statement.csv",
    ):
        assert (await api.client.get(url)).status_code == 404, url
    for step in ("acknowledge", "approve", "correct", "nonsense"):
        assert (await _post(api, other_csrf, f"/donations/{first}/{step}")).status_code == 404, step
    assert f"#{first}" not in (await api.client.get("/donations")).text


async def test_admin_manages_charities_and_shares_through_forms(api: Api) -> None:
    csrf = await ui_login(api, "admin")
    form = {
        "name": "Stichting Nieuw",
        "rsin": "123456789",
        "kvk_number": "",
        "anbi_status": "anbi",
        "anbi_checked_on": "",
        "contact_name": "",
        "contact_email": "",
        "address": "",
        "minimum_donation": "100.00",
        "cost_per_device": "0.00",
        "webhook_url": "",
        "active": "on",
    }
    bad = await _post(api, csrf, "/charities/new", **form)
    assert bad.status_code == 422 and "eleven-test" in bad.text and 'value="Stichting Nieuw"' in bad.text
    assert 'aria-describedby="rsin-error"' in bad.text
    made = await _post(
        api, csrf, "/charities/new", **{**form, "rsin": "123456782", "webhook_url": "https://nieuw.example/hook"}
    )
    assert made.status_code == 200 and "whsec_" in made.text
    assert await count(api.app, "charities") == 3
    listing = (await api.client.get("/charities")).text
    assert "Stichting Nieuw" in listing and "add up to 0.00 %, not 100 %" in listing  # no shares set yet
    shares = await api.client.get("/charities/shares")
    assert shares.status_code == 200 and 'id="share-3"' in shares.text
    short = await _post(api, csrf, "/charities/shares", **{"share-1": "50", "share-2": "30", "share-3": "10"})
    assert short.status_code == 422 and "90.00 %" in short.text and 'value="30"' in short.text
    # A decimal comma is read as Dutch users type it (50,5 makes 90.50 % here); a share that is no number is
    # refused beside its field.
    comma = await _post(api, csrf, "/charities/shares", **{"share-1": "50,5", "share-2": "30", "share-3": "10"})
    assert comma.status_code == 422 and "90.50 %" in comma.text
    typo = await _post(api, csrf, "/charities/shares", **{"share-1": "5o", "share-2": "30", "share-3": "10"})
    assert typo.status_code == 422 and 'aria-describedby="share-1-error"' in typo.text
    ok = await _post(api, csrf, "/charities/shares", **{"share-1": "50", "share-2": "30", "share-3": "20"})
    assert ok.status_code == 303
    shares = (await api.get("admin", "/api/v1/charities/shares")).json()
    assert [s["share"] for s in shares["items"]] == ["50.00", "30.00", "20.00"]
    edit = await api.client.get(f"/charities/{SECOND}")
    version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)  # type: ignore[union-attr]
    saved = await _post(
        api, csrf, f"/charities/{SECOND}", **{**form, "name": "Second Test Charity", "rsin": "", "version": version}
    )
    assert saved.status_code == 303
    assert (await api.get("admin", f"/api/v1/charities/{SECOND}")).json()["minimum_donation"] == "100.00"
    stale = await _post(api, csrf, f"/charities/{SECOND}", **{**form, "rsin": "", "version": version})
    assert stale.status_code == 409 and "changed by someone else" in stale.text

    await ui_login(api, "finance")
    assert (await api.client.get("/charities")).status_code == 200
    assert (await api.client.get(f"/charities/{CHARITY}")).status_code == 403


async def test_the_pending_list_says_when_it_shows_only_the_first(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import service.donations.views as views

    await credit(api, 1, "64.00")
    await set_shares(api, "75", "25")
    csrf = await ui_login(api, "finance")
    assert (await _post(api, csrf, "/donations/run")).status_code == 303
    assert 'id="pending-more"' not in (await api.client.get("/donations")).text
    monkeypatch.setattr(views, "PENDING_SHOWN", 1)
    page = re.sub(r"\s+", " ", (await api.client.get("/donations")).text)
    assert 'id="pending-more"' in page and "than the 1 oldest listed here" in page
