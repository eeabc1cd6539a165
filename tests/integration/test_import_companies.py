"""Imports that name companies and cost centres (issue 14), on SQLite and PostgreSQL: a device lands in the company
its row names, a holder works for the device's company, and nothing ever moves a device to another company."""

from __future__ import annotations

from typing import Any

from service.companies.models import DEFAULT_COMPANY_ID
from service.settings import Settings
from tests.integration.conftest import Api, seed_device, seed_model
from tests.integration.import_helpers import HEADER, by_row, csv_text, device, errors_of, rows, run, snapshot
from tests.integration.test_snipeit_files import add_company, snipe_file, snipe_row

LAPTOP = "Dell,Latitude 5440,laptop,2024-03-01,1249.00"
WITH_COMPANY = f"{HEADER},company"
WITH_HOLDER = f"{HEADER},holder_email,holder_name,status,company"


async def add_employee(api: Api, name: str, email: str, company_id: int) -> dict[str, Any]:
    body = {"name": name, "email": email, "department": "IT", "company_id": company_id}
    response = await api.post("admin", "/api/v1/employees", body)
    assert response.status_code == 201, response.text
    return response.json()


async def employee_companies(api: Api) -> dict[str, int]:
    return {r["email"]: r["company_id"] for r in await rows(api, "SELECT email, company_id FROM employees")}


async def test_a_snipeit_file_with_two_companies_imports_into_them(api: Api, settings: Settings) -> None:
    acme = await add_company(api, "Acme Nederland BV")
    zorg = await add_company(api, "Zorg Noord")
    person = ("", "Sam", "Jansen", "sam.jansen@example.nl")
    other = ("", "Eva", "Visser", "eva.visser@example.nl")
    data = snipe_file(
        snipe_row(1, date="1/23/23"),
        snipe_row(2, date="1/23/23", company="  zorg   NOORD "),  # any case and spacing
        snipe_row(3, date="1/23/23", company="Zorg Noord", checkout="User", status="Deployed", person=person),
        snipe_row(4, date="1/23/23", company="", checkout="User", status="Deployed", person=other),
    )
    summary, outcomes = await run(api, settings, data, format="snipeit")
    assert (summary.created, summary.errors) == (4, 0), [o.errors for o in outcomes if o.errors]
    assert not [line for line in summary.readings if "notes" in line], "the company is no notes line"
    companies = {n: (await device(api, f"ACME-{n:04d}"))["company_id"] for n in (1, 2, 3, 4)}
    assert companies == {1: acme["id"], 2: zorg["id"], 3: zorg["id"], 4: DEFAULT_COMPANY_ID}
    assert await rows(api, "SELECT DISTINCT notes FROM devices") == [{"notes": ""}]
    # A holder the import creates works for the company of the device they hold.
    assert await employee_companies(api) == {"sam.jansen@example.nl": zorg["id"],
                                             "eva.visser@example.nl": DEFAULT_COMPANY_ID}  # fmt: skip
    before = await snapshot(api)
    again, _ = await run(api, settings, data, format="snipeit")
    assert (again.unchanged, again.created, again.updated, again.errors) == (4, 0, 0, 0)
    assert await snapshot(api) == before


async def test_an_unknown_company_is_a_row_error_and_creates_nothing(api: Api, settings: Settings) -> None:
    await add_company(api, "Acme Nederland BV")
    data = csv_text(
        f"KL-1,SN1,{LAPTOP},new.person@example.nl,New Person,in_use,Acme Nederlnd BV",
        f"KL-2,SN2,{LAPTOP},,,,Acme Nederland BV",
        header=WITH_HOLDER,
    )
    companies = await rows(api, "SELECT * FROM companies ORDER BY id")
    summary, outcomes = await run(api, settings, data)
    assert (summary.created, summary.errors) == (1, 1)
    assert errors_of(by_row(outcomes)[2]) == {
        "company": 'no company is named "Acme Nederlnd BV"; add it first (on the companies page, or POST '
        "/api/v1/companies), then import again"
    }
    assert await rows(api, "SELECT asset_tag FROM devices") == [{"asset_tag": "KL-2"}]
    assert await employee_companies(api) == {}, "the refused row's holder is not created"
    assert await rows(api, "SELECT * FROM companies ORDER BY id") == companies, "an import creates no company"
    # Every problem of a new device at once: the company with the missing columns.
    _, refused = await run(api, settings, csv_text("KL-3,SN3,Dell,,laptop,2024-03-01,1249.00,Nobody BV",
                                                   header=WITH_COMPANY))  # fmt: skip
    assert set(errors_of(refused[0])) == {"company", "model"}


async def test_an_inactive_company_takes_no_new_devices(api: Api, settings: Settings) -> None:
    response = await api.post("admin", "/api/v1/companies/", json={"name": "Oud BV", "active": False})
    assert response.status_code == 201, response.text
    _, outcomes = await run(api, settings, csv_text(f"KL-1,SN1,{LAPTOP},oud bv", header=WITH_COMPANY))
    assert errors_of(outcomes[0]) == {"company": "Oud BV is no longer active"}
    assert await rows(api, "SELECT id FROM devices") == []


async def test_a_cost_centre_column_sets_and_clears_the_cost_centre(api: Api, settings: Settings) -> None:
    header = f"{HEADER},Kostenplaats"
    data = csv_text(f"KL-1,SN1,{LAPTOP},IT-4100", f"KL-2,SN2,{LAPTOP},", f"KL-3,SN3,{LAPTOP},{'C' * 65}",
                    header=header)  # fmt: skip
    summary, outcomes = await run(api, settings, data)
    assert (summary.created, summary.errors) == (2, 1)
    assert errors_of(by_row(outcomes)[4]) == {"cost_centre": "is longer than 64 characters"}
    assert [(await device(api, t))["cost_centre"] for t in ("KL-1", "KL-2")] == ["IT-4100", ""]
    # An existing device: a new cost centre is set, a blank cell clears it (as other text columns), no column keeps.
    summary, _ = await run(api, settings, csv_text(f"KL-1,SN1,{LAPTOP},", f"KL-2,SN2,{LAPTOP},Zorg Noord",
                                                   header="asset_tag,serial_number,manufacturer,model,category,"
                                                          "purchase_date,purchase_price,cost center"))  # fmt: skip
    assert (summary.updated, summary.errors) == (2, 0)
    assert [(await device(api, t))["cost_centre"] for t in ("KL-1", "KL-2")] == ["", "Zorg Noord"]
    summary, _ = await run(api, settings, csv_text(f"KL-2,SN2,{LAPTOP}"))
    assert summary.unchanged == 1 and (await device(api, "KL-2"))["cost_centre"] == "Zorg Noord"


async def test_a_holder_must_work_for_the_devices_company(api: Api, settings: Settings) -> None:
    zorg = await add_company(api, "Zorg Noord")
    await add_employee(api, "Eva Visser", "eva@example.nl", zorg["id"])
    model = await seed_model(api)
    kept = await seed_device(api, model["id"], asset_tag="KL-9", serial_number="SN9")  # the default company
    data = csv_text(
        f"KL-1,SN1,{LAPTOP},eva@example.nl,,in_use,",            # new, default company: Eva works for Zorg
        f"KL-2,SN2,{LAPTOP},eva@example.nl,,in_use,Zorg Noord",  # new, Zorg: fine
        f"KL-9,SN9,{LAPTOP},eva@example.nl,,in_use,",            # existing, default company
        f"KL-3,SN3,{LAPTOP},new@example.nl,New Person,in_use,Zorg Noord",  # created for Zorg ...
        f"KL-4,SN4,{LAPTOP},new@example.nl,New Person,in_use,",  # ... so not for a device of the default company
        header=WITH_HOLDER,
    )  # fmt: skip
    before = await device(api, "KL-9")
    _, outcomes = await run(api, settings, data)
    result = by_row(outcomes)
    assert {n for n, o in result.items() if o.outcome == "created"} == {3, 5}
    refused = {"holder": "Eva Visser works for another company than the device's"}
    assert errors_of(result[2]) == errors_of(result[4]) == refused
    assert errors_of(result[6]) == {"holder": "New Person works for another company than the device's"}
    assert await device(api, "KL-9") == before
    assert kept["company_id"] == DEFAULT_COMPANY_ID
    assert (await employee_companies(api))["new@example.nl"] == zorg["id"]


async def test_an_existing_device_never_moves_to_another_company(api: Api, settings: Settings) -> None:
    zorg = await add_company(api, "Zorg Noord")
    model = await seed_model(api)
    await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1", location="Utrecht")
    before = await snapshot(api)
    data = csv_text(f"KL-1,SN1,{LAPTOP},Zorg Noord,Amsterdam", header=f"{WITH_COMPANY},location")
    summary, outcomes = await run(api, settings, data)
    assert (summary.errors, summary.updated) == (1, 0)
    assert errors_of(outcomes[0]) == {
        "company": f"device #{before['devices'][0]['id']} belongs to Default company; an import does not move a "
        "device to another company"
    }
    assert await snapshot(api) == before, "the device is left as it was, location and all"
    # Its own company (in any case) or a blank cell: the row changes the device and it stays where it is.
    for company, location in (("default COMPANY", "Amsterdam"), ("", "Rotterdam")):
        data = csv_text(f"KL-1,SN1,{LAPTOP},{company},{location}", header=f"{WITH_COMPANY},location")
        summary, _ = await run(api, settings, data)
        assert (summary.updated, summary.errors) == (1, 0)
        found = await device(api, "KL-1")
        assert (found["company_id"], found["location"]) == (DEFAULT_COMPANY_ID, location)
    assert zorg["id"] != DEFAULT_COMPANY_ID
