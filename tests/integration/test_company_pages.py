"""Companies and cost centres on the pages, on both databases: the device forms and list, the admin's company
pages (with optimistic locking and form errors), a company's own shares, and the pool per company. A company-scoped
user's pages never show another company."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.conftest import Api, seed_device, seed_model, ui_login
from tests.integration.import_helpers import rows

pytestmark = pytest.mark.usefixtures("api")


async def _company(api: Api, name: str, **fields: str) -> dict[str, Any]:
    response = await api.post("admin", "/api/v1/companies/", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def _scope(api: Api, username: str, company_ids: list[int]) -> None:
    user = (await api.get("admin", f"/api/v1/users/{api.user_ids[username]}")).json()
    response = await api.patch(
        "admin", f"/api/v1/users/{user['id']}", json={"version": user["version"], "company_ids": company_ids}
    )
    assert response.status_code == 200, response.text


def _options(html: str, select_id: str) -> list[str]:
    """The option values of one select on the page ('' for a placeholder)."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select #{select_id}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def _selected(html: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found
    return re.findall(r'<option value="([^"]*)"\s*selected', found.group(1))


def _tags(html: str) -> set[str]:
    return set(re.findall(r'<a href="/devices/\d+">(KL-[\w-]+)</a>', html))


# ------------------------------------------------------------------------------------------------------- devices


async def test_the_register_form_offers_a_company_only_when_there_is_a_choice(api: Api) -> None:
    model = await seed_model(api)
    csrf = await ui_login(api, "helpdesk")
    alone = (await api.client.get("/devices/new")).text
    assert 'name="cost_centre"' in alone and 'name="company_id"' not in alone

    zorg = await _company(api, "Kringloop Zorg B.V.")
    form = (await api.client.get("/devices/new")).text
    assert _options(form, "company_id") == ["1", str(zorg["id"])]  # by name: "Default company" first
    assert _selected(form, "company_id") == ["1"]  # the default company, as the service would pick it

    answer = await api.client.post("/devices/new", data={
        "_csrf_token": csrf, "asset_tag": "KL-ZORG", "model_id": str(model["id"]), "purchase_date": "2025-01-02",
        "purchase_price": "899,00", "condition_grade": "A", "company_id": str(zorg["id"]), "cost_centre": " ICT ",
    })  # fmt: skip
    assert answer.status_code == 303, answer.text[:500]
    device_id = int(answer.headers["location"].rsplit("/", 1)[1])
    stored = (await api.get("helpdesk", f"/api/v1/devices/{device_id}")).json()
    assert (stored["company_id"], stored["cost_centre"]) == (zorg["id"], "ICT")
    page = (await api.client.get(f"/devices/{device_id}")).text
    assert '<dd id="device-company">Kringloop Zorg B.V.</dd>' in page
    assert '<dd id="device-cost-centre">ICT</dd>' in page

    await api.patch("admin", f"/api/v1/companies/{zorg['id']}", json={"version": zorg["version"], "active": False})
    refused = await api.client.post("/devices/new", data={
        "_csrf_token": csrf, "asset_tag": "KL-LATE", "model_id": str(model["id"]), "purchase_date": "2025-01-02",
        "purchase_price": "899.00", "company_id": str(zorg["id"]),
    })  # fmt: skip
    assert refused.status_code == 422 and 'id="company_id-error"' in refused.text
    assert "Kringloop Zorg B.V. is no longer active" in refused.text
    assert '<select id="company_id"' not in refused.text  # one active company left: no choice to offer


async def test_the_device_list_filters_by_company_and_cost_centre(api: Api) -> None:
    model = await seed_model(api)
    zorg = await _company(api, "Kringloop Zorg B.V.")
    await seed_device(api, model["id"], asset_tag="KL-FIN", serial_number="S1", cost_centre="Finance")
    await seed_device(api, model["id"], asset_tag="KL-ICT", serial_number="S2", cost_centre="ICT",
                      company_id=zorg["id"])  # fmt: skip
    await seed_device(api, model["id"], asset_tag="KL-NOORD", serial_number="S3", cost_centre="Zorg-Noord",
                      company_id=zorg["id"])  # fmt: skip
    await ui_login(api, "finance")

    everything = (await api.client.get("/devices")).text
    assert _tags(everything) == {"KL-FIN", "KL-ICT", "KL-NOORD"}
    assert _options(everything, "company_id") == ["", "1", str(zorg["id"])]
    assert "Kringloop Zorg B.V.<br><small class=\"muted\">Zorg-Noord</small>" in everything

    theirs = (await api.client.get(f"/devices?company_id={zorg['id']}")).text
    assert _tags(theirs) == {"KL-ICT", "KL-NOORD"}
    assert _selected(theirs, "company_id") == [str(zorg["id"])]
    assert _tags((await api.client.get("/devices?cost_centre=ICT")).text) == {"KL-ICT"}
    assert _tags((await api.client.get("/devices?company_id=1&cost_centre=ICT")).text) == set()
    # The htmx fragment and the next page keep the filters.
    fragment = await api.client.get(f"/devices?company_id={zorg['id']}&cost_centre=Zorg-Noord",
                                    headers={"HX-Request": "true"})  # fmt: skip
    assert _tags(fragment.text) == {"KL-NOORD"} and "<html" not in fragment.text
    assert (await api.client.get("/devices?company_id=zorg")).status_code == 422


async def test_a_scoped_users_pages_never_show_another_company(api: Api) -> None:
    model = await seed_model(api)
    zorg = await _company(api, "Kringloop Zorg B.V.")
    third = await _company(api, "Kringloop Wonen B.V.")
    ours = await seed_device(api, model["id"], asset_tag="KL-HQ", serial_number="S1", cost_centre="ICT")
    await seed_device(api, model["id"], asset_tag="KL-ZORG", serial_number="S2", cost_centre="ICT",
                      company_id=zorg["id"])  # fmt: skip
    await _scope(api, "helpdesk2", [zorg["id"]])
    await ui_login(api, "helpdesk2")

    listed = (await api.client.get("/devices")).text
    assert _tags(listed) == {"KL-ZORG"} and "KL-HQ" not in listed
    assert 'id="company_id"' not in listed  # one company: nothing to choose
    assert _tags((await api.client.get("/devices?company_id=1")).text) == set()
    assert _tags((await api.client.get("/devices?cost_centre=ICT")).text) == {"KL-ZORG"}
    assert (await api.client.get(f"/devices/{ours['id']}")).status_code == 404
    assert 'name="company_id"' not in (await api.client.get("/devices/new")).text

    await _scope(api, "helpdesk2", [zorg["id"], third["id"]])
    form = (await api.client.get("/devices/new")).text
    assert _options(form, "company_id") == ["", str(third["id"]), str(zorg["id"])]  # by name; a choice to make
    assert _options((await api.client.get("/devices")).text, "company_id") == ["", str(zorg["id"]), str(third["id"])]
    refused = await api.client.post("/devices/new", data={
        "_csrf_token": await ui_login(api, "helpdesk2"), "asset_tag": "KL-NEW", "model_id": str(model["id"]),
        "purchase_date": "2025-01-02", "purchase_price": "899.00", "company_id": "1",
    })  # fmt: skip
    assert refused.status_code == 422 and "no company has id 1" in refused.text


async def test_the_cost_centre_changes_on_the_device_page(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"], cost_centre="ICT")
    csrf = await ui_login(api, "helpdesk")
    page = (await api.client.get(f"/devices/{device['id']}")).text
    assert 'name="cost_centre"' in page and 'value="ICT"' in page
    url = f"/devices/{device['id']}/cost-centre"
    saved = await api.client.post(url, data={"_csrf_token": csrf, "version": "1", "cost_centre": "Finance"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/devices/{device['id']}?saved=cost-centre"
    stored = (await api.get("helpdesk", f"/api/v1/devices/{device['id']}")).json()
    assert (stored["cost_centre"], stored["version"]) == ("Finance", 2)
    stale = await api.client.post(url, data={"_csrf_token": csrf, "version": "1", "cost_centre": "Zorg"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert (await api.get("helpdesk", f"/api/v1/devices/{device['id']}")).json()["cost_centre"] == "Finance"
    finance = await ui_login(api, "finance")
    assert 'name="cost_centre" maxlength' not in (await api.client.get(f"/devices/{device['id']}")).text
    forbidden = await api.client.post(url, data={"_csrf_token": finance, "version": "2", "cost_centre": "X"})
    assert forbidden.status_code == 403


async def test_a_device_is_offered_to_people_of_its_own_company_only(api: Api) -> None:
    model = await seed_model(api)
    zorg = await _company(api, "Kringloop Zorg B.V.")
    ours = await api.post("helpdesk", "/api/v1/employees", {"name": "Anna Hoofd", "email": "anna@example.nl"})
    zeynep = {"name": "Zeynep Zorg", "email": "zeynep@example.nl", "company_id": zorg["id"]}
    theirs = await api.post("helpdesk", "/api/v1/employees", zeynep)
    device = await seed_device(api, model["id"])
    await ui_login(api, "helpdesk")
    page = (await api.client.get(f"/devices/{device['id']}")).text
    assert _options(page, "assign-employee_id") == ["", str(ours.json()["id"])]
    form = (await api.client.get("/devices/new")).text
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', form, re.S)
    assert [(label, "Zeynep" in people, "Anna" in people) for label, people in groups if "Zorg" in people or
            "Hoofd" in people] == [("Default company", False, True), ("Kringloop Zorg B.V.", True, False)]  # fmt: skip
    assert theirs.status_code == 201


# ----------------------------------------------------------------------------------------------------- companies


async def test_an_admin_adds_and_changes_companies_on_the_page(api: Api) -> None:
    csrf = await ui_login(api, "admin")
    page = await api.client.get("/admin/companies")
    assert page.status_code == 200 and "Default company" in page.text
    assert '<a href="/admin/companies">' in page.text  # the nav link

    bad = await api.client.post("/admin/companies", data={
        "_csrf_token": csrf, "name": "Kringloop Zorg B.V.", "kvk_number": "1234", "rsin": "123456789",
    })  # fmt: skip
    assert bad.status_code == 422 and 'id="kvk_number-error"' in bad.text and 'value="Kringloop Zorg B.V."' in bad.text
    bad_rsin = await api.client.post("/admin/companies", data={
        "_csrf_token": csrf, "name": "Kringloop Zorg B.V.", "kvk_number": "12345678", "rsin": "123456789",
    })  # fmt: skip
    assert bad_rsin.status_code == 422 and 'id="rsin-error"' in bad_rsin.text
    added = await api.client.post("/admin/companies", data={
        "_csrf_token": csrf, "name": "Kringloop Zorg B.V.", "legal_name": "Stichting Kringloop Zorg",
        "address": "Zorgweg 1, 3511 AB Utrecht", "kvk_number": "12345678", "rsin": "123456782",
    })  # fmt: skip
    assert added.status_code == 303 and added.headers["location"] == "/admin/companies?done=added"
    companies = (await api.get("admin", "/api/v1/companies/")).json()["items"]
    zorg = next(c for c in companies if c["name"] == "Kringloop Zorg B.V.")
    assert (zorg["legal_name"], zorg["kvk_number"], zorg["rsin"]) == (
        "Stichting Kringloop Zorg", "12345678", "123456782"
    )  # fmt: skip
    twice = await api.client.post("/admin/companies", data={"_csrf_token": csrf, "name": "kringloop zorg b.v."})
    assert twice.status_code == 409 and 'id="name-error"' in twice.text

    edit = (await api.client.get(f"/admin/companies/{zorg['id']}")).text
    assert 'name="version" value="1"' in edit and 'value="Stichting Kringloop Zorg"' in edit
    changed = await api.client.post(f"/admin/companies/{zorg['id']}", data={
        "_csrf_token": csrf, "version": "1", "name": "Kringloop Zorg B.V.", "legal_name": "Kringloop Zorg B.V.",
        "address": "Zorgweg 2, 3511 AB Utrecht", "kvk_number": "12345678", "rsin": "123456782",
    })  # fmt: skip
    assert changed.status_code == 303
    stale = await api.client.post(f"/admin/companies/{zorg['id']}", data={
        "_csrf_token": csrf, "version": "1", "name": "Zorg", "legal_name": "", "address": "", "kvk_number": "",
        "rsin": "",
    })  # fmt: skip
    assert stale.status_code == 409 and 'id="company-form-error"' in stale.text
    assert "changed by someone else" in stale.text and 'value="Zorg"' in stale.text  # what was typed, kept
    now = (await api.get("admin", f"/api/v1/companies/{zorg['id']}")).json()
    assert (now["name"], now["address"], now["version"]) == ("Kringloop Zorg B.V.", "Zorgweg 2, 3511 AB Utrecht", 2)

    off = await api.client.post(f"/admin/companies/{zorg['id']}/active",
                                data={"_csrf_token": csrf, "version": "2", "active": "false"})  # fmt: skip
    assert off.status_code == 303
    assert (await api.get("admin", f"/api/v1/companies/{zorg['id']}")).json()["active"] is False
    default = await api.client.post("/admin/companies/1/active",
                                    data={"_csrf_token": csrf, "version": "1", "active": "false"})  # fmt: skip
    assert default.status_code == 409 and "cannot be deactivated" in default.text
    audit = await rows(api, "SELECT action FROM audit_records WHERE entity_type = 'company' ORDER BY id")
    assert [a["action"] for a in audit] == ["company.create", "company.update", "company.update"]


async def test_only_an_unscoped_admin_reaches_the_company_pages(api: Api) -> None:
    for who in ("helpdesk", "finance", "auditor"):
        csrf = await ui_login(api, who)
        assert (await api.client.get("/admin/companies")).status_code == 403, who
        assert '<a href="/admin/companies">' not in (await api.client.get("/profile")).text
        posted = await api.client.post("/admin/companies", data={"_csrf_token": csrf, "name": "Sneaky B.V."})
        assert posted.status_code == 403
    zorg = await _company(api, "Kringloop Zorg B.V.")
    await _scope(api, "admin", [zorg["id"]])
    await ui_login(api, "admin")
    assert (await api.client.get("/admin/companies")).status_code == 404
    assert (await api.client.get(f"/admin/companies/{zorg['id']}/shares")).status_code == 404
    assert len((await api.get("helpdesk", "/api/v1/companies/")).json()["items"]) == 2  # nothing was added


async def test_a_company_gets_shares_of_its_own_and_goes_back_to_the_organisations(api: Api) -> None:
    zorg = await _company(api, "Kringloop Zorg B.V.")
    charities = (await api.get("admin", "/api/v1/charities/")).json()["items"]
    first, second = sorted(c["id"] for c in charities)
    csrf = await ui_login(api, "admin")
    url = f"/admin/companies/{zorg['id']}/shares"
    page = (await api.client.get(url)).text
    assert "donates by the organisation" in page and f'name="share-{first}"' in page

    wrong = await api.client.post(url, data={"_csrf_token": csrf, f"share-{first}": "50", f"share-{second}": "30"})
    assert wrong.status_code == 422 and 'id="shares-error"' in wrong.text and 'value="30"' in wrong.text
    junk = await api.client.post(url, data={"_csrf_token": csrf, f"share-{first}": "lots", f"share-{second}": "30"})
    assert junk.status_code == 422 and f'id="share-{first}-error"' in junk.text
    assert (await api.get("admin", f"/api/v1/companies/{zorg['id']}/shares")).json()["own"] is False

    saved = await api.client.post(url, data={"_csrf_token": csrf, f"share-{first}": "70", f"share-{second}": "30,5"})
    # 100.5 %: said above the list, what was typed kept, nothing saved.
    assert saved.status_code == 422 and 'id="shares-error"' in saved.text and 'value="30,5"' in saved.text
    assert (await api.get("admin", f"/api/v1/companies/{zorg['id']}/shares")).json()["own"] is False
    saved = await api.client.post(url, data={"_csrf_token": csrf, f"share-{first}": "69,5", f"share-{second}": "30.5"})
    assert saved.status_code == 303, re.findall(r"error[^>]*>([^<]*)<", saved.text)
    own = (await api.get("admin", f"/api/v1/companies/{zorg['id']}/shares")).json()
    assert own["own"] is True and [i["share"] for i in own["items"]] == ["69.50", "30.50"]
    listed = (await api.client.get("/admin/companies")).text
    assert "its own shares" in listed
    assert "donates by shares of its own" in (await api.client.get(url)).text

    back = await api.client.post(f"{url}/organisation", data={"_csrf_token": csrf})
    assert back.status_code == 303
    assert (await api.get("admin", f"/api/v1/companies/{zorg['id']}/shares")).json()["own"] is False


# ---------------------------------------------------------------------------------------------------------- pool


async def test_the_pool_page_shows_each_companys_balance_and_adjusts_the_chosen_one(api: Api) -> None:
    await ui_login(api, "finance")
    single = (await api.client.get("/pool")).text
    assert 'id="company-balances"' not in single and 'id="company_id"' not in single
    zorg = await _company(api, "Kringloop Zorg B.V.")
    csrf = await ui_login(api, "finance")
    page = (await api.client.get("/pool")).text
    assert 'id="company-balances"' in page
    assert _options(page, "company_id") == ["1", str(zorg["id"])] and _selected(page, "company_id") == ["1"]

    added = await api.client.post("/pool/adjustments", data={
        "_csrf_token": csrf, "amount": "125,50", "reason": "Sponsoring Zorg", "company_id": str(zorg["id"]),
    })  # fmt: skip
    assert added.status_code == 303, added.text[:400]
    entries = (await api.get("finance", "/api/v1/pool/")).json()["items"]
    assert [(e["company_id"], e["amount"]) for e in entries] == [(zorg["id"], "125.50")]
    table = re.search(r'<table id="company-balances">(.*?)</table>', (await api.client.get("/pool")).text, re.S)
    assert table
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", table.group(1))
    assert [(name, "125" in amount) for name, amount in rows] == [
        ("Default company", False), ("Kringloop Zorg B.V.", True)
    ]  # fmt: skip

    await _scope(api, "finance", [zorg["id"]])
    csrf = await ui_login(api, "finance")
    scoped = (await api.client.get("/pool")).text
    assert 'id="company-balances"' not in scoped and 'id="company_id"' not in scoped
    theirs = await api.client.post("/pool/adjustments", data={
        "_csrf_token": csrf, "amount": "10", "reason": "Into the other pool", "company_id": "1",
    })  # fmt: skip
    assert theirs.status_code == 422 and "no company has id 1" in theirs.text
