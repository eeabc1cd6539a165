"""A helpdesk user scoped to one company finds nothing of another: 404 on its detail routes, nothing in lists."""

from __future__ import annotations

from tests.integration.conftest import Api, seed_device, seed_employee, seed_model


async def test_a_scoped_helpdesk_user_never_sees_another_companys_devices_or_employees(api: Api) -> None:
    other = (await api.post("admin", "/api/v1/companies/", json={"name": "Zorg Noord BV"})).json()
    assert other["id"] == 2
    await api.patch(
        "admin", f"/api/v1/users/{api.user_ids['helpdesk2']}", json={"version": 1, "company_ids": [other["id"]]}
    )
    model = await seed_model(api)
    ours = await seed_device(api, model["id"], asset_tag="KL-OURS", serial_number="SN-OURS")
    theirs = (
        await api.post(
            "helpdesk2",
            "/api/v1/devices/",
            json={"asset_tag": "ZN-1", "serial_number": "SN-ZN", "model_id": model["id"],
                  "purchase_date": "2025-01-02", "purchase_price": "900.00"},
        )
    ).json()  # fmt: skip
    assert theirs["company_id"] == other["id"]
    employee = await seed_employee(api)

    assert (await api.get("helpdesk2", f"/api/v1/devices/{ours['id']}")).status_code == 404
    assert (await api.get("helpdesk2", f"/api/v1/devices/{ours['id']}/events")).status_code == 404
    assert (await api.get("helpdesk2", f"/api/v1/employees/{employee['id']}")).status_code == 404
    listed = (await api.get("helpdesk2", "/api/v1/devices/")).json()["items"]
    assert [d["asset_tag"] for d in listed] == ["ZN-1"]
    assert (await api.get("helpdesk2", "/api/v1/employees/")).json()["items"] == []
    assert [c["id"] for c in (await api.get("helpdesk2", "/api/v1/companies/")).json()["items"]] == [other["id"]]
    assert (await api.get("auditor", "/api/v1/audit/")).status_code == 200
    await api.patch("admin", f"/api/v1/users/{api.user_ids['auditor']}", json={"version": 1, "company_ids": [2]})
    assert (await api.get("auditor", "/api/v1/audit/")).status_code == 404  # the trail spans every company
    # Unscoped users see both; the tag is unique across companies even for the user who cannot see the other.
    assert len((await api.get("helpdesk", "/api/v1/devices/")).json()["items"]) == 2
    clash = await api.post(
        "helpdesk2",
        "/api/v1/devices/",
        json={"asset_tag": "KL-OURS", "model_id": model["id"], "purchase_date": "2025-01-02",
              "purchase_price": "900.00"},
    )  # fmt: skip
    assert clash.status_code == 409


# Texts only company A's records hold: a page or a list that shows any of them to company B's user leaks.
A_MARKERS = ("MON-1", "MSN-1", "LAP-SECRET", "SN-SECRET", "Geheime Persoon", "geheim@a.example", "Trackpad kapot",
             "777.77", "777,77", "Default company")  # fmt: skip
# Path parameters that name a record of company A: such a route must answer 404 (or 403) to company B's user.
OWNED_PARAMETERS = ("device_id", "donation_id", "employee_id", "fault_id", "valuation_id", "statement_id",
                    "certificate_id", "company_id", "run_id")  # fmt: skip


async def _company_a(api: Api) -> dict[str, int]:
    """Company A's records (the default company): a credited device in an approved donation with its statement, a
    laptop with a fault, an employee. Returns the ids a route's path parameters take."""
    from tests.integration.donation_helpers import approved, credit, run, set_shares

    await set_shares(api, "100.00", "0")
    monitor = await credit(api, 1, "777.77")
    donation = (await run(api))[0]
    await approved(api, donation["id"])
    employee = await seed_employee(api, "Geheime Persoon", "geheim@a.example")
    model = await seed_model(api)
    laptop = await seed_device(api, model["id"], asset_tag="LAP-SECRET", serial_number="SN-SECRET",
                               holder_id=employee["id"])  # fmt: skip
    fault = await api.post("helpdesk", f"/api/v1/devices/{laptop['id']}/faults",
                           {"category": "keyboard", "description": "Trackpad kapot"})  # fmt: skip
    assert fault.status_code == 201, fault.text
    statements = (await api.get("finance", f"/api/v1/donations/{donation['id']}/statements")).json()
    return {
        "device_id": monitor["id"], "donation_id": donation["id"], "employee_id": employee["id"],
        "fault_id": fault.json()["id"], "valuation_id": monitor["valuation_id"],
        "statement_id": statements[0]["id"], "company_id": 1, "model_id": model["id"],
    }  # fmt: skip


def _get_routes(api: Api) -> list[tuple[str, list[str]]]:
    """Every GET route of the app (API and pages), with its path parameters; static files left out."""
    from litestar.routes import HTTPRoute

    routes = []
    for route in api.app.routes:
        if not isinstance(route, HTTPRoute) or not any("GET" in h.http_methods for h in route.route_handlers):
            continue
        names = [p.name for p in route.path_parameters.values()] if isinstance(route.path_parameters, dict) else [
            p.name for p in route.path_parameters
        ]
        if any(n in ("file_path", "path") for n in names):
            continue
        routes.append((route.path, names))
    return routes


def _filled(path: str, ids: dict[str, int]) -> str:
    import re

    return re.sub(r"\{(\w+):\w+\}", lambda m: str(ids.get(m.group(1), 1)), path)


async def test_walking_every_route_as_a_scoped_user_finds_nothing_of_another_company(api: Api) -> None:
    ids = await _company_a(api)
    other = (await api.post("admin", "/api/v1/companies/", json={"name": "Zorg Noord BV"})).json()
    for who in ("helpdesk2", "finance3", "auditor"):
        scoped = await api.patch("admin", f"/api/v1/users/{api.user_ids[who]}",
                                 json={"version": 1, "company_ids": [other["id"]]})  # fmt: skip
        assert scoped.status_code == 200, scoped.text
    model = (await api.get("helpdesk", "/api/v1/device-models/")).json()["items"][0]
    ours = await api.post("helpdesk2", "/api/v1/devices/", json={
        "asset_tag": "ZN-1", "serial_number": "SN-ZN", "model_id": model["id"], "purchase_date": "2025-01-02",
        "purchase_price": "900.00"})  # fmt: skip
    assert ours.status_code == 201, ours.text

    routes = _get_routes(api)
    assert len(routes) > 100  # the whole table, API and pages
    leaks, errors, checked = [], [], 0
    for who in ("helpdesk2", "finance3", "auditor"):
        for path, names in routes:
            url = _filled(path, ids)
            response = await api.get(who, url)
            if 300 <= response.status_code < 400:  # a page that lives elsewhere: where it leads is what is seen
                response = await api.get(who, response.headers["location"].split("#")[0])
            checked += 1
            if response.status_code >= 500:
                errors.append(f"{who} {url}: {response.status_code}")
            elif any(n in OWNED_PARAMETERS for n in names):
                if response.status_code not in (403, 404):
                    leaks.append(f"{who} {url}: {response.status_code} for another company's record")
            elif response.status_code < 300:
                kind = response.headers.get("content-type", "")
                text = response.text if "text" in kind or "json" in kind else ""
                found = [m for m in A_MARKERS if m in text]
                if found:
                    leaks.append(f"{who} {url}: shows {found}")
    assert not errors, errors
    assert not leaks, "\n".join(leaks)
    assert checked == 3 * len(routes)
    # The same walk as an unscoped user does find company A's records: the markers are real.
    device = await api.get("helpdesk", f"/api/v1/devices/{ids['device_id']}")
    assert device.status_code == 200 and "MON-1" in device.text


async def test_a_company_scoped_user_cannot_import_until_imports_take_a_company(api: Api) -> None:
    other = (await api.post("admin", "/api/v1/companies/", json={"name": "Zorg Noord BV"})).json()
    await api.patch("admin", f"/api/v1/users/{api.user_ids['helpdesk2']}",
                    json={"version": 1, "company_ids": [other["id"]]})  # fmt: skip
    body = "asset_tag,serial_number,manufacturer,model,category,purchase_date,purchase_price\n" \
           "ZN-9,SN-ZN9,Dell,Latitude 5440,laptop,2025-01-02,900.00\n"  # fmt: skip
    refused = await api.post("helpdesk2", "/api/v1/imports/devices", content=body.encode(),
                             headers={"Content-Type": "text/csv"})  # fmt: skip
    assert refused.status_code == 403, refused.text
    assert (await api.get("helpdesk", "/api/v1/devices/?q=ZN-9")).json()["items"] == []
    allowed = await api.post("helpdesk", "/api/v1/imports/devices", content=body.encode(),
                             headers={"Content-Type": "text/csv"})  # fmt: skip
    assert allowed.status_code < 300, allowed.text
