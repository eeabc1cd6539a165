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
